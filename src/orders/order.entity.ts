import { defineEntity, p } from '@mikro-orm/core';
import { uuidv7 } from '../db/ids.js';
import { Document } from '../documents/document.entity.js';
import { Grant } from '../grants/grant.entity.js';
import { Organisation } from '../organisations/organisation.entity.js';
import { Routine } from '../routines/routine.entity.js';
import { Service, ServiceRole, SubArea } from '../services/service.entity.js';
import { User } from '../users/user.entity.js';

export enum OrderKind {
  /** Placed by an orderer for an employee (SUS forms 9445/9460). */
  ORDER = 'order',
  /** Placed by the person for themself (VIAS self-registration). */
  SELF_REGISTRATION = 'self_registration',
}

export enum OrderState {
  SUBMITTED = 'submitted',
  /** Sent back by the issuer for changes; the orderer may resubmit or withdraw. */
  RETURNED = 'returned',
  APPROVED = 'approved',
  REJECTED = 'rejected',
  WITHDRAWN = 'withdrawn',
}

/** Where an approval stands when the routine asks two approvers for the role. */
export enum ApprovalStage {
  /** The first approval: the order waits for a second, different approver. */
  FIRST = 'first',
  /** The second approval, which issues the grant. */
  SECOND = 'second',
}

/** A request for a grant, decided by the person's responsible issuer under the routine of its submission. */
export const OrderSchema = defineEntity({
  name: 'Order',
  tableName: 'orders',
  properties: {
    id: p.uuid().primary().onCreate(() => uuidv7()),
    kind: p.enum(() => OrderKind),
    state: p.enum(() => OrderState).default(OrderState.SUBMITTED),
    /** The person the grant is for. */
    user: () => p.manyToOne(User),
    service: () => p.manyToOne(Service),
    role: () => p.manyToOne(ServiceRole),
    subAreas: () => p.manyToMany(SubArea).pivotTable('order_sub_areas').owner(),
    /** The organisation the grant will apply to. */
    scope: () => p.manyToOne(Organisation),
    validFrom: p.datetime(),
    validTo: p.datetime().nullable(),
    justification: p.text().nullable(),
    contactEmail: p.string().length(254).nullable(),
    contactPhone: p.string().length(32).nullable(),
    orderedBy: () => p.manyToOne(User),
    /** The issuer organisation that decides, fixed when submitted. */
    decider: () => p.manyToOne(Organisation),
    routine: () => p.manyToOne(Routine),
    submittedAt: p.datetime().onCreate(() => new Date()),
    decidedAt: p.datetime().nullable(),
    decidedBy: () => p.manyToOne(User).nullable(),
    decisionReason: p.text().nullable(),
    /** Two-stage approval: who gave the first approval, while the order waits for the second. */
    firstApprovedBy: () => p.manyToOne(User).nullable(),
    firstApprovedAt: p.datetime().nullable(),
    grant: () => p.manyToOne(Grant).nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
  indexes: [
    { name: 'orders_decider_state_idx', properties: ['decider', 'state', 'submittedAt'] },
    { name: 'orders_user_idx', properties: ['user', 'createdAt'] },
    { name: 'orders_ordered_by_idx', properties: ['orderedBy', 'createdAt'] },
    {
      // The issuer-workload report: decided orders by decision time, with what its scope test and sums read (index-only).
      name: 'orders_decided_idx',
      expression:
        `create index "orders_decided_idx" on "orders" ("decided_at") include ("decider_id", "service_id", "user_id", "ordered_by_id", "submitted_at") where "state" in ('approved', 'rejected')`,
    },
    {
      // The orders-waiting report: undecided orders by issuer, with what its scope test and sums read (index-only).
      name: 'orders_waiting_idx',
      expression:
        `create index "orders_waiting_idx" on "orders" ("decider_id") include ("service_id", "user_id", "ordered_by_id", "submitted_at") where "state" = 'submitted'`,
    },
  ],
});
export class Order extends OrderSchema.class {}
OrderSchema.setClass(Order);

/** One step in an order's life: who moved it from which state to which, when and why. */
export const OrderEventSchema = defineEntity({
  name: 'OrderEvent',
  tableName: 'order_events',
  properties: {
    id: p.uuid().primary().onCreate(() => uuidv7()),
    order: () => p.manyToOne(Order).index(),
    fromState: p.enum(() => OrderState).nullable(),
    toState: p.enum(() => OrderState),
    actor: () => p.manyToOne(User).nullable(),
    reason: p.text().nullable(),
    /** Which approval of a two-stage approval this step was (null: a one-stage step). */
    stage: p.enum(() => ApprovalStage).nullable(),
    occurredAt: p.datetime().onCreate(() => new Date()),
  },
});
export class OrderEvent extends OrderEventSchema.class {}
OrderEventSchema.setClass(OrderEvent);

/** A document attached to an order, for a sub-area where the routine asks one per area (CVs). */
export const OrderAttachmentSchema = defineEntity({
  name: 'OrderAttachment',
  tableName: 'order_attachments',
  properties: {
    id: p.uuid().primary().onCreate(() => uuidv7()),
    order: () => p.manyToOne(Order).index(),
    document: () => p.manyToOne(Document).index(),
    subArea: () => p.manyToOne(SubArea).nullable(),
    /** When a resubmission replaced it: kept, with the version of the order it belonged to. */
    replacedAt: p.datetime().nullable(),
  },
});
export class OrderAttachment extends OrderAttachmentSchema.class {}
OrderAttachmentSchema.setClass(OrderAttachment);
