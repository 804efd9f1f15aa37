import type { Actor } from '../auth/actor.js';
import { pageRequest, type Page } from '../db/paging.js';
import { InvalidArgument } from '../domain/errors.js';
import { dateInBounds, DATE_BOUNDS_TEXT } from '../graphql/input-guard.js';
import { type DetailList, type LinkedNames, ReportService } from './report.service.js';

/** How the detail exports read their lists; tests pass small numbers to cross chunk boundaries and the cap. */
export interface CsvLimits {
  /** Rows at most in one export. */
  maxRows: number;
  /** Rows read per statement: large enough to take few round trips, small enough to look their links up in one. */
  chunkSize: number;
}

const LIMITS: CsvLimits = { maxRows: 200_000, chunkSize: 5000 };

/** One CSV cell: quoted when needed, and never read as a formula by a spreadsheet. */
function cell(value: unknown): string {
  let text: string;
  if (value instanceof Date) text = value.toISOString();
  else if (value === null || value === undefined) text = '';
  else if (typeof value === 'string') text = value;
  else if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') text = String(value);
  else text = JSON.stringify(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\n\r;]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(columns: string[], rows: unknown[][]): string {
  return [columns, ...rows].map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}

function dateParam(params: URLSearchParams, name: string, fallback?: Date): Date {
  const raw = params.get(name);
  if (!raw) {
    if (fallback) return fallback;
    throw new InvalidArgument(`The query parameter \`${name}\` is required.`, name);
  }
  const d = new Date(raw);
  if (Number.isNaN(d.getTime())) throw new InvalidArgument(`\`${name}\` is not a date-time.`, name);
  if (!dateInBounds(d)) throw new InvalidArgument(`\`${name}\` must be ${DATE_BOUNDS_TEXT}.`, name);
  return d;
}

function intParam(params: URLSearchParams, name: string, fallback: number): number {
  const raw = params.get(name);
  const n = raw === null ? fallback : Number(raw);
  if (!Number.isInteger(n)) throw new InvalidArgument(`\`${name}\` must be a whole number.`, name);
  return n;
}

/**
 * A detail list's rows, at most `maxRows`, paged through in chunks exactly as the GraphQL connection
 * pages it, each chunk with the names its rows link to.
 */
async function rowsOf<T>(
  reports: ReportService,
  { maxRows, chunkSize }: CsvLimits,
  list: DetailList<T>,
  links: (items: T[]) => { people?: string[]; organisations?: string[] },
  row: (item: T, names: LinkedNames) => unknown[],
): Promise<unknown[][]> {
  const rows: unknown[][] = [];
  let page: Page<T> | null = null;
  while (rows.length < maxRows && (!page || page.hasNextPage)) {
    const size = Math.min(chunkSize, maxRows - rows.length);
    page = await list.page(pageRequest({ first: size, after: page?.cursors.at(-1) ?? null }, size, list.keyWidth));
    const names = await reports.linkedNames(links(page.items));
    for (const item of page.items) rows.push(row(item, names));
  }
  return rows;
}

/**
 * Every report as CSV, with the same scope as the GraphQL API: parameters are the GraphQL arguments
 * as query parameters (global ids, ISO dates), answered by the same ReportService methods.
 */
export async function reportCsv(
  actor: Actor,
  name: string,
  params: URLSearchParams,
  limits: CsvLimits = LIMITS,
): Promise<{ filename: string; csv: string } | null> {
  actor.policy.requireUser();
  const reports = new ReportService(actor);
  const scope = await reports.narrowing(params.get('service'), params.get('organisation'));
  const today = actor.now();
  switch (name) {
    case 'grant-statistics': {
      const asOf = params.get('asOf') ? dateParam(params, 'asOf') : null;
      const s = await reports.grantStatistics({ ...scope, asOf });
      const rows: unknown[][] = [
        ['total', '', 'total', s.total],
        ...s.byService.map((r) => ['service', r.key, r.label, r.count]),
        ...s.byRole.map((r) => ['role', r.key, r.label, r.count]),
        ...s.byState.map((r) => ['state', r.key, r.label, r.count]),
        ...s.byOrganisation.map((r) => ['organisation', r.organisationId, r.name, r.subtreeTotal]),
      ];
      return { filename: 'grant-statistics.csv', csv: toCsv(['breakdown', 'key', 'label', 'count'], rows) };
    }
    case 'orders-waiting': {
      const rows = await reports.ordersWaiting(scope.serviceId);
      return {
        filename: 'orders-waiting.csv',
        csv: toCsv(
          ['issuer', 'waiting', 'under_1_day', '1_to_7_days', '7_to_30_days', 'over_30_days', 'oldest_submitted_at'],
          rows.map((r) => [r.issuerName, r.waiting, r.underOneDay, r.oneToSevenDays, r.sevenToThirtyDays, r.overThirtyDays, r.oldestSubmittedAt]),
        ),
      };
    }
    case 'issuer-workload': {
      const rows = await reports.issuerWorkload(scope.serviceId, dateParam(params, 'from'), dateParam(params, 'to', today));
      return { filename: 'issuer-workload.csv', csv: toCsv(['issuer', 'week_start', 'decided', 'median_hours_to_decision'], rows.map((r) => [r.issuerName, r.weekStart, r.decided, r.medianHoursToDecision])) };
    }
    case 'grant-trend': {
      const rows = await reports.grantTrend(scope.serviceId, dateParam(params, 'from'), dateParam(params, 'to', today));
      return { filename: 'grant-trend.csv', csv: toCsv(['month', 'issued', 'ended'], rows.map((r) => [r.month, r.issued, r.ended])) };
    }
    case 'grants-expiring': {
      const list = reports.grantsExpiring(intParam(params, 'withinDays', 30), scope.serviceId);
      const rows = await rowsOf(reports, limits, list, (grants) => ({ people: grants.map((g) => g.user.id) }), (g, names) => {
        const holder = names.people.get(g.user.id);
        return [holder?.familyName, holder?.givenName, holder?.email, names.serviceCodes.get(g.service.id), names.roleNames.get(g.role.id), g.validTo];
      });
      return { filename: 'grants-expiring.csv', csv: toCsv(['family_name', 'given_name', 'email', 'service', 'role', 'valid_to'], rows) };
    }
    case 'people-without-active-grant': {
      const list = reports.peopleWithoutActiveGrant(scope.organisationPath);
      const rows = await rowsOf(reports, limits, list, (people) => ({ organisations: people.map((u) => u.employer.id) }), (u, names) => [
        u.familyName,
        u.givenName,
        u.email,
        names.organisations.get(u.employer.id),
      ]);
      return { filename: 'people-without-active-grant.csv', csv: toCsv(['family_name', 'given_name', 'email', 'employer'], rows) };
    }
    case 'inactive-orderers': {
      const list = reports.inactiveOrderers(intParam(params, 'days', 90));
      const rows = await rowsOf(
        reports,
        limits,
        list,
        (appointments) => ({ people: appointments.map((a) => a.user.id), organisations: appointments.map((a) => a.scope.id) }),
        (a, names) => {
          const orderer = names.people.get(a.user.id);
          return [orderer?.familyName, orderer?.givenName, orderer?.email, names.serviceCodes.get(a.service.id), names.organisations.get(a.scope.id), a.validFrom];
        },
      );
      return { filename: 'inactive-orderers.csv', csv: toCsv(['family_name', 'given_name', 'email', 'service', 'scope', 'appointed_from'], rows) };
    }
    default:
      return null;
  }
}
