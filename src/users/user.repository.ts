import type { Policy } from '../auth/policy.js';
import type { Em } from '../db/orm.js';
import { countRows, fetchPage } from '../db/paginate.js';
import { and, sql, execute } from '../db/sql.js';
import type { Page, PageRequest } from '../graphql/relay.js';
import { User } from './user.entity.js';

export interface UserFilter {
  /** Only people employed in this organisation's subtree. */
  organisationPath?: string | null;
}

/** User queries, always through the viewer's policy. */
export class UserRepository {
  constructor(
    private readonly em: Em,
    private readonly policy: Policy,
  ) {}

  async findVisible(ids: string[]): Promise<User[]> {
    if (ids.length === 0) return [];
    const q = sql`select u.* from users u where u.id in (${ids}) and ${this.policy.readableUsers('u')}`;
    const rows = await execute<Record<string, unknown>>(this.em, q);
    return rows.map((r) => this.em.map(User, r));
  }

  private listQuery(filter: UserFilter) {
    const conditions = [this.policy.readableUsers('t')];
    if (filter.organisationPath) {
      conditions.push(sql`exists (select 1 from organisations e where e.id = t.employer_id and e.path like ${`${filter.organisationPath}%`})`);
    }
    return { from: sql`users t`, where: and(conditions), keys: ['t.family_name', 't.given_name', 't.id'] };
  }

  /** People the viewer may see, by name: the staff list of a portal. */
  page(filter: UserFilter, request: PageRequest): Promise<Page<User>> {
    return fetchPage(this.em, User, this.listQuery(filter), request);
  }

  count(filter: UserFilter): Promise<number> {
    return countRows(this.em, this.listQuery(filter));
  }

  /** A user the viewer may change, locked for the rest of the transaction; null when not visible. */
  async findWritableForUpdate(id: string): Promise<User | null> {
    const q = sql`select u.* from users u where u.id = ${id} and ${this.policy.writableUsers('u')} for update`;
    const rows = await execute<Record<string, unknown>>(this.em, q);
    return rows[0] ? this.em.map(User, rows[0]) : null;
  }
}
