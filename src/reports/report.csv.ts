import type { Context } from '../graphql/context.js';
import { dateInBounds, DATE_BOUNDS_TEXT } from '../graphql/input-guard.js';
import { InvalidArgument } from '../domain/errors.js';
import { execute, sql, type Sql } from '../db/sql.js';
import { reportScope } from './report.scope.js';
import { ReportService } from './report.service.js';

const MAX_ROWS = 200_000;

/** One CSV cell: quoted when needed, and never read as a formula by a spreadsheet. */
function cell(value: unknown): string {
  let text = value instanceof Date ? value.toISOString() : value === null || value === undefined ? '' : String(value);
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

async function list(ctx: Context, select: Sql): Promise<unknown[][]> {
  const rows = await execute<Record<string, unknown>>(ctx.em, select);
  return rows.map((r) => Object.values(r));
}

/**
 * Every report as CSV, with the same scope as the GraphQL API (the viewer's policy in the SQL).
 * Parameters are the GraphQL arguments as query parameters (global ids, ISO dates).
 */
export async function reportCsv(ctx: Context, name: string, params: URLSearchParams): Promise<{ filename: string; csv: string } | null> {
  ctx.policy.requireUser();
  const reports = new ReportService(ctx.em, ctx.policy);
  const scope = await reportScope(ctx, params.get('service'), params.get('organisation'));
  const today = new Date();
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
      const where = reports.expiringGrants(intParam(params, 'withinDays', 30), scope.serviceId);
      const rows = await list(
        ctx,
        sql`select u.family_name, u.given_name, u.email, s.code, r.name, t.valid_to from grants t join users u on u.id = t.user_id
          join services s on s.id = t.service_id join service_roles r on r.id = t.role_id where ${where} order by t.valid_to, t.id limit ${MAX_ROWS}`,
      );
      return { filename: 'grants-expiring.csv', csv: toCsv(['family_name', 'given_name', 'email', 'service', 'role', 'valid_to'], rows) };
    }
    case 'people-without-active-grant': {
      const where = reports.peopleWithoutActiveGrant(scope.organisationPath);
      const rows = await list(
        ctx,
        sql`select t.family_name, t.given_name, t.email, e.name from users t join organisations e on e.id = t.employer_id
          where ${where} order by t.family_name, t.given_name, t.id limit ${MAX_ROWS}`,
      );
      return { filename: 'people-without-active-grant.csv', csv: toCsv(['family_name', 'given_name', 'email', 'employer'], rows) };
    }
    case 'inactive-orderers': {
      const where = reports.inactiveOrderers(intParam(params, 'days', 90));
      const rows = await list(
        ctx,
        sql`select u.family_name, u.given_name, u.email, s.code, o.name, t.valid_from from orderer_appointments t join users u on u.id = t.user_id
          join services s on s.id = t.service_id join organisations o on o.id = t.scope_id where ${where} order by t.created_at, t.id limit ${MAX_ROWS}`,
      );
      return { filename: 'inactive-orderers.csv', csv: toCsv(['family_name', 'given_name', 'email', 'service', 'scope', 'appointed_from'], rows) };
    }
    default:
      return null;
  }
}
