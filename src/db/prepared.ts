import { createHash } from 'node:crypto';
import { PostgreSqlConnection } from '@mikro-orm/postgresql';
import type { Pool, PoolClient } from 'pg';
import type { Em } from './orm.js';
import { requestStore } from './request-context.js';
import { execute, type Sql } from './sql.js';

/**
 * Reads whose plan PostgreSQL keeps. MikroORM sends every statement with its values written into the
 * text, so PostgreSQL plans each one afresh: for the staff page's two statements that planning cost more
 * than running them (pgbench on the scale data: 4.0 → 2.4 ms and 3.0 → 0.9 ms with the plan kept). Here a
 * read goes to the same pool as a named prepared statement with its values as parameters, one text per
 * shape of query: PostgreSQL plans it for its first executions and then keeps a generic plan once that
 * costs no more (plan_cache_mode auto), so a query whose best plan depends on its values keeps being
 * planned. Subtree tests are ranges (`startsWith` in sql.ts), which a generic plan can still take from the index,
 * and a list of values is one array parameter (`= any`), so a page of 10 people and one of 50 share a text.
 *
 * Used for the list reads (pages, nested pages, counts, loads by id) outside a transaction; inside one, and on the
 * embedded PGlite, the statement takes MikroORM's path as before. Each pooled connection prepares at
 * most MAX_PREPARED_PER_CONNECTION texts; past that it runs them unnamed, still with parameters.
 */
const MAX_PREPARED_PER_CONNECTION = 500;

const pools = new WeakMap<object, Promise<Pool>>();
const unprepared = new WeakSet<object>();

/**
 * Sends this database's reads as MikroORM does (values written in, planned each time): for a pooler in
 * transaction mode that cannot keep a session's prepared statements (DATABASE_PREPARED_STATEMENTS=false).
 */
export function withoutPreparedStatements(connection: object): void {
  unprepared.add(connection);
}

const prepared = new WeakMap<PoolClient, Set<string>>();

export async function executeRead<T = Record<string, unknown>>(em: Em, statement: Sql): Promise<T[]> {
  const connection = em.getConnection();
  if (!(connection instanceof PostgreSqlConnection) || em.getTransactionContext() || unprepared.has(connection)) return execute<T>(em, statement);
  let pool = pools.get(connection);
  if (!pool) pools.set(connection, (pool = connection.getNativeClient()));
  const { text, values } = positional(statement);
  const store = requestStore.getStore();
  if (store) store.sqlStatements++;
  const ready = await pool;
  // A table changed under a kept plan (a migration while this process runs): PostgreSQL refuses the
  // statement on each connection that prepared it. Each such connection is dropped with its plans, and
  // the read asked again, at most once per connection the pool holds.
  for (let attempt = 0; ; attempt++) {
    try {
      return await run<T>(ready, text, values);
    } catch (error) {
      if (!stalePlan(error) || attempt >= (ready.options.max ?? 10)) throw error;
    }
  }
}

const stalePlan = (error: unknown) => (error as { code?: string }).code === '0A000' && /cached plan must not change result type/.test(String((error as Error).message));

async function run<T>(pool: Pool, text: string, values: unknown[]): Promise<T[]> {
  const client = await pool.connect();
  let failed: Error | undefined;
  try {
    let names = prepared.get(client);
    if (!names) prepared.set(client, (names = new Set()));
    const name = names.size < MAX_PREPARED_PER_CONNECTION || names.has(text) ? statementName(text) : undefined;
    if (name) names.add(text);
    const result = await client.query<T & object>({ name, text, values });
    return result.rows;
  } catch (error) {
    if (stalePlan(error)) failed = error as Error;
    throw error;
  } finally {
    // Released with the error, the pool closes the connection, and its stale plans go with it.
    client.release(failed);
  }
}

const names = new Map<string, string>();

function statementName(text: string): string {
  let name = names.get(text);
  if (!name) {
    name = `hub_${createHash('sha1').update(text).digest('base64url').slice(0, 24)}`;
    if (names.size > 10_000) names.clear();
    names.set(text, name);
  }
  return name;
}

/**
 * The statement with `$n` placeholders for the `?` the sql tag writes. As MikroORM does when it writes
 * values in, an array stands for a list of values: `in (?)` becomes `= any($n)` and `not in (?)`
 * `<> all($n)` (one parameter whatever the list's length); any other array is spread over as many
 * placeholders. Dates go as ISO timestamps in UTC, as MikroORM writes them.
 */
export function positional(statement: Sql): { text: string; values: unknown[] } {
  const parts = statement.text.split('?');
  if (parts.length - 1 !== statement.params.length) throw new Error(`statement has ${parts.length - 1} placeholders for ${statement.params.length} values`);
  const values: unknown[] = [];
  let text = parts[0];
  statement.params.forEach((param, i) => {
    const after = parts[i + 1];
    if (Array.isArray(param) && after.startsWith(')') && !param.some(Array.isArray)) {
      const not = /\bnot\s+in\s*\($/i.exec(text);
      const isIn = not ?? /\bin\s*\($/i.exec(text);
      if (isIn) {
        values.push(param.map(toValue));
        text = `${text.slice(0, isIn.index)}${not ? '<> all' : '= any'}($${values.length}${after}`;
        return;
      }
    }
    const spread = (value: unknown): string => (Array.isArray(value) ? `(${value.map(spread).join(', ')})` : `$${values.push(toValue(value))}`);
    text += Array.isArray(param) ? param.map(spread).join(', ') : spread(param);
    text += after;
  });
  return { text, values };
}

function toValue(value: unknown): unknown {
  return value instanceof Date ? value.toISOString() : value;
}
