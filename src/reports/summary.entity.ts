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
});
export class GrantMonthFlow extends GrantMonthFlowSchema.class {}
GrantMonthFlowSchema.setClass(GrantMonthFlow);

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
