import type { EntityName } from '@mikro-orm/core';
import type { Em } from './orm.js';
import { Sql, sql } from './sql.js';
import { executeRead } from './prepared.js';
import { readOnlyColumns, readOnlyRow } from './read-only-row.js';
import { encodeCursor, type Page, type PageRequest } from './paging.js';
import { InvalidArgument } from '../domain/errors.js';

/** A keyset-paginated list: rows of `from` (aliased `t`) matching `where`, ordered by `keys` then unique. */
export interface ListQuery {
  /** FROM clause, the listed table aliased `t`, joins allowed. */
  from: Sql;
  where: Sql;
  /** Sort key columns (qualified, e.g. `t.family_name`), ascending; the last one must be unique. */
  keys: string[];
  /** Common table expressions (without `with`) that `where` refers to. */
  with?: Sql;
  /** Build the items as read-only rows (readOnlyRow) instead of managed entities: for lists only read. */
  readOnly?: boolean;
  /**
   * A row each item links to (its employer, say), read in the same statement by a join on the page's
   * rows: Page.included holds them as read-only rows, for the caller to prime its loader with.
   */
  include?: { column: string; entity: EntityName<object> };
  /**
   * The listed table (aliased t in `from`, its keys `t.<column>`), when its page is best found from an
   * index alone: each plan then selects only the ids and sort keys of its page (an index-only walk when
   * an index holds the keys and what `where` tests) and reads those rows by primary key afterwards.
   */
  rowsById?: string;
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
  const limit = literalLimit(request.size + 1);
  const select = (where: Sql) => {
    if (!query.rowsById) return sql`select t.*, ${keyAliases} from ${query.from} where ${where}${seek} order by ${order} limit ${limit}`;
    const found = sql`select t.id as "__id", ${keyAliases} from ${query.from} where ${where}${seek} order by ${order} limit ${limit}`;
    const byRow = Sql.raw(query.keys.map((k) => `r.${k.slice(k.indexOf('.') + 1)} ${forward ? 'asc' : 'desc'}`).join(', '));
    const keyColumns = Sql.raw(query.keys.map((_, i) => `k."__k${i}"`).join(', '));
    return sql`select r.*, ${keyColumns} from (${found}) k join ${Sql.raw(query.rowsById)} r on r.id = k."__id" order by ${byRow}`;
  };
  const body = select(sql`(${query.where})`);
  const included = query.include ? includedColumns(em, query.include.entity) : null;
  const joined = included
    ? sql`select t.*, ${Sql.raw(included.select)} from (${body}) t
        left join lateral (select * from ${Sql.raw(included.table)} i where i.id = t.${Sql.raw(query.include!.column)}) i on true order by ${order}`
    : body;
  const statement = query.with ? sql`with ${query.with} ${joined}` : joined;
  const rows = await executeRead<Record<string, unknown>>(em, statement);
  const more = rows.length > request.size;
  const pageRows = rows.slice(0, request.size);
  if (!forward) pageRows.reverse();
  const items = pageRows.map((row) => toItem(em, entity, query, row));
  return withCursors(
    {
      items,
      hasNextPage: forward ? more : request.cursor != null,
      hasPreviousPage: forward ? request.cursor != null : more,
      ...(included && { included: includedRows(em, query.include!.entity, pageRows) }),
    },
    query.keys,
    pageRows,
  );
}

/** The page with its cursors encoded when first read: most clients ask for nodes, not edges. */
function withCursors<T>(page: Omit<Page<T>, 'cursors'>, keys: string[], rows: Record<string, unknown>[]): Page<T> {
  let cursors: string[] | undefined;
  return Object.defineProperty(page, 'cursors', {
    enumerable: true,
    get: () => (cursors ??= rows.map((row) => encodeCursor(keys.map((_, i) => cursorValue(row[`__k${i}`]))))),
  }) as Page<T>;
}

const includedShapes = new WeakMap<object, { table: string; select: string }>();

/** The included entity's table and the columns readOnlyRow reads, selected as `__i_<column>` next to the page's own. */
function includedColumns(em: Em, entity: EntityName<object>): { table: string; select: string } {
  const meta = em.getMetadata().get(entity);
  let shape = includedShapes.get(meta);
  if (!shape) {
    shape = { table: meta.tableName, select: readOnlyColumns(em, entity).map((f) => `i."${f}" as "__i_${f}"`).join(', ') };
    includedShapes.set(meta, shape);
  }
  return shape;
}

/** The included rows of a page, once each. */
function includedRows(em: Em, entity: EntityName<object>, rows: Record<string, unknown>[]): object[] {
  const seen = new Map<unknown, object>();
  for (const row of rows) if (row.__i_id != null && !seen.has(row.__i_id)) seen.set(row.__i_id, readOnlyRow(em, entity, row, '__i_'));
  return [...seen.values()];
}

export async function countRows(em: Em, query: Pick<ListQuery, 'from' | 'where'>): Promise<number> {
  const statement = sql`select count(*)::int as n from ${query.from} where ${query.where}`;
  const [row] = await executeRead<{ n: number }>(em, statement);
  return Number(row.n);
}

/**
 * A page's row limit written into the statement rather than passed: the planner chooses by it (walk an
 * index or sort, a lookup per row or a hash), and a prepared statement's generic plan would not know it.
 * Page sizes are a few validated integers, so each shape of list has a handful of texts.
 */
function literalLimit(n: number): Sql {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`page limit ${n} is not a count`);
  return Sql.raw(String(n));
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
    ) paged where "__rn" <= ${literalLimit(request.size + 1)} order by "__parent", "__rn"`;
  const rows = await executeRead<Record<string, unknown>>(em, statement);
  const byParent = new Map<string, Record<string, unknown>[]>();
  for (const row of rows) {
    const id = String(row.__parent);
    if (!byParent.has(id)) byParent.set(id, []);
    byParent.get(id)!.push(row);
  }
  for (const id of parentIds) {
    const all = byParent.get(id) ?? [];
    const pageRows = all.slice(0, request.size);
    pages.set(
      id,
      withCursors({ items: pageRows.map((row) => toItem(em, entity, query, row)), hasNextPage: all.length > request.size, hasPreviousPage: request.cursor != null }, query.keys, pageRows),
    );
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
  const rows = await executeRead<{ parent: string; n: number }>(em, statement);
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
