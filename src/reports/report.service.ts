import type { Policy } from '../auth/policy.js';
import type { Em } from '../db/orm.js';
import { and, execute, Sql, sql } from '../db/sql.js';

/** A grant's state as it was at a moment, from its dates (the history the grant row keeps). */
function stateAt(g: string, at: Sql): Sql {
  const c = (col: string) => Sql.raw(`${g}.${col}`);
  return sql`case
    when ${c('ended_at')} is not null and ${c('ended_at')} <= ${at} then ${c('state')}
    when ${c('valid_to')} is not null and ${c('valid_to')} <= ${at} then 'expired'
    when ${c('state')} = 'suspended' and ${c('suspended_at')} <= ${at} then 'suspended'
    else 'active' end`;
}

/** Grants that existed (were issued and had begun) at a moment. */
function existedAt(g: string, at: Sql): Sql {
  return sql`${Sql.raw(g)}.created_at <= ${at} and ${Sql.raw(g)}.valid_from <= ${at}`;
}

const moment = (at: Date | null | undefined): Sql => (at ? sql`${at.toISOString()}::timestamptz` : Sql.raw('now()'));

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
  ) {}

  async grantStatistics(filter: { serviceId?: string | null; organisationPath?: string | null; organisationId?: string | null; asOf?: Date | null }): Promise<GrantStatistics> {
    const at = moment(filter.asOf);
    const where = [this.policy.readableGrants('g'), existedAt('g', at)];
    if (filter.serviceId) where.push(sql`g.service_id = ${filter.serviceId}`);
    if (filter.organisationPath) where.push(sql`e.path like ${`${filter.organisationPath}%`}`);
    // One scan: grouping sets give every breakdown, and the child subtree of each row's employer.
    const rows = await execute<{ service_id: string | null; role_id: string | null; state: string | null; child: string | null; n: number; g_service: number; g_role: number; g_state: number; g_child: number }>(
      this.em,
      sql`with scoped as (
          select g.service_id, g.role_id, ${stateAt('g', at)} as state,
            ${filter.organisationPath ? sql`split_part(substr(e.path, ${filter.organisationPath.length + 1}), '/', 1)` : sql`split_part(e.path, '/', 1)`} as child
          from grants g join users u on u.id = g.user_id join organisations e on e.id = u.employer_id
          where ${and(where)}
        )
        select service_id, role_id, state, child, count(*)::int as n,
          grouping(service_id)::int as g_service, grouping(role_id)::int as g_role, grouping(state)::int as g_state, grouping(child)::int as g_child
        from scoped group by grouping sets ((), (service_id), (role_id), (state), (child))`,
    );
    const total = rows.find((r) => r.g_service && r.g_role && r.g_state && r.g_child)?.n ?? 0;
    const pick = (flag: 'g_service' | 'g_role' | 'g_state' | 'g_child', col: 'service_id' | 'role_id' | 'state' | 'child') =>
      rows.filter((r) => !r[flag] && ['g_service', 'g_role', 'g_state', 'g_child'].filter((f) => f !== flag).every((f) => r[f as typeof flag])).map((r) => ({ key: String(r[col]), count: Number(r.n) }));
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

  async grantTrend(serviceId: string | null, from: Date, to: Date): Promise<TrendRow[]> {
    const service = serviceId ? sql`and g.service_id = ${serviceId}` : sql``;
    const rows = await execute<Record<string, unknown>>(
      this.em,
      sql`with months as (
          select generate_series(date_trunc('month', ${from.toISOString()}::timestamptz), date_trunc('month', ${to.toISOString()}::timestamptz), interval '1 month') as month
        ),
        issued as (select date_trunc('month', g.created_at) as month, count(*)::int as n from grants g
          where g.created_at >= date_trunc('month', ${from.toISOString()}::timestamptz) and g.created_at < ${to.toISOString()}::timestamptz and ${this.policy.readableGrants('g')} ${service} group by 1),
        ended as (select date_trunc('month', g.ended_at) as month, count(*)::int as n from grants g
          where g.ended_at >= date_trunc('month', ${from.toISOString()}::timestamptz) and g.ended_at < ${to.toISOString()}::timestamptz and ${this.policy.readableGrants('g')} ${service} group by 1)
        select m.month, coalesce(i.n, 0) as issued, coalesce(e.n, 0) as ended
        from months m left join issued i on i.month = m.month left join ended e on e.month = m.month order by m.month`,
    );
    return rows.map((r) => ({ month: new Date(r.month as string), issued: Number(r.issued), ended: Number(r.ended) }));
  }

  /** Conditions for the detail lists behind the reports (expiring grants, people without access, idle orderers). */
  expiringGrants(withinDays: number, serviceId: string | null): Sql {
    return and([
      this.policy.readableGrants('t'),
      sql`t.state = 'active' and t.valid_to is not null and t.valid_to > now() and t.valid_to <= now() + ${withinDays} * interval '1 day'`,
      serviceId ? sql`t.service_id = ${serviceId}` : Sql.raw('true'),
    ]);
  }

  peopleWithoutActiveGrant(organisationPath: string | null): Sql {
    return and([
      this.policy.readableUsers('t'),
      sql`not exists (select 1 from grants ag where ag.user_id = t.id and ag.state = 'active' and ag.valid_from <= now() and (ag.valid_to is null or ag.valid_to > now()))`,
      organisationPath ? sql`exists (select 1 from organisations e where e.id = t.employer_id and e.path like ${`${organisationPath}%`})` : Sql.raw('true'),
    ]);
  }

  inactiveOrderers(days: number): Sql {
    return and([
      this.policy.readableAppointments('t'),
      sql`t.state = 'approved' and t.valid_from <= now() and (t.valid_to is null or t.valid_to > now())`,
      sql`not exists (select 1 from orders io where io.ordered_by_id = t.user_id and io.service_id = t.service_id and io.submitted_at > now() - ${days} * interval '1 day')`,
    ]);
  }

  private async labels(table: string, column: string, ids: string[]): Promise<Map<string, string>> {
    const valid = ids.filter((id) => /^[0-9a-f-]{36}$/.test(id));
    if (valid.length === 0) return new Map();
    const rows = await execute<{ id: string; label: string }>(this.em, sql`select id, ${Sql.raw(column)} as label from ${Sql.raw(table)} where id in (${valid})`);
    return new Map(rows.map((r) => [r.id, r.label]));
  }
}
