import { defineEntity, p } from '@mikro-orm/core';
import { uuidv7 } from '../db/ids.js';
import { Organisation } from '../organisations/organisation.entity.js';
import { User } from '../users/user.entity.js';

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
  },
  indexes: [
    // The job's claim: ends that are due and not yet applied.
    { name: 'employments_due_end_idx', expression: `create index "employments_due_end_idx" on "employments" ("valid_to") where "end_applied_at" is null and "valid_to" is not null` },
  ],
});
export class Employment extends EmploymentSchema.class {}
EmploymentSchema.setClass(Employment);
