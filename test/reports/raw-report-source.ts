import type { Policy } from '../../src/auth/policy.js';
import type { Em } from '../../src/db/orm.js';
import { Sql, sql } from '../../src/db/sql.js';
import { countOf, grantGroupsFromGrants, monthsOf, type ReportSource } from '../../src/reports/report.source.js';
import { timestamp } from '../../src/reports/summaries.js';

/**
 * The reports' figures computed from the grants and people themselves, bypassing every summary: the
 * reference test/reports/summaries.test.ts holds the maintained summaries to. Scoped by the same
 * Policy predicates; each count is the count of its list's own condition.
 */
export class RawReportSource implements ReportSource {
  constructor(
    private readonly em: Em,
    private readonly policy: Policy,
  ) {}

  grantGroups(asOf: Date | null): Promise<Sql> {
    return Promise.resolve(grantGroupsFromGrants(this.policy, asOf ? timestamp(asOf) : Sql.raw('now()')));
  }

  grantFlows(lo: Sql, hi: Sql, serviceId: string | null): Sql {
    return sql`select v.month, v.issued, v.ended from grants g ${monthsOf('g')}
      where v.month between ${lo} and ${hi} and ${this.policy.readableGrants('g')} ${serviceId ? sql`and g.service_id = ${serviceId}` : sql``}`;
  }

  expiringGrantsCount(where: Sql): Promise<number> {
    return countOf(this.em, sql`select count(*)::int as n from grants t where ${where}`);
  }

  peopleWithoutActiveGrantCount(where: Sql): Promise<number> {
    return countOf(this.em, sql`select count(*)::int as n from users t where ${where}`);
  }
}
