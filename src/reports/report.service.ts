import type { Policy } from '../auth/policy.js';
import type { Em } from '../db/orm.js';
import { and, execute, Sql, sql } from '../db/sql.js';
import { InvalidArgument } from '../domain/errors.js';
import { ACTIVE_NOW_NONE, type ReportSource, SummaryReportSource } from './report.source.js';
import { monthStart, timestamp } from './summaries.js';

const MAX_DAYS = 3660;

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
  private readonly source: ReportSource;

  constructor(
    private readonly em: Em,
    private readonly policy: Policy,
    /** Where figures are read from: the maintained summaries unless a test passes its reference. */
    options: { source?: ReportSource } = {},
  ) {
    this.source = options.source ?? new SummaryReportSource(em, policy);
  }

  async grantStatistics(filter: { serviceId?: string | null; organisationPath?: string | null; organisationId?: string | null; asOf?: Date | null }): Promise<GrantStatistics> {
    if (filter.asOf && filter.asOf.getTime() > Date.now()) throw new InvalidArgument('`asOf` cannot be in the future.', 'asOf');
    const asOf = filter.asOf ?? null;
    const source = await this.source.grantGroups(asOf);
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
    const flows = this.source.grantFlows(lo, hi, serviceId);
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

  /** How many grants `expiringGrants` lists (from the summaries: see SummaryReportSource). */
  expiringGrantsCount(withinDays: number, serviceId: string | null): Promise<number> {
    return this.source.expiringGrantsCount(this.expiringGrants(withinDays, serviceId), withinDays, serviceId);
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

  /** How many people `peopleWithoutActiveGrant` lists (from the summaries: see SummaryReportSource). */
  peopleWithoutActiveGrantCount(organisationPath: string | null): Promise<number> {
    return this.source.peopleWithoutActiveGrantCount(this.peopleWithoutActiveGrant(organisationPath), organisationPath);
  }

  inactiveOrderers(idleDays: number): Sql {
    days(idleDays, 'days');
    return and([
      this.policy.readableAppointments('t'),
      sql`t.state = 'approved' and t.valid_from <= now() and (t.valid_to is null or t.valid_to > now())`,
      sql`not exists (select 1 from orders io where io.ordered_by_id = t.user_id and io.service_id = t.service_id and io.submitted_at > now() - ${idleDays} * interval '1 day')`,
    ]);
  }

  private async labels(table: string, column: string, ids: string[]): Promise<Map<string, string>> {
    const valid = ids.filter((id) => /^[0-9a-f-]{36}$/.test(id));
    if (valid.length === 0) return new Map();
    const rows = await execute<{ id: string; label: string }>(this.em, sql`select id, ${Sql.raw(column)} as label from ${Sql.raw(table)} where id in (${valid})`);
    return new Map(rows.map((r) => [r.id, r.label]));
  }
}
