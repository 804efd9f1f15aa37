import { parse, type Filter } from 'scim2-parse-filter';
import { and, or, Sql, sql } from '../db/sql.js';
import { ScimError } from './scim-error.js';

/** A single-valued attribute a filter or sortBy may name, as the SQL expression it reads. */
export interface ScimAttribute {
  type: 'string' | 'boolean' | 'dateTime' | 'id';
  sql: Sql;
  /** Strings compare case-insensitively unless the schema says caseExact (RFC 7643 2.2). */
  caseExact?: boolean;
  /** For `id`: the stored key of an id the client was given, or null when it is none of ours. */
  decode?: (value: string) => string | null;
}

/** A multi-valued attribute (`emails`): its sub-attributes, `value` being what the bare name compares. */
export interface ScimMultiAttribute {
  type: 'multi';
  sub: Record<string, ScimAttribute>;
}

/** What a resource type lets clients filter and sort on: lower-case attribute paths (`name.givenname`). */
export type ScimAttributeMap = Record<string, ScimAttribute | ScimMultiAttribute>;

/** A filter longer than this is refused before parsing (the parser recurses on its nesting). */
export const MAX_FILTER_LENGTH = 2000;

/** Strips the core schema's URN from a path: `urn:…:core:2.0:User:userName` is `userName`. */
function canonicalPath(path: string, coreSchema: string): string {
  const lower = path.toLowerCase();
  const core = `${coreSchema.toLowerCase()}:`;
  return lower.startsWith(core) ? lower.slice(core.length) : lower;
}

function lookup(map: ScimAttributeMap, path: string, coreSchema: string): ScimAttribute {
  const canonical = canonicalPath(path, coreSchema);
  const direct = map[canonical];
  if (direct && direct.type !== 'multi') return direct;
  if (direct?.type === 'multi' && direct.sub.value) return direct.sub.value;
  // `emails.value`, or an extension's `urn:…:User:organization` (a colon inside its URN)
  const dot = canonical.lastIndexOf('.');
  if (dot > 0 && !canonical.startsWith('urn:')) {
    const parent = map[canonical.slice(0, dot)];
    const sub = parent?.type === 'multi' ? parent.sub[canonical.slice(dot + 1)] : undefined;
    if (sub) return sub;
  }
  throw ScimError.badRequest('invalidFilter', `The attribute "${path}" cannot be filtered on.`);
}

const lowerIf = (a: ScimAttribute, e: Sql) => (a.caseExact ? e : sql`lower(${e})`);

function compare(attr: ScimAttribute, path: string, op: string, value: unknown): Sql {
  const col = attr.sql;
  if (op === 'pr') return attr.type === 'string' ? sql`(${col} is not null and ${col} <> '')` : sql`(${col} is not null)`;
  if (value === null) {
    if (op === 'eq') return sql`(${col} is null)`;
    if (op === 'ne') return sql`(${col} is not null)`;
    throw ScimError.badRequest('invalidFilter', `"${op}" does not compare with null.`);
  }
  switch (attr.type) {
    case 'id': {
      if (op !== 'eq' && op !== 'ne') throw ScimError.badRequest('invalidFilter', `"${path}" takes eq and ne only.`);
      const key = typeof value === 'string' ? attr.decode!(value) : null;
      const equal = key ? sql`${col} = ${key}` : Sql.raw('false');
      return op === 'eq' ? equal : sql`not ${equal}`;
    }
    case 'boolean': {
      // Entra ID sends booleans as the strings "True" and "False".
      const b = typeof value === 'string' && /^(true|false)$/i.test(value) ? value.toLowerCase() === 'true' : value;
      if (typeof b !== 'boolean') throw ScimError.badRequest('invalidFilter', `"${path}" is a boolean.`);
      if (op === 'eq') return sql`(${col} = ${b})`;
      if (op === 'ne') return sql`(${col} <> ${b})`;
      throw ScimError.badRequest('invalidFilter', `"${path}" takes eq, ne and pr only.`);
    }
    case 'dateTime': {
      const t = typeof value === 'string' ? new Date(value) : null;
      if (!t || Number.isNaN(t.getTime())) throw ScimError.badRequest('invalidFilter', `"${path}" compares with a date and time (xsd:dateTime).`);
      const cmp = { eq: '=', ne: '<>', gt: '>', ge: '>=', lt: '<', le: '<=' }[op];
      if (!cmp) throw ScimError.badRequest('invalidFilter', `"${op}" does not apply to the date "${path}".`);
      return sql`(${col} ${Sql.raw(cmp)} ${t.toISOString()}::timestamptz)`;
    }
    case 'string': {
      if (typeof value !== 'string') throw ScimError.badRequest('invalidFilter', `"${path}" is a string.`);
      const c = lowerIf(attr, col);
      const v = attr.caseExact ? sql`${value}` : sql`lower(${value})`;
      switch (op) {
        case 'eq':
          return sql`(${c} = ${v})`;
        case 'ne':
          return sql`(${col} is null or ${c} <> ${v})`;
        case 'co':
          return sql`(strpos(${c}, ${v}) > 0)`;
        case 'sw':
          return sql`starts_with(${c}, ${v})`;
        case 'ew':
          return sql`(right(${c}, ${value.length}) = ${v})`;
        case 'gt':
          return sql`(${c} > ${v})`;
        case 'ge':
          return sql`(${c} >= ${v})`;
        case 'lt':
          return sql`(${c} < ${v})`;
        case 'le':
          return sql`(${c} <= ${v})`;
        default:
          throw ScimError.badRequest('invalidFilter', `Unknown operator "${op}".`);
      }
    }
  }
}

function compileNode(node: Filter, map: ScimAttributeMap, coreSchema: string): Sql {
  switch (node.op) {
    case 'and':
      return and((node as { filters: Filter[] }).filters.map((f) => compileNode(f, map, coreSchema)));
    case 'or':
      return or((node as { filters: Filter[] }).filters.map((f) => compileNode(f, map, coreSchema)));
    case 'not':
      // A comparison with a null column is unknown, which `not` must turn into a match.
      return sql`not coalesce(${compileNode((node as { filter: Filter }).filter, map, coreSchema)}, false)`;
    case '[]': {
      const { attrPath, valFilter } = node as { attrPath: string; valFilter: Filter };
      const parent = map[canonicalPath(attrPath, coreSchema)];
      if (parent?.type !== 'multi') throw ScimError.badRequest('invalidFilter', `"${attrPath}" is not a multi-valued attribute.`);
      return compileNode(valFilter, parent.sub, '');
    }
    default: {
      const { attrPath, compValue } = node as { attrPath: string; compValue?: unknown };
      // Bare, so that an index on the attribute's expression serves it (`lower(u.email)` for userName):
      // an unknown comparison excludes a row in WHERE as false does, and `not` above turns it into a match.
      return compare(lookup(map, attrPath, coreSchema), attrPath, node.op, compValue ?? null);
    }
  }
}

/**
 * A SCIM filter (RFC 7644 3.4.2.2) as a SQL condition over the attributes of `map`, to be anded with
 * the caller's scope. Parsed by scim2-parse-filter; any attribute outside the map is invalidFilter.
 */
export function compileFilter(filter: string | null, map: ScimAttributeMap, coreSchema: string): Sql {
  if (filter === null || filter.trim() === '') return Sql.raw('true');
  if (filter.length > MAX_FILTER_LENGTH) throw ScimError.badRequest('invalidFilter', `A filter is at most ${MAX_FILTER_LENGTH} characters.`);
  let ast: Filter;
  try {
    ast = parse(filter);
  } catch (error) {
    throw ScimError.badRequest('invalidFilter', `The filter does not parse: ${(error as Error).message}`.slice(0, 300));
  }
  return compileNode(ast, map, coreSchema);
}

/** The SQL expression `sortBy` names (single-valued attributes only), or null for the default order. */
export function sortExpression(sortBy: string | null, map: ScimAttributeMap, coreSchema: string): Sql | null {
  return sortAttribute(sortBy, map, coreSchema)?.sql ?? null;
}

/** The expression `sortBy` names with its type (a cursor compares with its values), or null for the default order. */
export function sortAttribute(sortBy: string | null, map: ScimAttributeMap, coreSchema: string): { sql: Sql; type: ScimAttribute['type'] } | null {
  if (!sortBy) return null;
  let attr: ScimAttribute;
  try {
    attr = lookup(map, sortBy, coreSchema);
  } catch {
    throw ScimError.badRequest('invalidValue', `Cannot sort by "${sortBy}".`);
  }
  return { sql: attr.type === 'string' ? lowerIf(attr, attr.sql) : attr.sql, type: attr.type };
}

/** Whether a filter (that parses) and a sortBy name only attributes of `map`; a filter that does not parse fits nothing. */
export function fits(filter: string | null, sortBy: string | null, map: ScimAttributeMap, coreSchema: string): { filter: boolean; sortBy: boolean } {
  const ok = (f: () => unknown) => {
    try {
      f();
      return true;
    } catch (error) {
      if (error instanceof ScimError) return false;
      throw error;
    }
  };
  return { filter: ok(() => compileFilter(filter, map, coreSchema)), sortBy: ok(() => sortAttribute(sortBy, map, coreSchema)) };
}
