import type { Policy } from '../auth/policy.js';
import type { Em } from '../db/orm.js';
import { countRows, fetchPage, type ListQuery } from '../db/paginate.js';
import { and, or, Sql, sql, execute } from '../db/sql.js';
import type { Page, PageRequest } from '../db/paging.js';
import { User } from './user.entity.js';

/**
 * Where the staff list changes plan (see scopedListQuery). Tuning values, not rules: every plan
 * returns the same rows, which test/users/staff-list-plans.test.ts checks by forcing each one.
 */
export const staffListPlan = {
  /** Scopes under this many people are listed from the employer index, larger ones from the name index. */
  smallScope: 5000,
  /** Scopes of at least this many organisations are tested per person rather than hashed. */
  manyEmployers: 2000,
};

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
    return { from: sql`users t`, where: and(conditions), keys: ['t.family_name', 't.given_name', 't.id'], readOnly: true };
  }

  /**
   * People the viewer may see, by name: the staff list of a portal. `only` narrows it further (a
   * condition on the person, alias t), as the reports' detail lists do.
   */
  page(filter: UserFilter, request: PageRequest, only?: Sql): Promise<Page<User>> {
    const query = this.scopedListQuery(filter) ?? this.listQuery(filter);
    return fetchPage(this.em, User, only ? { ...query, where: and([query.where, only]) } : query, request);
  }

  /**
   * The same list as listQuery, with the plan chosen by the size of the viewer's scope, inside the
   * statement (a portal of 50 people and an authority of 500,000 need opposite plans):
   * - under SMALL_SCOPE people: every person in scope through the employer index, then the top of them by name;
   * - otherwise, walk the name index and keep the people in scope: tested against the scope's employers
   *   hashed when it has under MANY_EMPLOYERS organisations, else one employer lookup per person
   *   (the walk ends after about page × population / scope people, so few for a broad scope).
   * The size probes stop at their limits, so they cost at most a few thousand index entries.
   */
  private scopedListQuery(filter: UserFilter): ListQuery | null {
    const user = this.policy.viewer.user;
    const scope = this.policy.employerScope('e');
    if (!user || !scope) return null;
    const under = filter.organisationPath ? sql`e.path like ${`${filter.organisationPath}%`}` : null;
    const employers = under ? and([scope, under]) : scope;
    const self = under
      ? sql`(t.id = ${user.id} and exists (select 1 from organisations e where e.id = t.employer_id and ${under}))`
      : sql`t.id = ${user.id}`;
    const { smallScope: SMALL_SCOPE, manyEmployers: MANY_EMPLOYERS } = staffListPlan;
    const people = sql`(select n from scope_people)`;
    const organisations = sql`(select n from scope_organisations)`;
    return {
      from: sql`users t`,
      where: Sql.raw('true'),
      keys: ['t.family_name', 't.given_name', 't.id'],
      readOnly: true,
      with: sql`scope as materialized (select e.id from organisations e where ${employers}),
        scope_people as materialized (select count(*)::int as n from (select 1 from scope s
          cross join lateral (select 1 from users u where u.employer_id = s.id limit ${SMALL_SCOPE}) x limit ${SMALL_SCOPE}) y),
        scope_organisations as materialized (select count(*)::int as n from (select 1 from scope limit ${MANY_EMPLOYERS}) z)`,
      plans: [
        { gate: sql`${people} < ${SMALL_SCOPE}`, where: or([self, sql`t.employer_id = any(array(select id from scope))`]) },
        {
          gate: sql`${people} >= ${SMALL_SCOPE} and ${organisations} < ${MANY_EMPLOYERS}`,
          where: or([self, sql`t.employer_id in (select id from scope)`]),
        },
        {
          gate: sql`${people} >= ${SMALL_SCOPE} and ${organisations} >= ${MANY_EMPLOYERS}`,
          // OFFSET 0 keeps this a per-row lookup: PostgreSQL would otherwise hash every employer in scope.
          where: or([self, sql`exists (select 1 from organisations e where e.id = t.employer_id and ${employers} offset 0)`]),
        },
      ],
    };
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
