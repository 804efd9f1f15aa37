import { defineEntity, p } from '@mikro-orm/core';
import { uuidv7 } from '../db/ids.js';
import { Organisation } from '../organisations/organisation.entity.js';
import { User } from '../users/user.entity.js';
import { Grant } from '../grants/grant.entity.js';
import { Service } from '../services/service.entity.js';

/**
 * A person's employment by one organisation over time. `users.employer` stays the current employer
 * (the staff list, reports and Policy read it); these rows are the timeline and the dated ends.
 */
export const EmploymentSchema = defineEntity({
  name: 'Employment',
  tableName: 'employments',
  properties: {
    id: p.uuid().primary().onCreate(() => uuidv7()),
    user: () => p.manyToOne(User).index(),
    employer: () => p.manyToOne(Organisation).index(),
    validFrom: p.datetime(),
    /** The end date, today, past or future; the job applies a future one when it comes. */
    validTo: p.datetime().nullable(),
    endReason: p.text().nullable(),
    endedBy: () => p.manyToOne(User).nullable(),
    /** When the end's consequences (grants, orders, roles ended) were written: the job's idempotence flag. */
    endAppliedAt: p.datetime().nullable(),
    createdBy: () => p.manyToOne(User).nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    /** A mover's new employment names the one it follows; the move applies at `validFrom`. */
    previous: () => p.manyToOne(Employment).nullable(),
    /** When a move's consequences (employer changed, grants ended, kept or sent for review) were written. */
    moveAppliedAt: p.datetime().nullable(),
  },
  indexes: [
    // The job's claim: moves that are due and not yet applied.
    { name: 'employments_due_move_idx', expression: `create index "employments_due_move_idx" on "employments" ("valid_from") where "move_applied_at" is null and "previous_id" is not null` },
    // The job's claim: ends that are due and not yet applied.
    { name: 'employments_due_end_idx', expression: `create index "employments_due_end_idx" on "employments" ("valid_to") where "end_applied_at" is null and "valid_to" is not null` },
  ],
});
export class Employment extends EmploymentSchema.class {}
EmploymentSchema.setClass(Employment);

export enum GrantReviewState {
  PENDING = 'pending',
  CONFIRMED = 'confirmed',
  /** Ended by the new issuer, or by the deadline passing unconfirmed. */
  ENDED = 'ended',
}

/**
 * A grant kept through a move pending the new responsible issuer's confirmation (routine rule
 * CONFIRM). Unconfirmed by the deadline, the grant ends.
 */
export const GrantReviewSchema = defineEntity({
  name: 'GrantReview',
  tableName: 'grant_reviews',
  properties: {
    id: p.uuid().primary().onCreate(() => uuidv7()),
    grant: () => p.manyToOne(Grant).index(),
    user: () => p.manyToOne(User).index(),
    service: () => p.manyToOne(Service),
    /** The new responsible issuer: its administrators for the service see and decide the review. */
    issuer: () => p.manyToOne(Organisation),
    /** The employment the person moved into. */
    employment: () => p.manyToOne(Employment),
    deadline: p.datetime(),
    state: p.enum(() => GrantReviewState).default(GrantReviewState.PENDING),
    decidedBy: () => p.manyToOne(User).nullable(),
    decidedAt: p.datetime().nullable(),
    reason: p.text().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
  indexes: [
    { name: 'grant_reviews_issuer_idx', properties: ['service', 'issuer', 'state'] },
    { name: 'grant_reviews_due_idx', expression: `create index "grant_reviews_due_idx" on "grant_reviews" ("deadline") where "state" = 'pending'` },
  ],
});
export class GrantReview extends GrantReviewSchema.class {}
GrantReviewSchema.setClass(GrantReview);
