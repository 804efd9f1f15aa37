import type { Actor } from '../auth/actor.js';
import type { Policy } from '../auth/policy.js';
import type { Em } from '../db/orm.js';
import { countRows, fetchPage } from '../db/paginate.js';
import type { Page, PageRequest } from '../db/paging.js';
import { and, execute, Sql, sql } from '../db/sql.js';
import { InvalidArgument } from '../domain/errors.js';
import { idOfType } from '../domain/global-id.js';
import { Grant } from '../grants/grant.entity.js';
import { OrdererAppointment } from '../orderers/orderer-appointment.entity.js';
import { NO_ORGANISATION_PATH } from '../organisations/organisation.entity.js';
import { findVisibleOrganisation } from '../organisations/organisation.service.js';
import { referenceData } from '../services/reference-data.js';
import type { User } from '../users/user.entity.js';
import { type StaffListPlan, staffList } from '../users/user.service.js';
import { ACTIVE_NOW_NONE, type ReportSource, SummaryReportSource } from './report.source.js';
import { monthStart, timestamp } from './summaries.js';

const MAX_DAYS = 3660;

/** An id nothing has: a service id that is not one narrows a report to nothing, like an unknown one. */
const NO_ID = '00000000-0000-0000-0000-000000000000';

/** A number of days a report looks ahead or back: a whole number from 0 to ten years. */
function days(n: number, name: string): number {
  if (!Number.isInteger(n) || n < 0 || n > MAX_DAYS) throw new InvalidArgument(`\`${name}\` must be between 0 and ${MAX_DAYS}.`, name);
  return n;
}

function range(from: Date, to: Date): void {
  if (to <= from) throw new InvalidArgument('`to` must be later than `from`.', 'to');
  if (to.getTime() - from.getTime() > 10 * 366 * 86_400_000) throw new InvalidArgument('A range may span at most ten years.', 'to');
}

/** The service and organisation subtree a report is narrowed to. */
export interface ReportNarrowing {
  serviceId: string | null;
  organisationPath: string | null;
  organisationId: string | null;
}

/**
 * A detail list behind a report, as every edge reads it (the GraphQL connection, the CSV export):
 * pages in the list's order, and how many rows paging through the whole list returns.
 */
export interface DetailList<T> {
  /** How many sort keys its cursors hold (what pageRequest checks a client's cursor against). */
  keyWidth: number;
  page(request: PageRequest): Promise<Page<T>>;
  count(): Promise<number>;
}

/** What linkedNames answers: names by id. */
export interface LinkedNames {
  people: Map<string, { familyName: string; givenName: string; email: string | null }>;
  organisations: Map<string, string>;
  serviceCodes: Map<string, string>;
  roleNames: Map<string, string>;
}

export interface ReportServiceOptions {
  /** Where figures are read from; the maintained summaries unless a test passes its reference. */
  source?: ReportSource;
  /** Where the lists of people change plan (the staff list's thresholds); tests force each plan. */
  staffListPlan?: Readonly<StaffListPlan>;
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
 * detail lists are, so totals and lists agree. Every edge (GraphQL, the CSV export) asks these
 * methods, and the detail lists are read through the same DetailList whichever edge pages them.
 */
export class ReportService {
  private readonly em: Em;
  private readonly policy: Policy;
  private readonly source: ReportSource;

  constructor(
    private readonly actor: Actor,
    private readonly options: ReportServiceOptions = {},
  ) {
    this.em = actor.em;
    this.policy = actor.policy;
    this.source = options.source ?? new SummaryReportSource(actor.em, actor.policy);
  }

  /**
   * The service and organisation a report is narrowed to, from their global ids. An organisation the
   * viewer cannot see narrows to nothing, exactly like one that does not exist.
   */
  async narrowing(service: string | null, organisation: string | null): Promise<ReportNarrowing> {
    const serviceId = service ? (idOfType(service, 'Service') ?? NO_ID) : null;
    if (!organisation) return { serviceId, organisationPath: null, organisationId: null };
    const id = idOfType(organisation, 'Organisation');
    const found = id ? await findVisibleOrganisation(this.em, this.policy, id) : null;
    return { serviceId, organisationPath: found?.path ?? NO_ORGANISATION_PATH, organisationId: found?.id ?? null };
  }

  async grantStatistics(filter: { serviceId?: string | null; organisationPath?: string | null; organisationId?: string | null; asOf?: Date | null }): Promise<GrantStatistics> {
    if (filter.asOf && filter.asOf.getTime() > this.actor.now().getTime()) throw new InvalidArgument('`asOf` cannot be in the future.', 'asOf');
    const asOf = filter.asOf ?? null;
    const source = await this.source.grantGroups(asOf, { serviceId: filter.serviceId ?? null, organisationPath: filter.organisationPath ?? null });
    const where: Sql[] = [];
    if (filter.serviceId) where.push(sql`s.service_id = ${filter.serviceId}`);
    if (filter.organisationPath) where.push(sql`s.path like ${`${filter.organisationPath}%`}`);
    const child = filter.organisationPath ? sql`split_part(substr(s.path, ${filter.organisationPath.length + 1}), '/', 1)` : sql`split_part(s.path, '/', 1)`;
    // Grouping sets give every breakdown in one pass, and the child subtree of each row's employer.
    const rows = await execute<{ service_id: string | null; role_id: string | null; state: string | null; child: string | null; n: number; sub: number; g_service: number; g_role: number; g_state: number; g_child: number }>(
      this.em,
      // Summed per (service, role, state, child) first: the grouping sets then run over a few thousand rows, not one per tally.
      sql`with scoped as (select s.service_id, s.role_id, s.state, ${child} as child, sum(s.n) as n, sum(s.sub) as sub from (${source}) s (path, service_id, role_id, state, n, sub) where ${and(where)} group by 1, 2, 3, 4)
        select service_id, role_id, state, child, sum(n)::int as n, sum(sub)::int as sub,
          grouping(service_id)::int as g_service, grouping(role_id)::int as g_role, grouping(state)::int as g_state, grouping(child)::int as g_child
        from scoped group by grouping sets ((), (service_id), (role_id), (state), (child))`,
    );
    const total = rows.find((r) => r.g_service && r.g_role && r.g_state && r.g_child)?.n ?? 0;
    // Summaries can hold groups that netted to zero; the breakdowns show only what exists.
    // Subtree totals count `sub`, everything else `n` (a source may give rows that count in only one).
    const pick = (flag: 'g_service' | 'g_role' | 'g_state' | 'g_child', col: 'service_id' | 'role_id' | 'state' | 'child') =>
      rows
        .map((r) => ({ ...r, count: Number(flag === 'g_child' ? r.sub : r.n) }))
        .filter((r) => !r[flag] && r.count !== 0 && ['g_service', 'g_role', 'g_state', 'g_child'].filter((f) => f !== flag).every((f) => r[f as typeof flag]))
        .map((r) => ({ key: String(r[col]), count: r.count }));
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
      // Counted per issuer first, named after by one lookup each (a join would hash every organisation for a few rows).
      sql`select w.*, (select d.name from organisations d where d.id = w.decider_id) as name from (select o.decider_id, count(*)::int as waiting,
          count(*) filter (where now() - o.submitted_at < interval '1 day')::int as d1,
          count(*) filter (where now() - o.submitted_at >= interval '1 day' and now() - o.submitted_at < interval '7 days')::int as d7,
          count(*) filter (where now() - o.submitted_at >= interval '7 days' and now() - o.submitted_at < interval '30 days')::int as d30,
          count(*) filter (where now() - o.submitted_at >= interval '30 days')::int as dmore,
          min(o.submitted_at) as oldest
        from orders o
        where o.state = 'submitted' and ${this.policy.readableOrders('o')} ${serviceId ? sql`and o.service_id = ${serviceId}` : sql``}
        group by o.decider_id) w
        order by w.waiting desc, name`,
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
      // Summed per issuer and week first, named after by one lookup each: a few hundred rows, not every decision.
      sql`select w.decider_id, (select d.name from organisations d where d.id = w.decider_id) as name, w.week, w.decided, w.median_hours from (
          select o.decider_id, date_trunc('week', o.decided_at) as week, count(*)::int as decided,
            percentile_cont(0.5) within group (order by extract(epoch from o.decided_at - o.submitted_at) / 3600) as median_hours
          from orders o
          where o.state in ('approved', 'rejected') and o.decided_at >= ${from.toISOString()}::timestamptz and o.decided_at < ${to.toISOString()}::timestamptz
            and ${this.policy.readableOrders('o')} ${serviceId ? sql`and o.service_id = ${serviceId}` : sql``}
          group by o.decider_id, week) w
        order by w.week, name`,
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

  /** Active grants ending within `withinDays` days, soonest first. */
  grantsExpiring(withinDays: number, serviceId: string | null): DetailList<Grant> {
    const where = and([
      this.policy.readableGrants('t'),
      sql`t.state = 'active' and t.valid_to is not null and t.valid_to > now() and t.valid_to <= now() + ${days(withinDays, 'withinDays')} * interval '1 day'`,
      serviceId ? sql`t.service_id = ${serviceId}` : Sql.raw('true'),
    ]);
    const query = { from: sql`grants t`, where, keys: ['t.valid_to', 't.id'], readOnly: true };
    return {
      keyWidth: query.keys.length,
      page: (request) => fetchPage(this.em, Grant, query, request),
      count: () => this.source.expiringGrantsCount(where, withinDays, serviceId),
    };
  }

  /**
   * People the viewer may see who hold no grant in force now, by name: the staff list's own scope and
   * plans, narrowed to them. Counted from the same scope (Policy.readablePeople) through the summaries.
   */
  peopleWithoutActiveGrant(organisationPath: string | null): DetailList<User> {
    const people = staffList(this.em, this.policy, { organisationPath }, ACTIVE_NOW_NONE, { staffListPlan: this.options.staffListPlan });
    const where = and([
      this.policy.readableUsers('t'),
      ACTIVE_NOW_NONE,
      organisationPath ? sql`exists (select 1 from organisations e where e.id = t.employer_id and e.path like ${`${organisationPath}%`})` : Sql.raw('true'),
    ]);
    return {
      keyWidth: people.keyWidth,
      page: (request) => people.page(request),
      count: () => this.source.peopleWithoutActiveGrantCount(where, organisationPath),
    };
  }

  /** Orderers in office who placed no order in `idleDays` days, oldest appointment first. */
  inactiveOrderers(idleDays: number): DetailList<OrdererAppointment> {
    const where = and([
      this.policy.readableAppointments('t'),
      sql`t.state = 'approved' and t.valid_from <= now() and (t.valid_to is null or t.valid_to > now())`,
      sql`not exists (select 1 from orders io where io.ordered_by_id = t.user_id and io.service_id = t.service_id and io.submitted_at > now() - ${days(idleDays, 'days')} * interval '1 day')`,
    ]);
    const query = { from: sql`orderer_appointments t`, where, keys: ['t.created_at', 't.id'] };
    return {
      keyWidth: query.keys.length,
      page: (request) => fetchPage(this.em, OrdererAppointment, query, request),
      count: () => countRows(this.em, query),
    };
  }

  /**
   * The names the rows of a detail list link to (holders, employers, scopes, services, roles), for an
   * edge that prints them: the CSV export. Read by id without a scope, the way GraphQL's loaders follow
   * the same links, so pass only ids taken from rows one of this service's lists returned.
   */
  async linkedNames(ids: { people?: string[]; organisations?: string[] }): Promise<LinkedNames> {
    const people = ids.people?.length
      ? await execute<{ id: string; family_name: string; given_name: string; email: string | null }>(
          this.em,
          sql`select id, family_name, given_name, email from users where id in (${[...new Set(ids.people)]})`,
        )
      : [];
    const { services, roles } = await referenceData(this.em);
    return {
      people: new Map(people.map((p) => [p.id, { familyName: p.family_name, givenName: p.given_name, email: p.email }])),
      organisations: await this.labels('organisations', 'name', [...new Set(ids.organisations ?? [])]),
      serviceCodes: new Map([...services.values()].map((x) => [x.id, x.code])),
      roleNames: new Map([...roles.values()].map((x) => [x.id, x.name])),
    };
  }

  private async labels(table: string, column: string, ids: string[]): Promise<Map<string, string>> {
    const valid = ids.filter((id) => /^[0-9a-f-]{36}$/.test(id));
    if (valid.length === 0) return new Map();
    const rows = await execute<{ id: string; label: string }>(this.em, sql`select id, ${Sql.raw(column)} as label from ${Sql.raw(table)} where id in (${valid})`);
    return new Map(rows.map((r) => [r.id, r.label]));
  }
}
