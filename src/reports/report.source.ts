import type { Policy } from '../auth/policy.js';
import type { Em } from '../db/orm.js';
import { execute, Sql, sql } from '../db/sql.js';
import { existedAt, snapshotFor, stateAt, timestamp } from './summaries.js';

/**
 * Where the reports read their figures from: the grouped grants behind the statistics, the monthly
 * flows behind the trend, and the counts of the two detail lists too long to count row by row. The
 * hub reads the summaries its triggers maintain (SummaryReportSource); the tests compare them with
 * test/reports/raw-report-source.ts, which computes the same figures from the grants and people
 * themselves. Either way every figure is scoped by the viewer's Policy, with the lists' predicates.
 */
export interface ReportSource {
  /**
   * The readable grants as they were at `asOf` (now when null): rows of (path of the holder's employer,
   * service_id, role_id, state, n, sub), where n counts in the totals by service, role and state and sub
   * in the subtree totals; a row may count in only one of them (the other 0, its path or role and state
   * null). `narrowing` is what the report filters the rows by after: a source may leave out rows it excludes,
   * and give a path only through the first organisation below narrowing.organisationPath (all a subtree total reads).
   */
  grantGroups(asOf: Date | null, narrowing: GrantGroupsNarrowing): Promise<Sql>;
  /** Readable grants issued (by creation) and ended, in the UTC months from `lo` through `hi`: rows of (month, issued, ended). */
  grantFlows(lo: Sql, hi: Sql, serviceId: string | null): Sql;
  /** How many grants the list of expiring grants holds; `where` is that list's condition (grants, alias t). */
  expiringGrantsCount(where: Sql, withinDays: number, serviceId: string | null): Promise<number>;
  /** How many people the list of people without a grant in force holds; `where` is that list's condition (users, alias t). */
  peopleWithoutActiveGrantCount(where: Sql, organisationPath: string | null): Promise<number>;
}

/** What grant statistics narrows the grouped grants to: a service, an organisation subtree (by path prefix). */
export interface GrantGroupsNarrowing {
  serviceId: string | null;
  organisationPath: string | null;
}

/** Person `t` holds no grant in force now. */
export const ACTIVE_NOW_NONE = Sql.raw(`not exists (select 1 from grants ag where ag.user_id = t.id and ag.state = 'active' and ag.valid_from <= now() and (ag.valid_to is null or ag.valid_to > now()))`);

/** An id no person has: stands for the viewer when there is none. */
const NOT_A_USER = '00000000-0000-0000-0000-000000000000';
/** An id no service has: the services of a viewer who holds no role. */
const NO_SERVICE = NOT_A_USER;

/**
 * The employer of grant g's holder, probed per grant: these correction sets are small, and a join lets
 * the planner hash all 500,000 people when it overestimates them.
 */
const HOLDER_EMPLOYER = Sql.raw('(select hu.employer_id from users hu where hu.id = g.user_id)');

/** The readable grants as they were at `at`, read from the grants themselves, as grantGroups rows. */
export function grantGroupsFromGrants(policy: Policy, at: Sql): Sql {
  return sql`select e.path, g.service_id, g.role_id, ${stateAt('g', at)} as state, 1 as n, 1 as sub
    from grants g join users u on u.id = g.user_id join organisations e on e.id = u.employer_id
    where ${policy.readableGrants('g')} and ${existedAt('g', at)}`;
}

/** Each grant (alias g) counts in the month it was created and, once ended, in the month it ended: as v (month, issued, ended). */
export function monthsOf(g: string): Sql {
  const alias = Sql.raw(g);
  return sql`cross join lateral (values (date_trunc('month', ${alias}.created_at, 'UTC'), 1, 0), (date_trunc('month', ${alias}.ended_at, 'UTC'), 0, 1)) as v (month, issued, ended)`;
}

export async function countOf(em: Em, statement: Sql): Promise<number> {
  const [row] = await execute<{ n: number }>(em, statement);
  return Number(row.n);
}

const moment = (at: Date | null): Sql => (at ? timestamp(at) : Sql.raw('now()'));
const ofService = (alias: string, serviceId: string | null) => (serviceId ? sql`and ${Sql.raw(alias)}.service_id = ${serviceId}` : sql``);

/**
 * How the summaries keyed by employer read a scope: `auto` per service, whichever of the employers in
 * scope and those outside it are fewer; `inside` always the employers in scope; `outside` always the
 * service totals minus the employers outside. All three give the same figures (tests force each).
 */
export type ScopePlan = 'auto' | 'inside' | 'outside';

/** A summary keyed by (key, employer, service) with service-level totals kept beside it by triggers. */
interface EmployerSummary {
  table: string;
  totals: string;
  key: string;
  values: string[];
}

const MONTH_FLOWS: EmployerSummary = { table: 'grant_month_flows', totals: 'grant_month_totals', key: 'month', values: ['issued', 'ended'] };
const EXPIRY_TALLIES: EmployerSummary = { table: 'grant_expiry_tallies', totals: 'grant_expiry_totals', key: 'expires_on', values: ['n'] };

/** A tally by employer, service, role and state, with its two sums kept by triggers (see tallyGroups). */
interface Tally {
  table: string;
  totals: string;
  employerTotals: string;
}

const NOW_TALLIES: Tally = { table: 'grant_tallies', totals: 'grant_tally_totals', employerTotals: 'grant_employer_totals' };
const SNAPSHOT_TALLIES: Tally = { table: 'grant_tally_snapshots', totals: 'grant_snapshot_totals', employerTotals: 'grant_snapshot_employer_totals' };

/**
 * The maintained summaries (src/reports/summaries.ts): tallies per employer × service, plus the
 * changes not yet folded, scoped by the same Policy predicates as the lists. The viewer's own grants
 * outside their roles' scope, which no summary keyed by employer and service holds, come from the
 * grants themselves.
 */
export class SummaryReportSource implements ReportSource {
  constructor(
    private readonly em: Em,
    private readonly policy: Policy,
    private readonly plan: ScopePlan = 'auto',
  ) {}

  /**
   * CTEs `pairs` (employer_id, service_id, inside: in the viewer's scope, path: the employer's, through
   * the top-level organisation unless narrowed to a subtree) for every organisation (under `under`) and
   * service the viewer holds a role in, and `wide`: the services read as totals minus the pairs outside
   * (none when narrowed to a subtree, whose totals no summary keeps).
   */
  private pairs(serviceId: string | null, under: string | null): Sql {
    // Only the services the viewer holds a role in can be in its scope: the others would be pairs that are all outside.
    const viewer = this.policy.viewer;
    const roles = [...new Set([...viewer.administers, ...viewer.orders].map((r) => r.serviceId))].filter((id) => !serviceId || id === serviceId);
    const services = roles.length ? roles : [NO_SERVICE];
    const plan = under ? 'inside' : this.plan;
    const wide = { auto: sql`count(*) filter (where inside) * 2 > count(*)`, inside: sql`false`, outside: sql`true` }[plan];
    return sql`pairs as materialized (
        select e.id as employer_id, s.id as service_id, coalesce(${this.policy.readableGrantGroups('e', Sql.raw('s.id'))}, false) as inside,
          ${under ? sql`e.path` : sql`split_part(e.path, '/', 1) || '/'`} as path
        from organisations e cross join services s where s.id in (${services}) ${under ? sql`and e.path like ${`${under}%`}` : sql``}
      ),
      wide as materialized (select service_id from pairs group by service_id having ${wide})`;
  }

  /**
   * Rows (key, ...values) of an employer summary in the viewer's scope (Policy.readableGrantGroups),
   * plus its unfolded deltas: for each service, the employers in scope one index probe each, or, when
   * the scope holds most organisations (an authority's domain), the service totals minus the
   * employers outside, one probe each. Either way the same sum: every row's employer is an organisation.
   */
  private inScope(summary: EmployerSummary, range: (column: Sql) => Sql, deltas: Sql, serviceId: string | null): Sql {
    const { table, totals, key, values } = summary;
    const cols = Sql.raw(values.map((v) => `f.${v}`).join(', '));
    const negated = Sql.raw(values.map((v) => `-f.${v}`).join(', '));
    const k = Sql.raw(`f.${key}`);
    // offset 0 keeps each probe a parameterised index scan: the planner cannot know how many pairs there are.
    const probe = sql`cross join lateral (select ${k}, ${cols} from ${Sql.raw(table)} f
      where f.employer_id = p.employer_id and f.service_id = p.service_id and ${range(k)} offset 0) f`;
    return sql`with ${this.pairs(serviceId, null)}
      select ${k}, ${cols} from pairs p ${probe} where p.inside and p.service_id not in (select service_id from wide)
      union all select ${k}, ${cols} from ${Sql.raw(totals)} f where ${range(k)} and f.service_id in (select service_id from wide)
      union all select ${k}, ${negated} from pairs p ${probe} where not p.inside and p.service_id in (select service_id from wide)
      union all select ${k}, ${cols} from (${deltas}) f join pairs p on p.employer_id = f.employer_id and p.service_id = f.service_id where p.inside`;
  }

  /**
   * Now: the tallies plus the changes not yet folded. A past moment: the monthly snapshot before it,
   * corrected by the grants that changed since; from the grants themselves when no snapshot covers it.
   */
  async grantGroups(asOf: Date | null, narrowing: GrantGroupsNarrowing): Promise<Sql> {
    const at = moment(asOf);
    const own = sql`select o.employer_path, o.service_id, o.role_id, ${stateAt('o', at)}, 1, 1 from ${this.ownGrantsOutsideRoles()} o where ${existedAt('o', at)}`;
    if (!asOf) {
      // Stored states, corrected where the clock has moved on: past validTo but not yet marked expired, or not yet begun.
      const corrections = sql`select employer_id, service_id, role_id, state, n from grant_summary_deltas
        union all select ${HOLDER_EMPLOYER}, g.service_id, g.role_id, g.state, -1 from grants g
          where (g.state in ('active', 'suspended') and g.valid_to <= now()) or g.valid_from > now()
        union all select ${HOLDER_EMPLOYER}, g.service_id, g.role_id, 'expired', 1 from grants g
          where g.state in ('active', 'suspended') and g.valid_to <= now() and g.valid_from <= now()`;
      return sql`select * from (${this.tallyGroups(NOW_TALLIES, null, null, corrections, narrowing)}) tallied union all ${own}`;
    }
    const snapshot = await snapshotFor(this.em, asOf);
    if (!snapshot) return grantGroupsFromGrants(this.policy, at);
    // Whichever side of `asOf` the snapshot lies, a grant counts differently at the two moments only if
    // one of its dates falls between them: correct by exactly those grants.
    const base = timestamp(snapshot);
    const [lo, hi] = snapshot <= asOf ? [base, at] : [at, base];
    const between = (column: string) => sql`(c.${Sql.raw(column)} > ${lo} and c.${Sql.raw(column)} <= ${hi})`;
    // The holder's employer looked up once per changed grant, not once for each moment (probed: see HOLDER_EMPLOYER).
    const changed = sql`changed as materialized (
        select c.*, (select hu.employer_id from users hu where hu.id = c.user_id) as holder_employer_id from grants c
        where ${between('created_at')} or ${between('valid_from')} or ${between('ended_at')} or ${between('valid_to')} or ${between('suspended_at')}
      )`;
    const corrections = sql`select c.holder_employer_id, c.service_id, c.role_id, ${stateAt('c', base)}, -1 from changed c where ${existedAt('c', base)}
        union all select c.holder_employer_id, c.service_id, c.role_id, ${stateAt('c', at)}, 1 from changed c where ${existedAt('c', at)}`;
    return sql`select * from (${this.tallyGroups(SNAPSHOT_TALLIES, base, changed, corrections, narrowing)}) tallied union all ${own}`;
  }

  /**
   * Grouped-grant rows (path, service_id, role_id, state, n, sub) of a tally by employer, service, role
   * and state (the current tallies, or one snapshot's when `takenAt`) in the viewer's scope, by the plan
   * of inScope: for a wide service the totals by service, role and state minus the employers outside
   * (n only), and one row per employer in scope summed per top-level organisation (sub only); plus
   * `corrections`, rows (employer_id, service_id, role_id, state, n) of the employers in scope.
   */
  private tallyGroups(tally: Tally, takenAt: Sql | null, prelude: Sql | null, corrections: Sql, narrowing: GrantGroupsNarrowing): Sql {
    const at = (alias: string) => (takenAt ? sql`${Sql.raw(alias)}.taken_at = ${takenAt} and` : sql``);
    const wide = sql`(select service_id from wide)`;
    const probe = sql`cross join lateral (select t.role_id, t.state, t.n from ${Sql.raw(tally.table)} t
      where ${at('t')} t.employer_id = p.employer_id and t.service_id = p.service_id offset 0) t`;
    return sql`with ${prelude ? sql`${prelude},` : sql``} ${this.pairs(narrowing.serviceId, narrowing.organisationPath)}
      select p.path, p.service_id, t.role_id, t.state, t.n, t.n from pairs p ${probe} where p.inside and p.service_id not in ${wide}
      union all select null, t.service_id, t.role_id, t.state, t.n, 0 from ${Sql.raw(tally.totals)} t where ${at('t')} t.service_id in ${wide}
      union all select null, p.service_id, t.role_id, t.state, -t.n, 0 from pairs p ${probe} where not p.inside and p.service_id in ${wide}
      union all select p.path, p.service_id, null, null, 0, sum(t.n) from pairs p join ${Sql.raw(tally.employerTotals)} t
          on ${at('t')} t.employer_id = p.employer_id and t.service_id = p.service_id
        where p.inside and p.service_id in ${wide} group by p.path, p.service_id
      union all select p.path, c.service_id, c.role_id, c.state, c.n, c.n from (${corrections}) c (employer_id, service_id, role_id, state, n)
        join pairs p on p.employer_id = c.employer_id and p.service_id = c.service_id where p.inside`;
  }

  grantFlows(lo: Sql, hi: Sql, serviceId: string | null): Sql {
    const deltas = sql`select issued_month as month, employer_id, service_id, n as issued, 0 as ended from grant_summary_deltas where issued_month between ${lo} and ${hi}
      union all select ended_month, employer_id, service_id, 0, n from grant_summary_deltas where ended_month between ${lo} and ${hi}`;
    return sql`select f.month, f.issued, f.ended from (${this.inScope(MONTH_FLOWS, (month) => sql`${month} between ${lo} and ${hi}`, deltas, serviceId)}) f
      union all select v.month, v.issued, v.ended from ${this.ownGrantsOutsideRoles()} o ${monthsOf('o')}
        where v.month between ${lo} and ${hi} ${ofService('o', serviceId)}`;
  }

  /** Whole UTC days inside the window from the expiry tallies (plus changes not yet folded), the partial first and last day from the grants themselves. */
  expiringGrantsCount(where: Sql, withinDays: number, serviceId: string | null): Promise<number> {
    // Whole days d with now < d and d + 1 day <= now + withinDays: lo <= d < hi.
    const lo = sql`(date_trunc('day', now(), 'UTC') + interval '1 day')`;
    const hi = sql`date_trunc('day', now() + ${withinDays} * interval '1 day', 'UTC')`;
    const within = (day: Sql) => sql`${day} >= ${lo} and ${day} < ${hi}`;
    const deltas = sql`select expires_on, employer_id, service_id, n from grant_summary_deltas where ${within(Sql.raw('expires_on'))}`;
    return countOf(
      this.em,
      sql`select (
        (select coalesce(sum(x.n), 0) from (${this.inScope(EXPIRY_TALLIES, within, deltas, serviceId)}) x)
        + (select count(*) from ${this.ownGrantsOutsideRoles()} o where o.state = 'active' and o.valid_to >= ${lo} and o.valid_to < ${hi} ${ofService('o', serviceId)})
        + (select count(*) from grants t where ${where} and t.valid_to < ${lo})
        + (select count(*) from grants t where ${where} and t.valid_to >= greatest(${lo}, ${hi}))
      )::int as n`,
    );
  }

  /**
   * People without a grant in stored state active, per employer in the viewer's people scope
   * (idle_people_tallies plus changes not yet folded), and those whose stored active grants are all
   * out of force now (not begun, or past validTo and not yet expired). The viewer is counted by the
   * list's own condition.
   */
  peopleWithoutActiveGrantCount(where: Sql, organisationPath: string | null): Promise<number> {
    const people = this.policy.readablePeople();
    const self = people?.self ?? NOT_A_USER;
    // The employers whose people readableUsers reaches through a role (the viewer themself is counted apart).
    const employers = people?.employers ? people.employers('o') : Sql.raw('false');
    const under = organisationPath ? sql`and o.path like ${`${organisationPath}%`}` : sql``;
    // Materialized in this order on purpose: the out-of-force people are few, the scope is thousands of employers.
    // The tallies are summed per employer and joined to the scope (hashed; an index probe per employer in
    // scope cost twice as much for an authority), and the viewer's own employer is looked for, not hashed.
    return countOf(
      this.em,
      sql`with scope as materialized (
        select o.id as employer_id from organisations o where ${employers} ${under}
      ),
      out_of_force as materialized (
        select t.id, (select u.employer_id from users u where u.id = t.id) as employer_id from (
            select g.user_id as id from grants g where g.state = 'active' and g.valid_to <= now()
            union select g.user_id from grants g where g.state = 'active' and g.valid_from > now()
          ) t
        where t.id <> ${self} and ${ACTIVE_NOW_NONE}
      )
      select (
        (select coalesce(sum(i.n), 0) from (select employer_id, sum(n) as n from (select employer_id, n from idle_people_tallies union all select employer_id, n from idle_people_deltas) i group by employer_id) i
          join scope s on s.employer_id = i.employer_id)
        + (select count(*) from out_of_force t where t.employer_id in (select employer_id from scope))
        - (select count(*) from users t where t.id = ${self} and exists (select 1 from scope s where s.employer_id = t.employer_id)
            and not exists (select 1 from person_active_grants p where p.user_id = t.id and p.n > 0))
        + (select count(*) from users t where t.id = ${self} and ${where})
      )::int as n`,
    );
  }

  /**
   * The viewer's own grants that no role of theirs already covers (those the summaries, keyed by
   * employer and service, leave out), with the path of the holder's employer.
   */
  private ownGrantsOutsideRoles(): Sql {
    return sql`(select g.*, e.path as employer_path from grants g join users u on u.id = g.user_id join organisations e on e.id = u.employer_id
      where g.user_id = ${this.policy.viewer.user?.id ?? null} and not (${this.policy.readableGrantGroups('e', Sql.raw('g.service_id'))}))`;
  }
}
