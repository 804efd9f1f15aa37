import type { Policy } from '../auth/policy.js';
import { countRows, fetchPage } from '../db/paginate.js';
import { NestedPageLoader } from '../db/page-loader.js';
import type { Em } from '../db/orm.js';
import { and, sql, execute } from '../db/sql.js';
import type { Page, PageRequest } from '../db/paging.js';
import { startsWithAny } from '../db/search.js';
import { Organisation, type OrganisationKind } from './organisation.entity.js';

export interface OrganisationFilter {
  kind?: OrganisationKind | null;
  /** Only the children of this organisation. */
  parentId?: string | null;
  /** Only this organisation's subtree (itself included), by materialized path. */
  subtreeOfPath?: string | null;
  /** Only organisations whose name, or registration number, starts with these words (searchWords: lower-cased). */
  search?: string[];
}

/** Organisation queries, always through the viewer's policy. */
export class OrganisationRepository {
  constructor(
    private readonly em: Em,
    private readonly policy: Policy,
  ) {}

  async findVisible(ids: string[]): Promise<Organisation[]> {
    if (ids.length === 0) return [];
    const q = sql`select o.* from organisations o where o.id in (${ids}) and ${this.policy.readableOrganisations('o')}`;
    const rows = await execute<Record<string, unknown>>(this.em, q);
    return rows.map((r) => this.em.map(Organisation, r));
  }

  /**
   * The legal entity the viewer may see by registration number: units repeat their parent's number
   * (or carry none), so only the others count, and of those the one highest in the tree.
   */
  async findVisibleByRegistrationNumber(numbers: string[]): Promise<Map<string, Organisation>> {
    if (numbers.length === 0) return new Map();
    const q = sql`select distinct on (o.registration_number) o.* from organisations o
      where o.registration_number in (${numbers}) and o.kind <> 'unit' and ${this.policy.readableOrganisations('o')}
      order by o.registration_number, o.depth, o.id`;
    const rows = await execute<Record<string, unknown>>(this.em, q);
    return new Map(rows.map((r) => [String(r.registration_number), this.em.map(Organisation, r)]));
  }

  private listQuery(filter: OrganisationFilter) {
    const conditions = [this.policy.readableOrganisations('t')];
    if (filter.kind) conditions.push(sql`t.kind = ${filter.kind}`);
    if (filter.parentId) conditions.push(sql`t.parent_id = ${filter.parentId}`);
    if (filter.subtreeOfPath) conditions.push(sql`t.path like ${`${filter.subtreeOfPath}%`}`);
    // Served by organisations_search_*_idx, one range scan each.
    if (filter.search?.length) conditions.push(startsWithAny(filter.search, ['lower(t.name)', 'lower(t.registration_number)']));
    return { from: sql`organisations t`, where: and(conditions), keys: ['t.name', 't.id'] };
  }

  page(filter: OrganisationFilter, request: PageRequest): Promise<Page<Organisation>> {
    return fetchPage(this.em, Organisation, this.listQuery(filter), request);
  }

  count(filter: OrganisationFilter): Promise<number> {
    return countRows(this.em, this.listQuery(filter));
  }

  /** Readable children of several organisations, batched across parents. */
  childrenByParent(): NestedPageLoader<Organisation, OrganisationFilter> {
    return new NestedPageLoader(this.em, Organisation, (filter) => ({ ...this.listQuery(filter), parentColumn: 't.parent_id' }));
  }
}
