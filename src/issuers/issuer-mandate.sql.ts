import { Sql, sql } from '../db/sql.js';

/** A mandate in force at `at` (default now): granted, not ended, inside its validity. */
export function activeMandate(alias: string, at?: Date): Sql {
  const m = Sql.raw(alias);
  const t = at ? sql`${at.toISOString()}::timestamptz` : Sql.raw('now()');
  return sql`${m}.state = 'active' and ${m}.valid_from <= ${t} and (${m}.valid_to is null or ${m}.valid_to > ${t})`;
}
