import type { Policy } from '../auth/policy.js';
import type { Em } from '../db/orm.js';
import { and, execute, Sql, sql } from '../db/sql.js';
import { InvalidArgument } from '../domain/errors.js';
import { existedAt, monthStart, snapshotFor, stateAt, timestamp } from './summaries.js';

const moment = (at: Date | null | undefined): Sql => (at ? timestamp(at) : Sql.raw('now()'));

const MAX_DAYS = 3660;

/** An id no person has: stands for the viewer when there is none. */
const NOT_A_USER = '00000000-0000-0000-0000-000000000000';

/**
 * The employer of grant g's holder, probed per grant: these correction sets are small, and a join lets
 * the planner hash all 500,000 people when it overestimates them.
 */
const HOLDER_EMPLOYER = Sql.raw('(select hu.employer_id from users hu where hu.id = g.user_id)');

/** Person `t` holds no grant in force now. */
const ACTIVE_NOW_NONE = Sql.raw(`not exists (select 1 from grants ag where ag.user_id = t.id and ag.state = 'active' and ag.valid_from <= now() and (ag.valid_to is null or ag.valid_to > now()))`);

/** A number of days a report looks ahead or back: a whole number from 0 to ten years. */
function days(n: number, name: string): number {
  if (!Number.isInteger(n) || n < 0 || n > MAX_DAYS) throw new InvalidArgument(`\`${name}\` must be between 0 and ${MAX_DAYS}.`, name);
  return n;
}

function range(from: Date, to: Date): void {
  if (to <= from) throw new InvalidArgument('`to` must be later than `from`.', 'to');
  if (to.getTime() - from.getTime() > 10 * 366 * 86_400_000) throw new InvalidArgument('A range may span at most ten years.', 'to');
}

export interface CountRow {
  key: string;
  label: string;
  count: number;
}

export interface OrganisationCountRow {
  organisationId: string;
  name: string;
  /** Grants of people employed in the organisation's whole subtree. */
  subtreeTotal: number;
}

export interface GrantStatistics {
  total: number;
  byService: CountRow[];
  byRole: CountRow[];
  byState: CountRow[];
  byOrganisation: OrganisationCountRow[];
}

export interface WaitingRow {
  issuerId: string;
  issuerName: string;
  waiting: number;
  underOneDay: number;
  oneToSevenDays: number;
  sevenToThirtyDays: number;
  overThirtyDays: number;
  oldestSubmittedAt: Date;
}

export interface WorkloadRow {
  issuerId: string;
  issuerName: string;
  weekStart: Date;
  decided: number;
  medianHoursToDecision: number;
}

export interface TrendRow {
  month: Date;
  issued: number;
  ended: number;
}

/**
 * Reports for dashboards, each one SQL statement filtered by the viewer's policy exactly as the
 * detail lists are, so totals and lists agree.
 */
export class ReportService {
  constructor(
    private readonly em: Em,
    private readonly policy: Policy,
    /** `raw`: compute from the grants themselves, bypassing the summaries (the reference the tests compare with). */
    private readonly options: { raw?: boolean } = {},
  ) {}

  async grantStatistics(filter: { serviceId?: string | null; organisationPath?: string | null; organisationId?: string | null; asOf?: Date | null }): Promise<GrantStatistics> {
    if (filter.asOf && filter.asOf.getTime() > Date.now()) throw new InvalidArgument('`asOf` cannot be in the future.', 'asOf');
    const asOf = filter.asOf ?? null;
    const source = await this.grantGroups(asOf);
    const where: Sql[] = [];
    if (filter.serviceId) where.push(sql`s.service_id = ${filter.serviceId}`);
    if (filter.organisationPath) where.push(sql`s.path like ${`${filter.organisationPath}%`}`);
    const child = filter.organisationPath ? sql`split_part(substr(s.path, ${filter.organisationPath.length + 1}), '/', 1)` : sql`split_part(s.path, '/', 1)`;
    // Grouping sets give every breakdown in one pass, and the child subtree of each row's employer.
    const rows = await execute<{ service_id: string | null; role_id: string | null; state: string | null; child: string | null; n: number; g_service: number; g_role: number; g_state: number; g_child: number }>(
      this.em,
      // Summed per (service, role, state, child) first: the grouping sets then run over a few thousand rows, not one per tally.
      sql`with scoped as (select s.service_id, s.role_id, s.state, ${child} as child, sum(s.n) as n from (${source}) s where ${and(where)} group by 1, 2, 3, 4)
        select service_id, role_id, state, child, sum(n)::int as n,
          grouping(service_id)::int as g_service, grouping(role_id)::int as g_role, grouping(state)::int as g_state, grouping(child)::int as g_child
        from scoped group by grouping sets ((), (service_id), (role_id), (state), (child))`,
    );
    const total = rows.find((r) => r.g_service && r.g_role && r.g_state && r.g_child)?.n ?? 0;
    // Summaries can hold groups that netted to zero; the breakdowns show only what exists.
    const pick = (flag: 'g_service' | 'g_role' | 'g_state' | 'g_child', col: 'service_id' | 'role_id' | 'state' | 'child') =>
      rows
        .filter((r) => !r[flag] && Number(r.n) !== 0 && ['g_service', 'g_role', 'g_state', 'g_child'].filter((f) => f !== flag).every((f) => r[f as typeof flag]))
        .map((r) => ({ key: String(r[col]), count: Number(r.n) }));
    const services = await this.labels('services', 'code', pick('g_service', 'service_id').map((r) => r.key));
    const roles = await this.labels('service_roles', 'name', pick('g_role', 'role_id').map((r) => r.key));
    const children = pick('g_child', 'child').filter((r) => r.key !== '');
    const orgNames = await this.labels('organisations', 'name', children.map((r) => r.key));
    const sortCount = (a: CountRow, b: CountRow) => b.count - a.count || a.label.localeCompare(b.label);
    return {
      total: Number(total),
      byService: pick('g_service', 'service_id').map((r) => ({ ...r, label: services.get(r.key) ?? r.key })).sort(sortCount),
      byRole: pick('g_role', 'role_id').map((r) => ({ ...r, label: roles.get(r.key) ?? r.key })).sort(sortCount),
      byState: pick('g_state', 'state').map((r) => ({ ...r, label: r.key })).sort(sortCount),
      byOrganisation: children
        .map((r) => ({ organisationId: r.key, name: orgNames.get(r.key) ?? r.key, subtreeTotal: r.count }))
        .sort((a, b) => b.subtreeTotal - a.subtreeTotal || a.name.localeCompare(b.name)),
    };
  }

  /**
   * The readable grants as they were at `asOf` (now when null), as rows of (path of the holder's
   * employer, service_id, role_id, state, n). From the maintained summaries unless `raw` was asked
   * (or no snapshot covers `asOf`): the tallies plus the changes not yet folded for now; the monthly
   * snapshot before `asOf` corrected by the grants that changed since for a past moment. The viewer's
   * own grants outside their roles' scope are added from the grants themselves.
   */
  private async grantGroups(asOf: Date | null): Promise<Sql> {
    const groups = (alias: string) => this.policy.readableGrantGroups('e', Sql.raw(`${alias}.service_id`));
    const at = moment(asOf);
    const own = sql`select o.employer_path, o.service_id, o.role_id, ${stateAt('o', at)}, 1 from ${this.ownGrantsOutsideRoles()} o where ${existedAt('o', at)}`;
    const snapshot = asOf && !this.options.raw ? await snapshotFor(this.em, asOf) : null;
    if (this.options.raw || (asOf && !snapshot)) {
      return sql`select e.path, g.service_id, g.role_id, ${stateAt('g', at)} as state, 1 as n
        from grants g join users u on u.id = g.user_id join organisations e on e.id = u.employer_id
        where ${this.policy.readableGrants('g')} and ${existedAt('g', at)}`;
    }
    if (!snapshot) {
      // Stored states, corrected where the clock has moved on: past validTo but not yet marked expired, or not yet begun.
      return sql`select e.path, t.service_id, t.role_id, t.state, t.n from (
          select employer_id, service_id, role_id, state, n from grant_tallies
          union all select employer_id, service_id, role_id, state, n from grant_summary_deltas
          union all select ${HOLDER_EMPLOYER}, g.service_id, g.role_id, g.state, -1 from grants g
            where (g.state in ('active', 'suspended') and g.valid_to <= now()) or g.valid_from > now()
          union all select ${HOLDER_EMPLOYER}, g.service_id, g.role_id, 'expired', 1 from grants g
            where g.state in ('active', 'suspended') and g.valid_to <= now() and g.valid_from <= now()
        ) t join organisations e on e.id = t.employer_id where ${groups('t')}
        union all ${own}`;
    }
    // Whichever side of `asOf` the snapshot lies, a grant counts differently at the two moments only if
    // one of its dates falls between them: correct by exactly those grants.
    const base = timestamp(snapshot);
    const [lo, hi] = snapshot <= asOf! ? [base, at] : [at, base];
    const between = (column: string) => sql`(c.${Sql.raw(column)} > ${lo} and c.${Sql.raw(column)} <= ${hi})`;
    return sql`with changed as materialized (
        select * from grants c where ${between('created_at')} or ${between('valid_from')} or ${between('ended_at')} or ${between('valid_to')} or ${between('suspended_at')}
      )
      select e.path, t.service_id, t.role_id, t.state, t.n from (
        select employer_id, service_id, role_id, state, n from grant_tally_snapshots where taken_at = ${base}
        union all select u.employer_id, c.service_id, c.role_id, ${stateAt('c', base)}, -1 from changed c join users u on u.id = c.user_id where ${existedAt('c', base)}
        union all select u.employer_id, c.service_id, c.role_id, ${stateAt('c', at)}, 1 from changed c join users u on u.id = c.user_id where ${existedAt('c', at)}
      ) t join organisations e on e.id = t.employer_id where ${groups('t')}
      union all ${own}`;
  }

  /**
   * The viewer's own grants that no role of theirs already covers (those the summaries, keyed by
   * employer and service, leave out), with the path of the holder's employer.
   */
  private ownGrantsOutsideRoles(): Sql {
    return sql`(select g.*, e.path as employer_path from grants g join users u on u.id = g.user_id join organisations e on e.id = u.employer_id
      where g.user_id = ${this.policy.viewer.user?.id ?? null} and not (${this.policy.readableGrantGroups('e', Sql.raw('g.service_id'))}))`;
  }


  async ordersWaiting(serviceId: string | null): Promise<WaitingRow[]> {
    const rows = await execute<Record<string, unknown>>(
      this.em,
      sql`select o.decider_id, d.name, count(*)::int as waiting,
          count(*) filter (where now() - o.submitted_at < interval '1 day')::int as d1,
          count(*) filter (where now() - o.submitted_at >= interval '1 day' and now() - o.submitted_at < interval '7 days')::int as d7,
          count(*) filter (where now() - o.submitted_at >= interval '7 days' and now() - o.submitted_at < interval '30 days')::int as d30,
          count(*) filter (where now() - o.submitted_at >= interval '30 days')::int as dmore,
          min(o.submitted_at) as oldest
        from orders o join organisations d on d.id = o.decider_id
        where o.state = 'submitted' and ${this.policy.readableOrders('o')} ${serviceId ? sql`and o.service_id = ${serviceId}` : sql``}
        group by o.decider_id, d.name order by waiting desc, d.name`,
    );
    return rows.map((r) => ({
      issuerId: String(r.decider_id),
      issuerName: String(r.name),
      waiting: Number(r.waiting),
      underOneDay: Number(r.d1),
      oneToSevenDays: Number(r.d7),
      sevenToThirtyDays: Number(r.d30),
      overThirtyDays: Number(r.dmore),
      oldestSubmittedAt: new Date(r.oldest as string),
    }));
  }

  async issuerWorkload(serviceId: string | null, from: Date, to: Date): Promise<WorkloadRow[]> {
    range(from, to);
    const rows = await execute<Record<string, unknown>>(
      this.em,
      sql`select o.decider_id, d.name, date_trunc('week', o.decided_at) as week, count(*)::int as decided,
          percentile_cont(0.5) within group (order by extract(epoch from o.decided_at - o.submitted_at) / 3600) as median_hours
        from orders o join organisations d on d.id = o.decider_id
        where o.state in ('approved', 'rejected') and o.decided_at >= ${from.toISOString()}::timestamptz and o.decided_at < ${to.toISOString()}::timestamptz
          and ${this.policy.readableOrders('o')} ${serviceId ? sql`and o.service_id = ${serviceId}` : sql``}
        group by o.decider_id, d.name, week order by week, d.name`,
    );
    return rows.map((r) => ({
      issuerId: String(r.decider_id),
      issuerName: String(r.name),
      weekStart: new Date(r.week as string),
      decided: Number(r.decided),
      medianHoursToDecision: Math.round(Number(r.median_hours) * 10) / 10,
    }));
  }

  /**
   * Grants issued (by when they were created) and ended (by when they ended) per calendar month (UTC),
   * from the month of `from` through the month of `to`, each month whole (the current one so far).
   */
  async grantTrend(serviceId: string | null, from: Date, to: Date): Promise<TrendRow[]> {
    range(from, to);
    // Constants, not date_trunc(…) in SQL: a stable function in a filter is evaluated again for every row.
    const lo = timestamp(monthStart(from));
    const hi = timestamp(monthStart(to));
    const service = (alias: string) => (serviceId ? sql`and ${Sql.raw(alias)}.service_id = ${serviceId}` : sql``);
    // Each grant counts in the month it was created and, once ended, in the month it ended.
    const monthsOf = (g: string) => sql`cross join lateral (values (date_trunc('month', ${Sql.raw(g)}.created_at, 'UTC'), 1, 0), (date_trunc('month', ${Sql.raw(g)}.ended_at, 'UTC'), 0, 1)) as v (month, issued, ended)`;
    const flows = this.options.raw
      ? sql`select v.month, v.issued, v.ended from grants g ${monthsOf('g')}
          where v.month between ${lo} and ${hi} and ${this.policy.readableGrants('g')} ${service('g')}`
      : sql`select f.month, f.issued, f.ended from (
            select month, employer_id, service_id, issued, ended from grant_month_flows where month between ${lo} and ${hi}
            union all select issued_month, employer_id, service_id, n, 0 from grant_summary_deltas where issued_month between ${lo} and ${hi}
            union all select ended_month, employer_id, service_id, 0, n from grant_summary_deltas where ended_month between ${lo} and ${hi}
          ) f join organisations e on e.id = f.employer_id where ${this.policy.readableGrantGroups('e', Sql.raw('f.service_id'))} ${service('f')}
          union all select v.month, v.issued, v.ended from ${this.ownGrantsOutsideRoles()} o ${monthsOf('o')}
            where v.month between ${lo} and ${hi} ${service('o')}`;
    const rows = await execute<Record<string, unknown>>(
      this.em,
      sql`with months as (select generate_series(${lo}, ${hi}, interval '1 month') as month),
        flows as (select month, sum(issued)::int as issued, sum(ended)::int as ended from (${flows}) x group by month)
        select m.month, coalesce(f.issued, 0) as issued, coalesce(f.ended, 0) as ended
        from months m left join flows f on f.month = m.month order by m.month`,
    );
    return rows.map((r) => ({ month: new Date(r.month as string), issued: Number(r.issued), ended: Number(r.ended) }));
  }

  /** Conditions for the detail lists behind the reports (expiring grants, people without access, idle orderers). */
  expiringGrants(withinDays: number, serviceId: string | null): Sql {
    days(withinDays, 'withinDays');
    return and([
      this.policy.readableGrants('t'),
      sql`t.state = 'active' and t.valid_to is not null and t.valid_to > now() and t.valid_to <= now() + ${withinDays} * interval '1 day'`,
      serviceId ? sql`t.service_id = ${serviceId}` : Sql.raw('true'),
    ]);
  }

  /**
   * How many grants `expiringGrants` lists: whole UTC days inside the window from the expiry tallies
   * (plus changes not yet folded), the partial first and last day from the grants themselves.
   */
  async expiringGrantsCount(withinDays: number, serviceId: string | null): Promise<number> {
    const where = this.expiringGrants(withinDays, serviceId);
    if (this.options.raw) return this.count(sql`select count(*)::int as n from grants t where ${where}`);
    // Whole days d with now < d and d + 1 day <= now + withinDays: lo <= d < hi.
    const lo = sql`(date_trunc('day', now(), 'UTC') + interval '1 day')`;
    const hi = sql`date_trunc('day', now() + ${withinDays} * interval '1 day', 'UTC')`;
    const service = (alias: string) => (serviceId ? sql`and ${Sql.raw(alias)}.service_id = ${serviceId}` : sql``);
    return this.count(sql`select (
        (select coalesce(sum(x.n), 0) from (
            select expires_on, employer_id, service_id, n from grant_expiry_tallies where expires_on >= ${lo} and expires_on < ${hi}
            union all select expires_on, employer_id, service_id, n from grant_summary_deltas where expires_on >= ${lo} and expires_on < ${hi}
          ) x join organisations e on e.id = x.employer_id where ${this.policy.readableGrantGroups('e', Sql.raw('x.service_id'))} ${service('x')})
        + (select count(*) from ${this.ownGrantsOutsideRoles()} o where o.state = 'active' and o.valid_to >= ${lo} and o.valid_to < ${hi} ${service('o')})
        + (select count(*) from grants t where ${where} and t.valid_to < ${lo})
        + (select count(*) from grants t where ${where} and t.valid_to >= greatest(${lo}, ${hi}))
      )::int as n`);
  }

  /** The condition peopleWithoutActiveGrant adds to "people the viewer may see" (alias t). */
  withoutGrantInForce(): Sql {
    return ACTIVE_NOW_NONE;
  }

  peopleWithoutActiveGrant(organisationPath: string | null): Sql {
    return and([
      this.policy.readableUsers('t'),
      ACTIVE_NOW_NONE,
      organisationPath ? sql`exists (select 1 from organisations e where e.id = t.employer_id and e.path like ${`${organisationPath}%`})` : Sql.raw('true'),
    ]);
  }

  /**
   * How many people `peopleWithoutActiveGrant` lists: people without a grant in stored state active,
   * per employer in scope (idle_people_tallies plus changes not yet folded), and those whose stored
   * active grants are all out of force now (not begun, or past validTo and not yet expired). The
   * viewer is counted by the list's own predicate.
   */
  async peopleWithoutActiveGrantCount(organisationPath: string | null): Promise<number> {
    const where = this.peopleWithoutActiveGrant(organisationPath);
    if (this.options.raw) return this.count(sql`select count(*)::int as n from users t where ${where}`);
    const people = this.policy.readablePeople();
    const self = people?.self ?? NOT_A_USER;
    // The employers whose people readableUsers reaches through a role (the viewer themself is counted apart).
    const employers = people?.employers ? people.employers('o') : null;
    const under = organisationPath ? sql`and o.path like ${`${organisationPath}%`}` : sql``;
    // Materialized in this order on purpose: the out-of-force people are few, the scope is thousands of employers.
    return this.count(sql`with scope as materialized (
        select o.id as employer_id from organisations o where ${employers ?? Sql.raw('false')} ${under}
      ),
      out_of_force as materialized (
        select t.id, (select u.employer_id from users u where u.id = t.id) as employer_id from (
            select g.user_id as id from grants g where g.state = 'active' and g.valid_to <= now()
            union select g.user_id from grants g where g.state = 'active' and g.valid_from > now()
          ) t
        where t.id <> ${self} and ${ACTIVE_NOW_NONE}
      )
      select (
        (select coalesce(sum(i.n), 0) from (select employer_id, n from idle_people_tallies union all select employer_id, n from idle_people_deltas) i
          where i.employer_id in (select employer_id from scope))
        + (select count(*) from out_of_force t where t.employer_id in (select employer_id from scope))
        - (select count(*) from users t where t.id = ${self} and t.employer_id in (select employer_id from scope)
            and not exists (select 1 from person_active_grants p where p.user_id = t.id and p.n > 0))
        + (select count(*) from users t where t.id = ${self} and ${where})
      )::int as n`);
  }

  inactiveOrderers(idleDays: number): Sql {
    days(idleDays, 'days');
    return and([
      this.policy.readableAppointments('t'),
      sql`t.state = 'approved' and t.valid_from <= now() and (t.valid_to is null or t.valid_to > now())`,
      sql`not exists (select 1 from orders io where io.ordered_by_id = t.user_id and io.service_id = t.service_id and io.submitted_at > now() - ${idleDays} * interval '1 day')`,
    ]);
  }

  private async count(statement: Sql): Promise<number> {
    const [row] = await execute<{ n: number }>(this.em, statement);
    return Number(row.n);
  }

  private async labels(table: string, column: string, ids: string[]): Promise<Map<string, string>> {
    const valid = ids.filter((id) => /^[0-9a-f-]{36}$/.test(id));
    if (valid.length === 0) return new Map();
    const rows = await execute<{ id: string; label: string }>(this.em, sql`select id, ${Sql.raw(column)} as label from ${Sql.raw(table)} where id in (${valid})`);
    return new Map(rows.map((r) => [r.id, r.label]));
  }
}
