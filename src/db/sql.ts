/** A piece of SQL with `?` placeholders and its parameters, composable without string-pasting values. */
export class Sql {
  constructor(
    readonly text: string,
    readonly params: unknown[],
  ) {}

  static join(parts: Sql[], separator: string): Sql {
    return new Sql(parts.map((p) => p.text).join(separator), parts.flatMap((p) => p.params));
  }

  static raw(text: string): Sql {
    return new Sql(text, []);
  }
}

/** Tagged template: values become parameters, nested `Sql` fragments are inlined with theirs. */
export function sql(strings: TemplateStringsArray, ...values: unknown[]): Sql {
  let text = strings[0];
  const params: unknown[] = [];
  values.forEach((value, i) => {
    if (value instanceof Sql) {
      text += value.text;
      params.push(...value.params);
    } else {
      text += '?';
      params.push(value);
    }
    text += strings[i + 1];
  });
  return new Sql(text, params);
}

/** Conjunction, parenthesised as a whole so it can be pasted next to any operator. */
export const and = (parts: Sql[]): Sql => (parts.length ? sql`(${Sql.join(parts.map((p) => sql`(${p})`), ' and ')})` : Sql.raw('true'));
/** Disjunction, parenthesised as a whole: `x = 1 and ${or(...)}` must not read as `(x = 1 and a) or b`. */
export const or = (parts: Sql[]): Sql => (parts.length ? sql`(${Sql.join(parts.map((p) => sql`(${p})`), ' or ')})` : Sql.raw('false'));

/** Runs a statement on the EntityManager's connection, inside its transaction when it has one. */
export function execute<T = Record<string, unknown>>(em: { getConnection(): { execute(q: string, p: unknown[], m: 'all', ctx?: unknown): Promise<unknown> }; getTransactionContext(): unknown }, statement: Sql): Promise<T[]> {
  return em.getConnection().execute(statement.text, statement.params, 'all', em.getTransactionContext()) as Promise<T[]>;
}

/**
 * `column` starts with `prefix` (a materialized path's subtree), written as a range in byte order
 * (`collate "C"`): the same rows as `like 'prefix%'`, but a range a generic plan of a prepared statement
 * can still take from the index, where LIKE needs its pattern at planning time. A prefix not ending
 * in a plain ASCII character keeps LIKE (with its wildcards escaped).
 */
export function startsWith(column: Sql, prefix: string): Sql {
  const last = prefix.charCodeAt(prefix.length - 1);
  if (prefix.length === 0 || !(last >= 0x20 && last < 0x7e)) return sql`${column} like ${`${prefix.replace(/[\\%_]/g, '\\$&')}%`}`;
  const next = `${prefix.slice(0, -1)}${String.fromCharCode(last + 1)}`;
  return sql`(${column} >= ${prefix} collate "C" and ${column} < ${next} collate "C")`;
}
