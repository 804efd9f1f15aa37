import { defineEntity, p } from '@mikro-orm/core';
import { uuidv7 } from '../db/ids.js';
import { Organisation } from '../organisations/organisation.entity.js';

export enum ProfileState {
  /** Signed in at least once but has not filled in the basic-information form. */
  INCOMPLETE = 'incomplete',
  COMPLETE = 'complete',
}

/** A person, employed by one organisation and possibly placed at others. */
export const UserSchema = defineEntity({
  name: 'User',
  tableName: 'users',
  properties: {
    id: p.uuid().primary().onCreate(() => uuidv7()),
    employer: () => p.manyToOne(Organisation),
    givenName: p.string().length(100),
    familyName: p.string().length(100),
    email: p.string().length(254).nullable(),
    phone: p.string().length(32).nullable(),
    profileState: p.enum(() => ProfileState).default(ProfileState.INCOMPLETE),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
  indexes: [
    { name: 'users_employer_family_name_idx', properties: ['employer', 'familyName', 'givenName', 'id'] },
    { name: 'users_email_idx', properties: ['email'] },
    // A person's employer by id, index-only: every grant scope test and report correction probes it per grant.
    { name: 'users_employer_of_idx', expression: 'create index "users_employer_of_idx" on "users" ("id") include ("employer_id")' },
    // The access check finds a person by e-mail whatever its case.
    { name: 'users_email_lower_idx', expression: 'create index "users_email_lower_idx" on "users" (lower("email"))' },
    // Staff lists are ordered by name: lets a broad scope stream its first page in order. The employer
    // rides along, so the walk tests each person against the scope from the index alone (index-only).
    { name: 'users_name_idx', properties: ['familyName', 'givenName', 'id'], include: ['employer'] },
    // Search is by prefix, whatever the case: text_pattern_ops serves LIKE 'x%' under any collation.
    { name: 'users_search_name_idx', expression: `create index "users_search_name_idx" on "users" (lower("given_name" || ' ' || "family_name") text_pattern_ops)` },
    { name: 'users_search_family_name_idx', expression: 'create index "users_search_family_name_idx" on "users" (lower("family_name") text_pattern_ops)' },
    { name: 'users_search_email_idx', expression: 'create index "users_search_email_idx" on "users" (lower("email") text_pattern_ops)' },
  ],
});
export class User extends UserSchema.class {}
UserSchema.setClass(User);

/** A user working at an organisation other than their employer (e.g. inside a coordination association). */
export const PlacementSchema = defineEntity({
  name: 'Placement',
  tableName: 'placements',
  properties: {
    id: p.uuid().primary().onCreate(() => uuidv7()),
    user: () => p.manyToOne(User).index(),
    organisation: () => p.manyToOne(Organisation).index(),
    validFrom: p.datetime(),
    validTo: p.datetime().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    /** Who recorded the placement and who ended it (null: the seed, or the employment's end). */
    createdBy: () => p.manyToOne(User).nullable(),
    endedBy: () => p.manyToOne(User).nullable(),
  },
});
export class Placement extends PlacementSchema.class {}
PlacementSchema.setClass(Placement);

/**
 * How many people an organisation employs (users.employer_id), kept by a trigger on users in the
 * changing transaction: the staff list sizes a scope by summing these over its organisations
 * instead of counting people. Per employer, not per subtree, so moving a subtree changes nothing here.
 */
export const EmployerHeadcountSchema = defineEntity({
  name: 'EmployerHeadcount',
  tableName: 'employer_headcounts',
  properties: {
    employer: () => p.manyToOne(Organisation).primary(),
    n: p.integer(),
  },
});
export class EmployerHeadcount extends EmployerHeadcountSchema.class {}
EmployerHeadcountSchema.setClass(EmployerHeadcount);
