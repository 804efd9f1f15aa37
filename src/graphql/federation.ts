import DataLoader from 'dataloader';
import { GraphQLScalarType, Kind, valueFromASTUntyped, type ValueNode } from 'graphql';
import type { Context } from './context.js';

/**
 * Apollo Federation's building blocks, knowing no concept: the `_Any` scalar representations arrive
 * in, and the registry of keys other than `id` (a concept registers how its type is found by such a
 * key next to that type). Entities keyed by `id` are found by `node(id:)`'s loader, nothing else.
 */

/** A representation: the type's name and the fields of one of its keys, as a gateway sends them. */
export interface Representation {
  __typename: string;
  [field: string]: unknown;
}

/** Fields a representation of ours can carry: `__typename` and one key (a gateway may add a few more). */
const MAX_REPRESENTATION_FIELDS = 8;

function representation(value: unknown): Representation {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new TypeError('A representation is an object');
  const record = value as Record<string, unknown>;
  if (typeof record.__typename !== 'string') throw new TypeError('A representation names its type in `__typename`');
  if (Object.keys(record).length > MAX_REPRESENTATION_FIELDS) throw new TypeError(`A representation has at most ${MAX_REPRESENTATION_FIELDS} fields`);
  return record as Representation;
}

/** Federation's `_Any`: here only representations, checked for their shape (their text by the input guard). */
export const AnyScalar = new GraphQLScalarType({
  name: '_Any',
  description: 'A representation of an entity: `__typename` and the fields of one of its keys.',
  serialize: (value) => value,
  parseValue: representation,
  parseLiteral: (ast: ValueNode, variables?: Record<string, unknown> | null) => {
    if (ast.kind !== Kind.OBJECT) throw new TypeError('A representation is an object');
    return representation(valueFromASTUntyped(ast, variables));
  },
});

interface EntityKey {
  typeName: string;
  /** The key's one field (a scalar of the type). */
  field: string;
  /** The objects the viewer may see, by the key's value; a value without one (or outside scope) is absent. */
  loadVisible: (ctx: Context, values: string[]) => Promise<Map<string, object>>;
}

const keys = new Map<string, EntityKey[]>();

/**
 * Declares a key other than `id` for an entity type; the `@key(fields: …)` directive on its GraphQL
 * type says the same to the gateway, and the subgraph printer checks the two agree.
 */
export function registerEntityKey(key: EntityKey): void {
  keys.set(key.typeName, [...(keys.get(key.typeName) ?? []).filter((k) => k.field !== key.field), key]);
}

export function entityKeysOf(typeName: string): readonly EntityKey[] {
  return keys.get(typeName) ?? [];
}

const SEP = '\u0000';

/**
 * Finds entities by a registered key, one statement per type and key per batch (the request's
 * DataLoader collects every representation of an `_entities` call before it loads).
 * Keys are "type NUL field NUL value".
 */
export function createEntityKeyLoader(ctx: () => Context): DataLoader<string, object | null> {
  return new DataLoader(async (composite) => {
    const byKey = new Map<string, { key: EntityKey; values: Set<string> }>();
    for (const c of composite) {
      const [typeName, field, value] = c.split(SEP);
      const key = entityKeysOf(typeName).find((k) => k.field === field);
      if (!key) continue;
      const group = byKey.get(`${typeName}${SEP}${field}`) ?? { key, values: new Set<string>() };
      group.values.add(value);
      byKey.set(`${typeName}${SEP}${field}`, group);
    }
    const found = new Map<string, object>();
    for (const [prefix, { key, values }] of byKey) {
      for (const [value, obj] of await key.loadVisible(ctx(), [...values])) found.set(`${prefix}${SEP}${value}`, obj);
    }
    return composite.map((c) => found.get(c) ?? null);
  });
}

export function entityKeyOf(typeName: string, field: string, value: string): string {
  return [typeName, field, value].join(SEP);
}
