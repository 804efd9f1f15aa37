import type { Policy } from '../auth/policy.js';
import { NestedPageLoader } from '../db/page-loader.js';
import type { Em } from '../db/orm.js';
import { countRows, fetchPage } from '../db/paginate.js';
import { and, sql, execute } from '../db/sql.js';
import { executeRead } from '../db/prepared.js';
import type { Page, PageRequest } from '../db/paging.js';
import { SubArea } from '../services/service.entity.js';
import { Grant, type GrantState } from './grant.entity.js';

export interface GrantFilter {
  state: GrantState | null;
  serviceId?: string | null;
}

/** Grant queries, always through the viewer's policy. */
export class GrantRepository {
  constructor(
    private readonly em: Em,
    private readonly policy: Policy,
  ) {}

  async findVisible(ids: string[]): Promise<Grant[]> {
    if (ids.length === 0) return [];
    const q = sql`select g.* from grants g where g.id in (${ids}) and ${this.policy.readableGrants('g')}`;
    const rows = await executeRead<Record<string, unknown>>(this.em, q);
    return rows.map((r) => this.em.map(Grant, r));
  }

  private listQuery(filter: GrantFilter) {
    // The holder's employer is joined once, not looked up by a subquery per grant.
    const conditions = [this.policy.readableGrantsWithEmployer('t', 'ge')];
    if (filter.state) conditions.push(sql`t.state = ${filter.state}`);
    if (filter.serviceId) conditions.push(sql`t.service_id = ${filter.serviceId}`);
    return {
      from: sql`grants t join users gu on gu.id = t.user_id join organisations ge on ge.id = gu.employer_id`,
      where: and(conditions),
      keys: ['t.created_at', 't.id'],
      readOnly: true,
    };
  }

  /** Grants the viewer may see, oldest first. */
  page(filter: GrantFilter, request: PageRequest): Promise<Page<Grant>> {
    return fetchPage(this.em, Grant, this.listQuery(filter), request);
  }

  count(filter: GrantFilter): Promise<number> {
    return countRows(this.em, this.listQuery(filter));
  }

  /** Pages of users' readable grants, oldest first, batched across users. */
  pagesByUser(): NestedPageLoader<Grant, GrantFilter> {
    return new NestedPageLoader(this.em, Grant, (filter) => {
      return { ...this.listQuery(filter), parentColumn: 't.user_id' };
    });
  }

  /** Sub-areas of grants, with the grant they belong to. */
  async subAreasOf(grantIds: string[]): Promise<{ grantId: string; subArea: SubArea }[]> {
    if (grantIds.length === 0) return [];
    const q = sql`select s.*, gs.grant_id as __grant_id from grant_sub_areas gs join sub_areas s on s.id = gs.sub_area_id
      where gs.grant_id in (${grantIds}) order by s.code`;
    const rows = await execute<Record<string, unknown>>(this.em, q);
    return rows.map(({ __grant_id, ...row }) => ({ grantId: String(__grant_id), subArea: this.em.map(SubArea, row) }));
  }
}
