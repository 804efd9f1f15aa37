import type { Policy } from '../auth/policy.js';
import type { Em } from '../db/orm.js';
import { fetchPage, type ListQuery } from '../db/paginate.js';
import { and, or, Sql, sql, execute, startsWith } from '../db/sql.js';
import { executeRead } from '../db/prepared.js';
import type { Page, PageRequest } from '../db/paging.js';
import { startsWithAny } from '../db/search.js';
import { Organisation } from '../organisations/organisation.entity.js';
import { User } from './user.entity.js';

/**
 * Where the staff list changes plan (see UserRepository.staff). Tuning values, not rules: every plan
 * returns the same rows, which test/users/staff-list-plans.test.ts checks by forcing each one.
 */
export interface StaffListPlan {
  /** Scopes under this many people are listed from the employer index, larger ones from the name index. */
  smallScope: number;
  /** Scopes of at least this many organisations are tested per person rather than hashed. */
  manyEmployers: number;
}

/** The thresholds production runs with, measured on the national scale data (BENCHMARKS.md). */
export const STAFF_LIST_PLAN: Readonly<StaffListPlan> = Object.freeze({ smallScope: 5000, manyEmployers: 2000 });

export interface UserRepositoryOptions {
  /** Where the staff list changes plan; production leaves it at STAFF_LIST_PLAN, tests force each plan. */
  staffListPlan?: Readonly<StaffListPlan>;
}

export interface UserFilter {
  /** Only people employed in this organisation's subtree. */
  organisationPath?: string | null;
  /** Only people whose name ("given family"), family name or e-mail starts with these words (searchWords: lower-cased). */
  search?: string[];
}

/**
 * What a search of people matches the start of, lower-cased, each with a text_pattern_ops index
 * (users_search_*_idx): "anna sv" finds Anna Svensson, "svensson" and "anna.sv" her too.
 */
const SEARCHED = [`lower(t.given_name || ' ' || t.family_name)`, 'lower(t.family_name)', 'lower(t.email)'];

/** A list of people as every edge reads it: pages by name, and how many people paging through it returns. */
export interface PeopleList {
  /** How many sort keys its cursors hold (what pageRequest checks a client's cursor against). */
  keyWidth: number;
  /** A page by name; with `employers`, Page.included holds the page's employers, read in the same statement. */
  page(request: PageRequest, options?: { employers?: boolean }): Promise<Page<User>>;
  count(): Promise<number>;
}

const BY_NAME = ['t.family_name', 't.given_name', 't.id'];

/** A staff list's plans, one per size of scope, and the statement sizing the scope. */
interface PlanChoice {
  /** The scope (its SQL and parameters) and the thresholds: what the choice depends on. */
  key: string;
  probe: Sql;
  plans: ListQuery[];
}

/** How long a scope's plan is remembered before its size is probed again. */
const PLAN_CHOICE_MS = 60_000;
/** The most scopes whose plan one process remembers (the least recently probed goes first). */
const MAX_PLAN_CHOICES = 10_000;
const planChoices = new Map<string, { plan: number; until: number }>();

/** User queries, always through the viewer's policy. */
export class UserRepository {
  private readonly plan: Readonly<StaffListPlan>;

  constructor(
    private readonly em: Em,
    private readonly policy: Policy,
    options: UserRepositoryOptions = {},
  ) {
    this.plan = options.staffListPlan ?? STAFF_LIST_PLAN;
  }

  async findVisible(ids: string[]): Promise<User[]> {
    if (ids.length === 0) return [];
    const q = sql`select u.* from users u where u.id in (${ids}) and ${this.policy.readableUsers('u')}`;
    const rows = await executeRead<Record<string, unknown>>(this.em, q);
    return rows.map((r) => this.em.map(User, r));
  }

  /**
   * People the viewer may see with these e-mail addresses (as stored: the index decides), where the
   * address is unique among them: an address two visible people share finds nobody.
   */
  async findVisibleByUniqueEmail(emails: string[]): Promise<Map<string, User>> {
    if (emails.length === 0) return new Map();
    const q = sql`select u.* from users u where u.email in (${emails}) and ${this.policy.readableUsers('u')}`;
    const rows = await execute<Record<string, unknown>>(this.em, q);
    const byEmail = new Map<string, User | null>();
    for (const row of rows) {
      const email = String(row.email);
      byEmail.set(email, byEmail.has(email) ? null : this.em.map(User, row));
    }
    return new Map([...byEmail].filter((e): e is [string, User] => e[1] !== null));
  }

  /**
   * People the viewer may see, by name: the staff list of a portal. Its pages and its count are built
   * from one scope, the viewer's readable people (Policy.readablePeople) narrowed to the filter's
   * subtree. `only` narrows it further (a condition on the person, alias t), as the reports' lists of
   * people do.
   */
  staff(filter: UserFilter, only?: Sql): PeopleList {
    const conditions = only ? [only] : [];
    const searching = Boolean(filter.search?.length);
    if (searching) conditions.push(startsWithAny(filter.search!, SEARCHED));
    const { list, count } = this.staffQuery(filter, conditions, searching);
    return {
      keyWidth: BY_NAME.length,
      page: async (request, options) => {
        const chosen = 'plans' in list ? await this.chosenPlan(list) : list;
        return fetchPage(this.em, User, options?.employers ? { ...chosen, include: { column: 'employer_id', entity: Organisation } } : chosen, request);
      },
      count: async () => {
        const [row] = await executeRead<{ n: number }>(this.em, count);
        return Number(row.n);
      },
    };
  }

  /**
   * The staff list's page and count statements. The page's plan depends on the size of the viewer's
   * scope (a portal of 50 people and an authority of 500,000 need opposite plans):
   * - under `smallScope` people: every person in scope through the employer index, then the top of them by name;
   * - otherwise, walk the name index and keep the people in scope: tested against the scope's employers
   *   hashed when it has under `manyEmployers` organisations, else one employer lookup per person
   *   (the walk ends after about page × population / scope people, so few for a broad scope).
   * The scope's size is a running sum of its organisations' maintained headcounts (employer_headcounts),
   * stopped once it reaches `smallScope`: one key lookup per organisation until then, not one index entry
   * per person. Its number of organisations is a probe stopping at its limit. The sizes are probed once
   * and the plan remembered for the scope (chosenPlan). The count has to visit every person in scope
   * whatever its size: it is the first plan's condition.
   */
  private staffQuery(filter: UserFilter, only: Sql[], searching = false): { list: ListQuery | PlanChoice; count: Sql } {
    const people = this.policy.readablePeople();
    const under = filter.organisationPath ? startsWith(Sql.raw('e.path'), filter.organisationPath) : null;
    const simple = (where: Sql) => {
      const list = { from: sql`users t`, where: and([where, ...only]), keys: BY_NAME, readOnly: true };
      return { list, count: sql`select count(*)::int as n from users t where ${list.where}` };
    };
    if (!people) return simple(Sql.raw('false'));
    const self = under
      ? sql`(t.id = ${people.self} and exists (select 1 from organisations e where e.id = t.employer_id and ${under}))`
      : sql`t.id = ${people.self}`;
    // Without a role the viewer reads only themself: no scope to size.
    if (!people.employers) return simple(self);
    const scope = people.employers('e');
    const employers = under ? and([scope, under]) : scope;
    const { smallScope: SMALL_SCOPE, manyEmployers: MANY_EMPLOYERS } = this.plan;
    const scopeCte = sql`scope as materialized (select e.id from organisations e where ${employers})`;
    const inScope = or([self, sql`t.employer_id = any(array(select id from scope))`]);
    const list = (where: Sql, scoped: boolean): ListQuery => ({
      from: sql`users t`,
      where: and([where, ...only]),
      keys: BY_NAME,
      readOnly: true,
      // Each plan walks an index holding the name and the employer (users_name_idx includes it,
      // users_employer_family_name_idx leads with it), so the people it skips are never read.
      rowsById: 'users',
      ...(scoped ? { with: scopeCte } : {}),
    });
    const plans = [
      list(inScope, true),
      list(or([self, sql`t.employer_id in (select id from scope)`]), true),
      // OFFSET 0 keeps this a per-row lookup: PostgreSQL would otherwise hash every employer in scope.
      list(or([self, sql`exists (select 1 from organisations e where e.id = t.employer_id and ${employers} offset 0)`]), false),
    ];
    const probe = sql`with ${scopeCte},
        scope_people as materialized (select coalesce((select w.n from (select sum(h.n) over (rows between unbounded preceding and current row) as n
          from scope s cross join lateral (select h.n from employer_headcounts h where h.employer_id = s.id) h) w where w.n >= ${SMALL_SCOPE} limit 1), 0)::int as n)
      select (select n from scope_people) as people, (select count(*)::int from (select 1 from scope limit ${MANY_EMPLOYERS}) z) as organisations`;
    const key = `${SMALL_SCOPE}/${MANY_EMPLOYERS}\n${employers.text}\n${JSON.stringify(employers.params)}`;
    // A search's few matches come from its indexes and are then tested against the scope, hashed.
    const counted = searching ? or([self, sql`t.employer_id in (select id from scope)`]) : inScope;
    return { list: { key, probe, plans }, count: sql`with ${scopeCte} select count(*)::int as n from users t where ${and([counted, ...only])}` };
  }

  /**
   * The plan for the scope, its sizes probed once and the choice remembered for PLAN_CHOICE_MS: every
   * plan returns the same rows, so a choice made before the scope grew or shrank costs time, never
   * truth (test/users/staff-list-plans.test.ts).
   */
  private async chosenPlan(choice: PlanChoice): Promise<ListQuery> {
    const now = Date.now();
    let remembered = planChoices.get(choice.key);
    if (!remembered || remembered.until <= now) {
      const [sizes] = await executeRead<{ people: number; organisations: number }>(this.em, choice.probe);
      const plan = Number(sizes.people) < this.plan.smallScope ? 0 : Number(sizes.organisations) < this.plan.manyEmployers ? 1 : 2;
      planChoices.delete(choice.key);
      if (planChoices.size >= MAX_PLAN_CHOICES) planChoices.delete(planChoices.keys().next().value!);
      planChoices.set(choice.key, (remembered = { plan, until: now + PLAN_CHOICE_MS }));
    }
    return choice.plans[remembered.plan];
  }

  /** A user the viewer may change, locked for the rest of the transaction; null when not visible. */
  async findWritableForUpdate(id: string): Promise<User | null> {
    const q = sql`select u.* from users u where u.id = ${id} and ${this.policy.writableUsers('u')} for update`;
    const rows = await execute<Record<string, unknown>>(this.em, q);
    return rows[0] ? this.em.map(User, rows[0]) : null;
  }
}
