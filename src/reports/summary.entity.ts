import { defineEntity, p } from '@mikro-orm/core';

/*
 * Maintained summaries behind the grant reports. Never written by the application: a trigger on
 * grants (and on users' employer) appends ±1 rows to grant_summary_deltas in the same transaction as
 * the change, and the summary job folds them into grant_tallies and grant_month_flows. Readers add the
 * deltas not yet folded, so a report is exact at the moment of its statement. Keys are employer × service
 * because that is what a reader's scope is made of (see Policy.readableGrantGroups).
 */

/** One ±1 change of a grant's (employer, service, role, state, month issued, month ended). */
export const GrantSummaryDeltaSchema = defineEntity({
  name: 'GrantSummaryDelta',
  tableName: 'grant_summary_deltas',
  properties: {
    id: p.bigint().primary().autoincrement(),
    employerId: p.uuid(),
    serviceId: p.uuid(),
    roleId: p.uuid(),
    state: p.string().length(16),
    issuedMonth: p.datetime(),
    endedMonth: p.datetime().nullable(),
    /** The UTC day of validTo while the grant is stored `active` (null otherwise, or without an end). */
    expiresOn: p.datetime().nullable(),
    n: p.integer(),
  },
});
export class GrantSummaryDelta extends GrantSummaryDeltaSchema.class {}
GrantSummaryDeltaSchema.setClass(GrantSummaryDelta);

/** Grants by their stored state, per employer, service and role. */
export const GrantTallySchema = defineEntity({
  name: 'GrantTally',
  tableName: 'grant_tallies',
  properties: {
    employerId: p.uuid().primary(),
    serviceId: p.uuid().primary(),
    roleId: p.uuid().primary(),
    state: p.string().length(16).primary(),
    n: p.integer(),
  },
});
export class GrantTally extends GrantTallySchema.class {}
GrantTallySchema.setClass(GrantTally);

/** grant_tallies summed over every employer, per service, role and state (see GrantMonthTotal). */
export const GrantTallyTotalSchema = defineEntity({
  name: 'GrantTallyTotal',
  tableName: 'grant_tally_totals',
  properties: {
    serviceId: p.uuid().primary(),
    roleId: p.uuid().primary(),
    state: p.string().length(16).primary(),
    n: p.integer(),
  },
});
export class GrantTallyTotal extends GrantTallyTotalSchema.class {}
GrantTallyTotalSchema.setClass(GrantTallyTotal);

/** grant_tallies summed over roles and states, per employer and service: the subtree totals of grant statistics. */
export const GrantEmployerTotalSchema = defineEntity({
  name: 'GrantEmployerTotal',
  tableName: 'grant_employer_totals',
  properties: {
    employerId: p.uuid().primary(),
    serviceId: p.uuid().primary(),
    n: p.integer(),
  },
});
export class GrantEmployerTotal extends GrantEmployerTotalSchema.class {}
GrantEmployerTotalSchema.setClass(GrantEmployerTotal);

/** Grants issued (by created_at) and ended (by ended_at) per month (UTC), employer and service. */
export const GrantMonthFlowSchema = defineEntity({
  name: 'GrantMonthFlow',
  tableName: 'grant_month_flows',
  properties: {
    month: p.datetime().primary(),
    employerId: p.uuid().primary(),
    serviceId: p.uuid().primary(),
    issued: p.integer(),
    ended: p.integer(),
  },
  // A scope that leaves out only a few employers reads the service totals minus theirs, one probe each.
  indexes: [{ name: 'grant_month_flows_employer_idx', properties: ['employerId', 'serviceId', 'month'] }],
});
export class GrantMonthFlow extends GrantMonthFlowSchema.class {}
GrantMonthFlowSchema.setClass(GrantMonthFlow);

/**
 * grant_month_flows summed over every employer, per month and service, folded in the same statement:
 * a scope that covers most employers reads these minus the employers it leaves out.
 */
export const GrantMonthTotalSchema = defineEntity({
  name: 'GrantMonthTotal',
  tableName: 'grant_month_totals',
  properties: {
    month: p.datetime().primary(),
    serviceId: p.uuid().primary(),
    issued: p.integer(),
    ended: p.integer(),
  },
});
export class GrantMonthTotal extends GrantMonthTotalSchema.class {}
GrantMonthTotalSchema.setClass(GrantMonthTotal);

/**
 * Grants by their state as it was at `takenAt` (the first instant of a month, UTC), per employer,
 * service and role: the base that `grantStatistics(asOf:)` corrects to the exact moment asked.
 */
export const GrantTallySnapshotSchema = defineEntity({
  name: 'GrantTallySnapshot',
  tableName: 'grant_tally_snapshots',
  properties: {
    takenAt: p.datetime().primary(),
    employerId: p.uuid().primary(),
    serviceId: p.uuid().primary(),
    roleId: p.uuid().primary(),
    state: p.string().length(16).primary(),
    n: p.integer(),
  },
});
export class GrantTallySnapshot extends GrantTallySnapshotSchema.class {}
GrantTallySnapshotSchema.setClass(GrantTallySnapshot);

/** grant_tally_snapshots summed over every employer, per snapshot, service, role and state (see GrantTallyTotal). */
export const GrantSnapshotTotalSchema = defineEntity({
  name: 'GrantSnapshotTotal',
  tableName: 'grant_snapshot_totals',
  properties: {
    takenAt: p.datetime().primary(),
    serviceId: p.uuid().primary(),
    roleId: p.uuid().primary(),
    state: p.string().length(16).primary(),
    n: p.integer(),
  },
});
export class GrantSnapshotTotal extends GrantSnapshotTotalSchema.class {}
GrantSnapshotTotalSchema.setClass(GrantSnapshotTotal);

/** grant_tally_snapshots summed over roles and states, per snapshot, employer and service (see GrantEmployerTotal). */
export const GrantSnapshotEmployerTotalSchema = defineEntity({
  name: 'GrantSnapshotEmployerTotal',
  tableName: 'grant_snapshot_employer_totals',
  properties: {
    takenAt: p.datetime().primary(),
    employerId: p.uuid().primary(),
    serviceId: p.uuid().primary(),
    n: p.integer(),
  },
});
export class GrantSnapshotEmployerTotal extends GrantSnapshotEmployerTotalSchema.class {}
GrantSnapshotEmployerTotalSchema.setClass(GrantSnapshotEmployerTotal);

/**
 * Grants in stored state `active` per person, kept by the grant trigger in the changing transaction
 * (one row per person: only changes to the same person's grants wait on each other). A person's
 * count going 0 → 1 or 1 → 0 appends to idle_people_deltas.
 */
export const PersonActiveGrantsSchema = defineEntity({
  name: 'PersonActiveGrants',
  tableName: 'person_active_grants',
  properties: {
    userId: p.uuid().primary(),
    n: p.integer(),
  },
});
export class PersonActiveGrants extends PersonActiveGrantsSchema.class {}
PersonActiveGrantsSchema.setClass(PersonActiveGrants);

/** One ±1 change of the number of people employed at an organisation who hold no grant in stored state `active`. */
export const IdlePeopleDeltaSchema = defineEntity({
  name: 'IdlePeopleDelta',
  tableName: 'idle_people_deltas',
  properties: {
    id: p.bigint().primary().autoincrement(),
    employerId: p.uuid(),
    n: p.integer(),
  },
});
export class IdlePeopleDelta extends IdlePeopleDeltaSchema.class {}
IdlePeopleDeltaSchema.setClass(IdlePeopleDelta);

/** People per employer who hold no grant in stored state `active` (folded from idle_people_deltas). */
export const IdlePeopleTallySchema = defineEntity({
  name: 'IdlePeopleTally',
  tableName: 'idle_people_tallies',
  properties: {
    employerId: p.uuid().primary(),
    n: p.integer(),
  },
});
export class IdlePeopleTally extends IdlePeopleTallySchema.class {}
IdlePeopleTallySchema.setClass(IdlePeopleTally);

/**
 * Grants in stored state `active` with an end, by the UTC day of `validTo`, employer and service
 * (folded from the grant deltas' `expiresOn`): `grantsExpiring` counts whole days from here.
 */
export const GrantExpiryTallySchema = defineEntity({
  name: 'GrantExpiryTally',
  tableName: 'grant_expiry_tallies',
  properties: {
    expiresOn: p.datetime().primary(),
    employerId: p.uuid().primary(),
    serviceId: p.uuid().primary(),
    n: p.integer(),
  },
  indexes: [{ name: 'grant_expiry_tallies_employer_idx', properties: ['employerId', 'serviceId', 'expiresOn'] }],
});
export class GrantExpiryTally extends GrantExpiryTallySchema.class {}
GrantExpiryTallySchema.setClass(GrantExpiryTally);

/** grant_expiry_tallies summed over every employer, per day and service (see GrantMonthTotal). */
export const GrantExpiryTotalSchema = defineEntity({
  name: 'GrantExpiryTotal',
  tableName: 'grant_expiry_totals',
  properties: {
    expiresOn: p.datetime().primary(),
    serviceId: p.uuid().primary(),
    n: p.integer(),
  },
});
export class GrantExpiryTotal extends GrantExpiryTotalSchema.class {}
GrantExpiryTotalSchema.setClass(GrantExpiryTotal);
