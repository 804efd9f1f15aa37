import type { Em } from '../db/orm.js';
import { execute, Sql, sql } from '../db/sql.js';

/** Keeps two summary folders from interleaving (their upserts would lock rows in different orders). */
const FOLD_LOCK = 7_240_001;
/** Taken shared by triggers correcting snapshots, exclusively (try) by the snapshot taker. */
export const SNAPSHOT_LOCK = 7_240_002;
/** Monthly snapshots are kept for this many months back (the reports' history). */
export const SNAPSHOT_MONTHS = 25;

/** A grant's state as it was at a moment, from its dates (the history the grant row keeps). */
export function stateAt(g: string, at: Sql): Sql {
  const c = (col: string) => Sql.raw(`${g}.${col}`);
  return sql`case
    when ${c('ended_at')} is not null and ${c('ended_at')} <= ${at} then ${c('state')}
    when ${c('valid_to')} is not null and ${c('valid_to')} <= ${at} then 'expired'
    when ${c('suspended_at')} is not null and ${c('suspended_at')} <= ${at} then 'suspended'
    else 'active' end`;
}

/** Grants that existed (were issued and had begun) at a moment. */
export function existedAt(g: string, at: Sql): Sql {
  return sql`${Sql.raw(g)}.created_at <= ${at} and ${Sql.raw(g)}.valid_from <= ${at}`;
}

export const timestamp = (at: Date): Sql => sql`${at.toISOString()}::timestamptz`;

/** The first instant (UTC) of the month of `at`. */
export function monthStart(at: Date): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));
}

/**
 * Folds the ±1 rows the grant triggers appended into grant_tallies and grant_month_flows, in one
 * transaction: readers see either the rows or their fold, never both or neither. Returns how many
 * rows it folded.
 */
export async function foldGrantSummaryDeltas(em: Em): Promise<number> {
  return em.transactional(async (tx) => {
    await execute(tx, sql`select pg_advisory_xact_lock(${FOLD_LOCK})`);
    const [row] = await execute<{ n: number }>(
      tx,
      sql`with moved as (delete from grant_summary_deltas returning employer_id, service_id, role_id, state, issued_month, ended_month, expires_on, n),
        tallied as (
          insert into grant_tallies (employer_id, service_id, role_id, state, n)
          select employer_id, service_id, role_id, state, sum(n) from moved group by 1, 2, 3, 4 order by 1, 2, 3, 4
          on conflict (employer_id, service_id, role_id, state) do update set n = grant_tallies.n + excluded.n
        ),
        flowed as (
          insert into grant_month_flows (month, employer_id, service_id, issued, ended)
          select month, employer_id, service_id, sum(issued), sum(ended) from (
            select issued_month as month, employer_id, service_id, n as issued, 0 as ended from moved
            union all select ended_month, employer_id, service_id, 0, n from moved where ended_month is not null
          ) x group by 1, 2, 3 order by 1, 2, 3
          on conflict (month, employer_id, service_id) do update set issued = grant_month_flows.issued + excluded.issued, ended = grant_month_flows.ended + excluded.ended
        ),
        expiring as (
          insert into grant_expiry_tallies (expires_on, employer_id, service_id, n)
          select expires_on, employer_id, service_id, sum(n) from moved where expires_on is not null group by 1, 2, 3 order by 1, 2, 3
          on conflict (expires_on, employer_id, service_id) do update set n = grant_expiry_tallies.n + excluded.n
        )
        select count(*)::int as n from moved`,
    );
    const [idle] = await execute<{ n: number }>(
      tx,
      sql`with moved as (delete from idle_people_deltas returning employer_id, n),
        tallied as (
          insert into idle_people_tallies (employer_id, n)
          select employer_id, sum(n) from moved group by 1 order by 1
          on conflict (employer_id) do update set n = idle_people_tallies.n + excluded.n
        )
        select count(*)::int as n from moved`,
    );
    return Number(row.n) + Number(idle.n);
  });
}

/**
 * Takes the monthly snapshots (grants by their state at the first instant of each month) that are
 * missing for the last SNAPSHOT_MONTHS months, from the month of the oldest grant on. Each is
 * computed from the grants' dates, so one taken late equals one taken on time. Returns the months taken.
 */
export async function takeGrantSnapshots(em: Em, now = new Date(), onMonth?: (month: Date, index: number, of: number) => void): Promise<Date[]> {
  const [{ oldest }] = await execute<{ oldest: string | Date | null }>(em, sql`select min(created_at) as oldest from grants`);
  if (!oldest) return [];
  const current = monthStart(now);
  // The first month start at or after the oldest grant: an earlier snapshot would hold nothing.
  const oldestMonth = monthStart(new Date(oldest));
  const afterOldest = oldestMonth.getTime() < new Date(oldest).getTime() ? new Date(Date.UTC(oldestMonth.getUTCFullYear(), oldestMonth.getUTCMonth() + 1, 1)) : oldestMonth;
  const first = new Date(Math.max(afterOldest.getTime(), Date.UTC(current.getUTCFullYear(), current.getUTCMonth() - (SNAPSHOT_MONTHS - 1), 1)));
  const months: string[] = [];
  for (let m = first; m <= current; m = new Date(Date.UTC(m.getUTCFullYear(), m.getUTCMonth() + 1, 1))) months.push(m.toISOString());
  // One index probe a month (this runs every few seconds; the table holds millions of rows).
  const missing = (
    await execute<{ m: string | Date }>(
      em,
      sql`select m from unnest(${`{${months.join(',')}}`}::timestamptz[]) m where not exists (select 1 from grant_tally_snapshots s where s.taken_at = m) order by m`,
    )
  ).map((r) => new Date(r.m));
  const taken: Date[] = [];
  for (const [i, month] of missing.entries()) {
    onMonth?.(month, i, missing.length);
    const done = await em.transactional(async (tx) => {
      const [lock] = await execute<{ ok: boolean }>(tx, sql`select pg_try_advisory_xact_lock(${SNAPSHOT_LOCK}) as ok`);
      if (!lock.ok) return false as const; // another instance is taking them
      const at = timestamp(month);
      const [row] = await execute<{ n: number }>(
        tx,
        sql`with taken as (
            insert into grant_tally_snapshots (taken_at, employer_id, service_id, role_id, state, n)
            select ${at}, u.employer_id, g.service_id, g.role_id, ${stateAt('g', at)}, count(*)
            from grants g join users u on u.id = g.user_id where ${existedAt('g', at)} group by 2, 3, 4, 5
            on conflict do nothing returning 1)
          select count(*)::int as n from taken`,
      );
      return Number(row.n);
    });
    if (done === false) break;
    // A month in which no grant existed yet leaves no rows; it is looked at again, and not reported.
    if (done > 0) taken.push(month);
  }
  return taken;
}

/**
 * The snapshot nearest to `at` (before or after it), if one lies within 16 days: the correction
 * reads the grants that changed between the two, so the nearer the fewer.
 */
export async function snapshotFor(em: Em, at: Date): Promise<Date | null> {
  const [row] = await execute<{ taken_at: string | Date }>(
    em,
    sql`select taken_at from (
        (select taken_at from grant_tally_snapshots where taken_at <= ${timestamp(at)} and taken_at >= ${timestamp(at)} - interval '16 days' order by taken_at desc limit 1)
        union all
        (select taken_at from grant_tally_snapshots where taken_at > ${timestamp(at)} and taken_at <= ${timestamp(at)} + interval '16 days' order by taken_at limit 1)
      ) nearest order by abs(extract(epoch from taken_at - ${timestamp(at)})) limit 1`,
  );
  return row ? new Date(row.taken_at) : null;
}

/**
 * Fills the summaries of active grants (per person, idle people per employer, expiry days) from the
 * grants and people themselves: run by rebuildGrantSummaries and by the migration that added them.
 */
export const ACTIVE_GRANT_SUMMARIES = [
  `insert into person_active_grants (user_id, n) select user_id, count(*) from grants where state = 'active' group by 1`,
  `insert into idle_people_tallies (employer_id, n)
    select u.employer_id, count(*) from users u where u.employer_id is not null and not exists (select 1 from person_active_grants p where p.user_id = u.id) group by 1`,
  `insert into grant_expiry_tallies (expires_on, employer_id, service_id, n)
    select date_trunc('day', g.valid_to, 'UTC'), u.employer_id, g.service_id, count(*) from grants g join users u on u.id = g.user_id
    where g.state = 'active' and g.valid_to is not null group by 1, 2, 3`,
];

/** Rebuilds every summary from the grants (after a bulk load that bypassed the triggers). */
export async function rebuildGrantSummaries(em: Em): Promise<void> {
  await em.transactional(async (tx) => {
    await execute(tx, sql`select pg_advisory_xact_lock(${FOLD_LOCK})`);
    await execute(tx, sql`delete from grant_summary_deltas`);
    await execute(tx, sql`delete from grant_tallies`);
    await execute(tx, sql`delete from grant_month_flows`);
    await execute(tx, sql`delete from grant_tally_snapshots`);
    await execute(tx, sql`delete from grant_expiry_tallies`);
    await execute(tx, sql`delete from idle_people_deltas`);
    await execute(tx, sql`delete from idle_people_tallies`);
    await execute(tx, sql`delete from person_active_grants`);
    for (const statement of ACTIVE_GRANT_SUMMARIES) await execute(tx, Sql.raw(statement));
    await execute(
      tx,
      sql`insert into grant_tallies (employer_id, service_id, role_id, state, n)
        select u.employer_id, g.service_id, g.role_id, g.state, count(*) from grants g join users u on u.id = g.user_id group by 1, 2, 3, 4`,
    );
    await execute(
      tx,
      sql`insert into grant_month_flows (month, employer_id, service_id, issued, ended)
        select month, employer_id, service_id, sum(issued), sum(ended) from (
          select date_trunc('month', g.created_at, 'UTC') as month, u.employer_id, g.service_id, 1 as issued, 0 as ended from grants g join users u on u.id = g.user_id
          union all
          select date_trunc('month', g.ended_at, 'UTC'), u.employer_id, g.service_id, 0, 1 from grants g join users u on u.id = g.user_id where g.ended_at is not null
        ) x group by 1, 2, 3`,
    );
  });
}

/** One run of the summary job: fold the deltas, take any missing snapshot. */
export async function maintainGrantSummaries(em: Em, now = new Date()): Promise<Record<string, unknown> | null> {
  const folded = await foldGrantSummaryDeltas(em);
  const snapshots = await takeGrantSnapshots(em, now);
  return folded > 1000 || snapshots.length ? { folded, snapshots: snapshots.map((m) => m.toISOString()) } : null;
}
