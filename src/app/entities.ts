import { Client, ClientCredential } from '../clients/client.entity.js';
import { EventHorizon, HubEvent } from '../events/event.entity.js';
import { WebhookDelivery, WebhookSubscription } from '../webhooks/webhook.entity.js';
import { Employment, GrantReview } from '../employments/employment.entity.js';
import { AuditEvent } from '../audit/audit-event.entity.js';
import { Document } from '../documents/document.entity.js';
import { IssuerAdministrator, IssuerMandate } from '../issuers/issuer-mandate.entity.js';
import { OrdererAppointment } from '../orderers/orderer-appointment.entity.js';
import { Routine } from '../routines/routine.entity.js';
import { Order, OrderAttachment, OrderEvent } from '../orders/order.entity.js';
import { OutboxMessage } from '../notifications/outbox-message.entity.js';
import { Grant } from '../grants/grant.entity.js';
import { FederatedIdentity } from '../identities/federated-identity.entity.js';
import { Invitation } from '../identities/invitation.entity.js';
import { Organisation } from '../organisations/organisation.entity.js';
import { Service, ServiceRole, SubArea } from '../services/service.entity.js';
import { EmployerHeadcount, Placement, User } from '../users/user.entity.js';
import { GrantEmployerTotal, GrantExpiryTally, GrantExpiryTotal, GrantMonthFlow, GrantMonthTotal, GrantSnapshotEmployerTotal, GrantSnapshotTotal, GrantSummaryDelta, GrantTally, GrantTallyTotal, GrantTallySnapshot, IdlePeopleDelta, IdlePeopleTally, PersonActiveGrants } from '../reports/summary.entity.js';

/** Every persisted entity; migrations are generated from this list. */
export const entities = [Organisation, Service, ServiceRole, SubArea, User, Placement, EmployerHeadcount, FederatedIdentity, Grant, AuditEvent, Document, Routine, IssuerMandate, IssuerAdministrator, OrdererAppointment, Order, OrderEvent, OrderAttachment, OutboxMessage, GrantSummaryDelta, GrantTally, GrantTallyTotal, GrantEmployerTotal, GrantMonthFlow, GrantMonthTotal, GrantTallySnapshot, GrantSnapshotTotal, GrantSnapshotEmployerTotal, GrantExpiryTally, GrantExpiryTotal, PersonActiveGrants, IdlePeopleDelta, IdlePeopleTally, Employment, Client, ClientCredential, HubEvent, EventHorizon, WebhookSubscription, WebhookDelivery, GrantReview, Invitation];
