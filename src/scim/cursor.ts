import { createHash, timingSafeEqual } from 'node:crypto';
import { and, or, Sql, sql } from '../db/sql.js';
import type { ScimAttribute } from './filter.js';
import { ScimError } from './scim-error.js';

/** How long a cursor stays usable (ServiceProviderConfig pagination.cursorTimeout, seconds). */
export const CURSOR_TIMEOUT_SECONDS = 3600;
const VERSION = 1;

/** The sort a keyset follows: the sortBy attribute (or none: the id alone) and the id as tie-breaker. */
export interface Keyset {
  /** The sortBy expression as the list orders by it, with its type; null orders by the id alone. */
  sort: { sql: Sql; type: ScimAttribute['type'] } | null;
  id: Sql;
  descending: boolean;
}

/** A place in a list: the sort value and id of one row, and which way to read from it. */
export interface CursorPosition {
  key: [string | boolean | null, string];
  backwards: boolean;
}

interface Payload {
  v: number;
  k: [string | boolean | null, string];
  b: boolean;
  /** The request it belongs to: client, resource type, filter and sort. */
  r: string;
  /** Expires at, in seconds since the epoch. */
  e: number;
}

const digest = (text: string) => createHash('sha256').update(text).digest('base64url');

/**
 * What a cursor is bound to: a cursor of another client, resource type, filter or sort is
 * invalidCursor. The scope is applied again on every page, so a cursor can never widen it.
 */
export function cursorBinding(clientId: string, resourceType: string, filter: string | null, sortBy: string | null, descending: boolean): string {
  return digest(JSON.stringify([clientId, resourceType, filter ?? '', (sortBy ?? '').toLowerCase(), descending])).slice(0, 16);
}

/**
 * An opaque cursor (RFC 9865): the position and its binding, with a checksum over both so that an
 * edited or truncated cursor is refused rather than read. No server state: any instance reads it.
 */
export function encodeCursor(position: CursorPosition, binding: string, now: Date): string {
  const payload: Payload = { v: VERSION, k: position.key, b: position.backwards, r: binding, e: Math.floor(now.getTime() / 1000) + CURSOR_TIMEOUT_SECONDS };
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return `${body}.${digest(`scim-cursor:${body}`).slice(0, 22)}`;
}

/** The position a cursor names; invalidCursor when it is not one of ours for this request, expiredCursor when too old. */
export function decodeCursor(cursor: string, binding: string, now: Date): CursorPosition {
  const invalid = () => ScimError.badRequest('invalidCursor', 'The cursor is not one this server gave for this request.');
  const [body, check, more] = cursor.split('.');
  if (!body || !check || more !== undefined || cursor.length > 1000) throw invalid();
  const expected = Buffer.from(digest(`scim-cursor:${body}`).slice(0, 22));
  const given = Buffer.from(check);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid();
  let payload: Payload;
  try {
    payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Payload;
  } catch {
    throw invalid();
  }
  const key = payload?.k;
  if (payload?.v !== VERSION || payload.r !== binding || !Array.isArray(key) || key.length !== 2 || typeof key[1] !== 'string' || typeof payload.b !== 'boolean' || typeof payload.e !== 'number') {
    throw invalid();
  }
  if (key[0] !== null && typeof key[0] !== 'string' && typeof key[0] !== 'boolean') throw invalid();
  if (payload.e * 1000 <= now.getTime()) throw ScimError.badRequest('expiredCursor', 'The cursor has expired: start again without one.');
  return { key: [key[0], key[1]], backwards: payload.b };
}

/** A sort value as a cursor keeps it: dates as ISO text, everything else as read. */
export function keyValue(value: unknown): string | boolean | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'boolean' || typeof value === 'string') return value;
  return typeof value === 'number' || typeof value === 'bigint' ? String(value) : JSON.stringify(value);
}

/** The sort value a page's rows carry for their cursors: a date as text, keeping the microseconds a JS Date would lose. */
export function keysetKey(keyset: Keyset): Sql {
  if (!keyset.sort) return Sql.raw('null');
  return keyset.sort.type === 'dateTime' ? sql`(${keyset.sort.sql})::text` : keyset.sort.sql;
}

const typed = (value: string | boolean, type: ScimAttribute['type']): Sql =>
  type === 'dateTime' ? sql`${value}::timestamptz` : type === 'boolean' ? sql`${value}::boolean` : sql`${value}`;

/**
 * The condition and order of one keyset page (nulls of the sort value last, the id breaking ties):
 * the rows after `from` in the list's order, or before it read backwards; the caller reverses a
 * backwards page. Cheap on an index of the sort expression and the id.
 */
export function keysetPage(keyset: Keyset, from: CursorPosition | null): { where: Sql; order: Sql } {
  const backwards = from?.backwards ?? false;
  // Reading backwards is reading the reversed order forwards.
  const down = keyset.descending !== backwards;
  const dir = Sql.raw(down ? 'desc' : 'asc');
  const beyond = Sql.raw(down ? '<' : '>');
  const { sort, id } = keyset;
  const order = sort ? sql`${sort.sql} ${dir} nulls ${Sql.raw(backwards ? 'first' : 'last')}, ${id} ${dir}` : sql`${id} ${dir}`;
  if (!from) return { where: Sql.raw('true'), order };
  const [value, lastId] = from.key;
  const pastId = sql`${id} ${beyond} ${lastId}`;
  if (!sort) return { where: pastId, order };
  const isNull = sql`(${sort.sql} is null)`;
  const where = backwards
    ? value === null
      ? or([sql`not ${isNull}`, and([isNull, pastId])])
      : and([sql`not ${isNull}`, or([sql`${sort.sql} ${beyond} ${typed(value, sort.type)}`, and([sql`${sort.sql} = ${typed(value, sort.type)}`, pastId])])])
    : value === null
      ? and([isNull, pastId])
      : or([isNull, sql`${sort.sql} ${beyond} ${typed(value, sort.type)}`, and([sql`${sort.sql} = ${typed(value, sort.type)}`, pastId])]);
  return { where: sql`coalesce(${where}, false)`, order };
}

/**
 * One cursor page from `count + 1` rows read by keysetPage: the page in the list's order and the
 * cursors to the pages either side of it (RFC 9865 nextCursor / previousCursor).
 */
export function cursorPage<T>(
  rows: T[],
  count: number,
  from: CursorPosition | null,
  keyOf: (row: T) => [string | boolean | null, string],
  binding: string,
  now: Date,
): { rows: T[]; nextCursor?: string; previousCursor?: string } {
  const more = rows.length > count;
  const page = rows.slice(0, count);
  if (from?.backwards) page.reverse();
  if (page.length === 0) return { rows: page };
  const first = keyOf(page[0]);
  const last = keyOf(page[page.length - 1]);
  const hasNext = from?.backwards ? true : more;
  const hasPrevious = from ? (from.backwards ? more : true) : false;
  return {
    rows: page,
    ...(hasNext ? { nextCursor: encodeCursor({ key: last, backwards: false }, binding, now) } : {}),
    ...(hasPrevious ? { previousCursor: encodeCursor({ key: first, backwards: true }, binding, now) } : {}),
  };
}
