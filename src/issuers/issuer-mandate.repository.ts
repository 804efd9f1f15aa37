import type { Policy } from '../auth/policy.js';
import type { Em } from '../db/orm.js';
import { countRows, fetchPage } from '../db/paginate.js';
import { and, sql, execute } from '../db/sql.js';
import type { Page, PageRequest } from '../db/paging.js';
import { IssuerMandate } from './issuer-mandate.entity.js';
import { activeMandate } from './issuer-mandate.sql.js';

export interface MandateFilter {
  serviceId?: string | null;
  activeOnly?: boolean;
}

/** Issuer mandates through the viewer's policy, and the responsible-issuer rule. */
export class IssuerMandateRepository {
  constructor(
    private readonly em: Em,
    private readonly policy: Policy,
  ) {}

  private listQuery(filter: MandateFilter) {
    const conditions = [this.policy.readableMandates('t')];
    if (filter.serviceId) conditions.push(sql`t.service_id = ${filter.serviceId}`);
    if (filter.activeOnly) conditions.push(activeMandate('t'));
    return { from: sql`issuer_mandates t`, where: and(conditions), keys: ['t.created_at', 't.id'] };
  }

  page(filter: MandateFilter, request: PageRequest): Promise<Page<IssuerMandate>> {
    return fetchPage(this.em, IssuerMandate, this.listQuery(filter), request);
  }

  count(filter: MandateFilter): Promise<number> {
    return countRows(this.em, this.listQuery(filter));
  }

  async findVisible(ids: string[]): Promise<IssuerMandate[]> {
    if (ids.length === 0) return [];
    const q = sql`select t.* from issuer_mandates t where t.id in (${ids}) and ${this.policy.readableMandates('t')}`;
    const rows = await execute<Record<string, unknown>>(this.em, q);
    return rows.map((r) => this.em.map(IssuerMandate, r));
  }

  /** A mandate the viewer may end, locked for the transaction; null when not theirs to end. */
  async findWritableForUpdate(id: string): Promise<IssuerMandate | null> {
    const q = sql`select t.* from issuer_mandates t where t.id = ${id} and ${this.policy.writableMandates('t')} for update`;
    const [row] = await execute<Record<string, unknown>>(this.em, q);
    return row ? this.em.map(IssuerMandate, row) : null;
  }
}

/**
 * The responsible issuer of people for a service at a moment: the holder of the deepest mandate in
 * force on the path of each person's employer (so responsibility follows the employer, not the
 * placement), else the service's authority. Not scoped: callers ask only about people they may see.
 */
export async function responsibleIssuersOf(em: Em, serviceId: string, userIds: string[], at?: Date): Promise<Map<string, string>> {
  const result = new Map<string, string>();
  if (userIds.length === 0) return result;
  const q = sql`select u.id as user_id, coalesce(
      (select m.organisation_id from issuer_mandates m join organisations mo on mo.id = m.organisation_id
        where m.service_id = s.id and ${activeMandate('m', at)} and e.path like mo.path || '%'
        order by mo.depth desc limit 1),
      s.owner_id) as issuer_id
    from users u join organisations e on e.id = u.employer_id cross join services s
    where s.id = ${serviceId} and u.id in (${userIds})`;
  const rows = await execute<{ user_id: string; issuer_id: string }>(em, q);
  for (const row of rows) result.set(row.user_id, row.issuer_id);
  return result;
}

/** Distinct people employed in an organisation's subtree holding an active grant of the service. */
export async function serviceUsersIn(em: Em, serviceId: string, organisationPath: string): Promise<number> {
  const q = sql`select count(distinct g.user_id)::int as n from grants g join users u on u.id = g.user_id
    join organisations e on e.id = u.employer_id
    where g.service_id = ${serviceId} and g.state = 'active' and e.path like ${`${organisationPath}%`}`;
  const [row] = await execute<{ n: number }>(em, q);
  return Number(row.n);
}

/**
 * Hands each issuer's inbox over when responsibility moves: points undecided orders of a service at
 * their person's responsible issuer as it is now, for the
 * routines where that issuer decides: run when a mandate begins or ends, so no order is stranded
 * with an issuer that no longer decides.
 */
export async function handOverPendingOrders(em: Em, serviceId: string): Promise<number> {
  const rows = await execute<{ id: string }>(
    em,
    sql`update orders o set decider_id = coalesce(
        (select m.organisation_id from issuer_mandates m join organisations mo on mo.id = m.organisation_id
          where m.service_id = o.service_id and ${activeMandate('m')} and e.path like mo.path || '%'
          order by mo.depth desc limit 1),
        s.owner_id), updated_at = now()
      from users u, organisations e, services s, routines r
      where o.service_id = ${serviceId} and o.state in ('submitted', 'returned')
        and u.id = o.user_id and e.id = u.employer_id and s.id = o.service_id and r.id = o.routine_id
        and r.rules ->> 'decider' = 'responsible_issuer'
      returning o.id`,
  );
  return rows.length;
}
