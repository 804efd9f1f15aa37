import type { EntityName } from '@mikro-orm/core';
import type { Em } from './orm.js';
import { and, Sql, sql, execute } from './sql.js';
import { readOnlyRow } from './read-only-row.js';
import { encodeCursor, type Page, type PageRequest } from './paging.js';
import { InvalidArgument } from '../domain/errors.js';

/** A keyset-paginated list: rows of `from` (aliased `t`) matching `where`, ordered by `keys` then unique. */
export interface ListQuery {
  /** FROM clause, the listed table aliased `t`, joins allowed. */
  from: Sql;
  where: Sql;
  /** Sort key columns (qualified, e.g. `t.family_name`), ascending; the last one must be unique. */
  keys: string[];
  /** Common table expressions (without `with`) that `where` and the plans refer to. */
  with?: Sql;
  /**
   * Alternative plans, chosen inside the one statement: each adds its condition to `where` when its
   * gate (a condition PostgreSQL evaluates once, such as the size of a scope) holds. The gates must
   * exclude each other and cover every case; branches whose gate fails are never executed.
   */
  plans?: { gate: Sql; where: Sql }[];
  /** Build the items as read-only rows (readOnlyRow) instead of managed entities: for lists only read. */
  readOnly?: boolean;
}

/** Fetches one page with a single statement; the cursor is the row's sort key. */
export async function fetchPage<T extends object>(em: Em, entity: EntityName<T>, query: ListQuery, request: PageRequest): Promise<Page<T>> {
  const forward = request.direction === 'forward';
  checkCursor(query.keys, request);
  const keyList = Sql.raw(`(${query.keys.join(', ')})`);
  const seek = request.cursor
    ? sql` and ${keyList} ${Sql.raw(forward ? '>' : '<')} (${Sql.join(request.cursor.map((v) => sql`${v}`), ', ')})`
    : Sql.raw('');
  const order = Sql.raw(query.keys.map((k) => `${k} ${forward ? 'asc' : 'desc'}`).join(', '));
  const keyAliases = Sql.raw(query.keys.map((k, i) => `${k}::text as "__k${i}"`).join(', '));
  const select = (where: Sql) => sql`select t.*, ${keyAliases} from ${query.from} where ${where}${seek} order by ${order} limit ${request.size + 1}`;
  const body = query.plans
    ? sql`select * from (${Sql.join(query.plans.map((p) => sql`(${select(and([query.where, p.gate, p.where]))})`), ' union all ')}) t order by ${order} limit ${request.size + 1}`
    : select(sql`(${query.where})`);
  const statement = query.with ? sql`with ${query.with} ${body}` : body;
  const rows = await execute<Record<string, unknown>>(em, statement);
  const more = rows.length > request.size;
  const pageRows = rows.slice(0, request.size);
  if (!forward) pageRows.reverse();
  const cursors = pageRows.map((row) => encodeCursor(query.keys.map((_, i) => cursorValue(row[`__k${i}`]))));
  const items = pageRows.map((row) => toItem(em, entity, query, row));
  return {
    items,
    cursors,
    hasNextPage: forward ? more : request.cursor != null,
    hasPreviousPage: forward ? request.cursor != null : more,
  };
}

export async function countRows(em: Em, query: Pick<ListQuery, 'from' | 'where'>): Promise<number> {
  const statement = sql`select count(*)::int as n from ${query.from} where ${query.where}`;
  const [row] = await execute<{ n: number }>(em, statement);
  return Number(row.n);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}(:?\d{2})?)$/;

/**
 * A cursor is opaque but comes from the client: a value the database cannot read as its key column
 * (a forged timestamp, a NUL byte) is the client's mistake, so it is refused as bad input before any
 * SQL runs. Key columns follow the schema's naming: `id` is a uuid, `*_at`, `valid_*` and
 * `effective_*` are timestamps, the rest text.
 */
function checkCursor(keys: string[], request: PageRequest): void {
  if (!request.cursor) return;
  const arg = request.direction === 'forward' ? 'after' : 'before';
  const ok = keys.every((key, i) => {
    const value = String(request.cursor![i]);
    const column = key.slice(key.lastIndexOf('.') + 1);
    if (column === 'id') return UUID.test(value);
    if (/(_at|^valid_.*|^effective_.*)$/.test(column)) return TIMESTAMP.test(value) && !Number.isNaN(Date.parse(value.replace(' ', 'T').replace(/([+-]\d{2})$/, '$1:00')));
    return !value.includes('\u0000');
  });
  if (!ok) throw new InvalidArgument(`\`${arg}\` is not a cursor of this list.`, arg);
}

function cursorValue(value: unknown): string | number {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'number') return value;
  return String(value);
}

/**
 * Forward pages of several parents' lists in one statement: a window function numbers each
 * parent's rows, so a list of N parents with a nested connection costs one query, not N.
 */
export async function fetchPagesByParent<T extends object>(
  em: Em,
  entity: EntityName<T>,
  query: ListQuery & { parentColumn: string },
  parentIds: string[],
  request: PageRequest,
): Promise<Map<string, Page<T>>> {
  const pages = new Map<string, Page<T>>();
  if (parentIds.length === 0) return pages;
  checkCursor(query.keys, request);
  const keyList = Sql.raw(`(${query.keys.join(', ')})`);
  const seek = request.cursor ? sql` and ${keyList} > (${Sql.join(request.cursor.map((v) => sql`${v}`), ', ')})` : Sql.raw('');
  const keyAliases = Sql.raw(query.keys.map((k, i) => `${k}::text as "__k${i}"`).join(', '));
  const parent = Sql.raw(query.parentColumn);
  const statement = sql`select * from (
      select t.*, ${keyAliases}, ${parent} as "__parent",
        row_number() over (partition by ${parent} order by ${Sql.raw(query.keys.join(', '))}) as "__rn"
      from ${query.from} where (${query.where}) and ${parent} in (${parentIds})${seek}
    ) paged where "__rn" <= ${request.size + 1} order by "__parent", "__rn"`;
  const rows = await execute<Record<string, unknown>>(em, statement);
  const byParent = new Map<string, Record<string, unknown>[]>();
  for (const row of rows) {
    const id = String(row.__parent);
    if (!byParent.has(id)) byParent.set(id, []);
    byParent.get(id)!.push(row);
  }
  for (const id of parentIds) {
    const all = byParent.get(id) ?? [];
    const pageRows = all.slice(0, request.size);
    pages.set(id, {
      items: pageRows.map((row) => toItem(em, entity, query, row)),
      cursors: pageRows.map((row) => encodeCursor(query.keys.map((_, i) => cursorValue(row[`__k${i}`])))),
      hasNextPage: all.length > request.size,
      hasPreviousPage: request.cursor != null,
    });
  }
  return pages;
}

/** Counts of several parents' lists in one grouped statement. */
export async function countRowsByParent(
  em: Em,
  query: Pick<ListQuery, 'from' | 'where'> & { parentColumn: string },
  parentIds: string[],
): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  if (parentIds.length === 0) return counts;
  const parent = Sql.raw(query.parentColumn);
  const statement = sql`select ${parent} as parent, count(*)::int as n from ${query.from}
    where (${query.where}) and ${parent} in (${parentIds}) group by ${parent}`;
  const rows = await execute<{ parent: string; n: number }>(em, statement);
  for (const row of rows) counts.set(String(row.parent), Number(row.n));
  return counts;
}

function toItem<T extends object>(em: Em, entity: EntityName<T>, query: Pick<ListQuery, 'readOnly'>, row: Record<string, unknown>): T {
  return query.readOnly ? readOnlyRow(em, entity, row) : em.map(entity, stripHelpers(row) as never);
}

function stripHelpers(row: Record<string, unknown>): Record<string, unknown> {
  const clean: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) if (!key.startsWith('__')) clean[key] = value;
  return clean;
}
