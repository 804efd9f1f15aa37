import 'reflect-metadata';
import { GraphQLObjectType, isAbstractType, lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { AuditResolver } from '../audit/audit.resolver.js';
import { DocumentResolver } from '../documents/document.resolver.js';
import { GrantResolver, UserGrantResolver } from '../grants/grant.resolver.js';
import { GrantMutationResolver } from '../grants/grant.mutations.js';
import { IssuerMandateResolver, UserIssuerResolver } from '../issuers/issuer-mandate.resolver.js';
import { OrdererAppointmentResolver } from '../orderers/orderer-appointment.resolver.js';
import { OrderAttachmentResolver, OrderEventResolver, OrderResolver, ProfileResolver, RoleQuotaResolver } from '../orders/order.resolver.js';
import { EmploymentResolver, HistoryEntryResolver, UserEmploymentResolver } from '../employments/employment.resolver.js';
import { GrantReviewResolver } from '../employments/grant-review.resolver.js';
import { ReportResolver } from '../reports/report.resolver.js';
import { RoutineResolver, ServiceRoutineResolver } from '../routines/routine.resolver.js';
import { SessionResolver } from '../identities/session.resolver.js';
import { InvitationResolver } from '../identities/invitation.resolver.js';
import { OrganisationResolver } from '../organisations/organisation.resolver.js';
import { ServiceResolver, ServiceRoleResolver } from '../services/service.resolver.js';
import { AuditEventActorResolver, PlacementResolver, UserResolver } from '../users/user.resolver.js';
import { ClientResolver } from '../clients/client.resolver.js';
import { EventResolver } from '../events/event.resolver.js';
import { AccessCheckResolver } from '../grants/access-check.resolver.js';
import { ClientWebhookResolver, WebhookDeliveryResolver, WebhookResolver } from '../webhooks/webhook.resolver.js';
import { toGlobalId } from '../domain/global-id.js';
import { withDirectFieldResolvers } from '../graphql/direct-resolvers.js';
import { guardInputs } from '../graphql/input-guard.js';
import { NodeResolver } from '../graphql/node.resolver.js';
import { nodeTypeOf } from '../graphql/relay.js';
import { FederationResolver } from './federation.js';
import { withResponseBudget } from '../graphql/response-budget.js';

export const resolvers = [
  NodeResolver,
  FederationResolver,
  SessionResolver,
  OrganisationResolver,
  ServiceResolver,
  ServiceRoleResolver,
  UserResolver,
  PlacementResolver,
  AuditEventActorResolver,
  UserGrantResolver,
  UserIssuerResolver,
  ProfileResolver,
  GrantResolver,
  GrantMutationResolver,
  AuditResolver,
  DocumentResolver,
  RoutineResolver,
  ServiceRoutineResolver,
  IssuerMandateResolver,
  OrdererAppointmentResolver,
  OrderResolver,
  OrderEventResolver,
  OrderAttachmentResolver,
  RoleQuotaResolver,
  ReportResolver,
  UserEmploymentResolver,
  EmploymentResolver,
  ClientResolver,
  EventResolver,
  AccessCheckResolver,
  WebhookResolver,
  WebhookDeliveryResolver,
  ClientWebhookResolver,
  GrantReviewResolver,
  HistoryEntryResolver,
  InvitationResolver,
] as const;

/**
 * Every type implementing Node gets the same `id` resolver: the opaque global id of its row.
 * One place, so no type can leak a raw database id.
 */
function withGlobalIds(schema: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!(type instanceof GraphQLObjectType) || !type.getInterfaces().some((i) => i.name === 'Node')) continue;
    const field = type.getFields().id;
    field.resolve = (source: { id: string }) => toGlobalId(type.name, source.id);
  }
  return schema;
}

/**
 * type-graphql wraps a given `resolveType` in an async function. Ours (Node and federation's
 * _Entity) answer synchronously, and a compiled query needs them to: it does not await a type.
 * Any other abstract type with an async resolveType stops the schema from building.
 */
function withSyncTypeResolution(schema: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isAbstractType(type) || !type.resolveType) continue;
    if (type.name === 'Node' || type.name === '_Entity') type.resolveType = (value: object) => nodeTypeOf(value);
    else if (type.resolveType.constructor.name === 'AsyncFunction') throw new Error(`${type.name}: resolveType must answer synchronously`);
  }
  return schema;
}

let built: Promise<GraphQLSchema> | undefined;

/** Builds the executable schema from the resolvers (once per process), every text and date argument guarded. */
export function hubSchema(): Promise<GraphQLSchema> {
  built ??= buildSchema({ resolvers: [...resolvers], validate: false }).then(withDirectFieldResolvers).then(withSyncTypeResolution).then(withGlobalIds).then(guardInputs).then(withResponseBudget);
  return built;
}

/** The SDL as committed in schema/schema.graphql: sorted, so it diffs by meaning. */
export async function schemaSdl(): Promise<string> {
  return `${printSchema(lexicographicSortSchema(await hubSchema()))}\n`;
}
