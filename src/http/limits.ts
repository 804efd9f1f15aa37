import {
  getNamedType,
  getNullableType,
  GraphQLError,
  isCompositeType,
  isListType,
  isUnionType,
  Kind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { getArgumentValues, getVariableValues } from 'graphql/execution/values.js';
import { forbiddenTextIn } from '../graphql/input-guard.js';

/**
 * How big a query may be. Checked on the operation as it will run, variables and argument defaults
 * included, after validation and before any resolver: a refusal costs no database work.
 */
export interface QueryLimits {
  /** Nesting of selection sets: `{ me { id } }` is 1. */
  maxDepth: number;
  maxAliases: number;
  maxDirectives: number;
  /** Parser tokens (graphql-js stops parsing past it). */
  maxTokens: number;
  /** Estimated values in the answer; see `measureOperation`. */
  maxCost: number;
  /** Page size of a connection asked without `first`/`last` (as `pageRequest` uses). */
  defaultPageSize: number;
}

export const DEFAULT_LIMITS: QueryLimits = {
  maxDepth: 12,
  maxAliases: 15,
  maxDirectives: 20,
  maxTokens: 2000,
  // A portal's staff list (50 people with their employer and 10 grants each, roles, scopes and
  // sub-areas) costs about 21,000; the limit leaves room for twice that.
  maxCost: 50_000,
  defaultPageSize: 20,
};

/** A list that is neither a page nor `nodes(ids:)` (a service's roles, a person's placements): assumed this long. */
const UNPAGED_LIST_ESTIMATE = 10;
const OBJECT_COST = 2;
const SCALAR_COST = 1;

export interface OperationMeasure {
  depth: number;
  aliases: number;
  directives: number;
  cost: number;
}

/** The measure of one selection set, the same wherever it is used, so fragments are measured once. */
type Measure = OperationMeasure;

const ZERO: Measure = { depth: 0, aliases: 0, directives: 0, cost: 0 };

/**
 * The shape of an operation as it would execute. Each field costs 1 (a scalar) or 2 plus its
 * selection (an object), times the length of the list it returns: the page size of a connection
 * (`first`/`last`, from a literal, a variable or the default), the number of ids of `nodes(ids:)`,
 * or a fixed estimate for other lists. Fragments are measured once and reused, so a fragment
 * spread many times (a "fragment bomb") costs its real expansion without being walked again.
 * Introspection is not measured (it is off in production). Null when the variables do not coerce:
 * execution refuses those before resolving anything.
 */
export function measureOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  rawVariables: Record<string, unknown> | undefined,
  defaultPageSize: number,
): OperationMeasure | null {
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], rawVariables ?? {}, { maxErrors: 1 });
  return coerced.errors ? null : measureCoerced(schema, document, operation, coerced.coerced, defaultPageSize);
}

/** The longest message a refused variable answers with: graphql-js would print the whole value back. */
const MAX_VARIABLE_MESSAGE = 500;

/**
 * The operation's variables, coerced as execution will coerce them, or the first reason they cannot
 * be: one BAD_USER_INPUT with a bounded message. graphql-js would list up to 50 errors, each
 * printing the whole value it refused (a 278 KB request answered 14 MB), and mask a 51st as a
 * server error.
 */
export function coerceVariables(schema: GraphQLSchema, operation: OperationDefinitionNode, raw: Record<string, unknown> | undefined): Record<string, unknown> {
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], raw ?? {}, { maxErrors: 1 });
  if (!coerced.errors) return coerced.coerced;
  const first = coerced.errors[0];
  const message = first.message.length > MAX_VARIABLE_MESSAGE ? `${first.message.slice(0, MAX_VARIABLE_MESSAGE)}…` : first.message;
  throw new GraphQLError(message, { nodes: first.nodes, extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } } });
}

function measureCoerced(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
  defaultPageSize: number,
): OperationMeasure | null {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const measuredFragments = new Map<string, Measure>();
  const inProgress = new Set<string>();

  const multiplier = (field: GraphQLField<unknown, unknown>, parent: GraphQLCompositeType, node: Parameters<typeof getArgumentValues>[1]): number => {
    const hasPaging = field.args.some((a) => a.name === 'first') && field.args.some((a) => a.name === 'last');
    // `nodes(ids:)` and federation's `_entities(representations:)` return one object per item asked for.
    const idsArg = field.args.find((a) => a.name === 'ids' || a.name === 'representations');
    if (!hasPaging && !idsArg && !isListType(getNullableType(field.type))) return 1;
    let args: Record<string, unknown>;
    try {
      args = getArgumentValues(field, node, variables);
    } catch {
      return 1; // execution will refuse the argument before resolving this field
    }
    if (hasPaging) {
      const size = (args.first ?? args.last ?? defaultPageSize) as number;
      return Math.max(0, size);
    }
    const asked = idsArg ? args[idsArg.name] : undefined;
    if (Array.isArray(asked)) return asked.length;
    // The lists of a connection are as long as the page its field asked for, counted there.
    return /(Connection|Edge)$/.test(parent.name) ? 1 : UNPAGED_LIST_ESTIMATE;
  };

  const measure = (selectionSet: SelectionSetNode, parent: GraphQLCompositeType): Measure => {
    const total: Measure = { ...ZERO };
    const add = (m: Measure) => {
      total.depth = Math.max(total.depth, m.depth);
      total.aliases += m.aliases;
      total.directives += m.directives;
      total.cost += m.cost;
    };
    for (const selection of selectionSet.selections) {
      total.directives += selection.directives?.length ?? 0;
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        if (name === '__schema' || name === '__type') continue;
        if (selection.alias) total.aliases++;
        if (name === '__typename') {
          total.cost += SCALAR_COST;
          continue;
        }
        const field = isUnionType(parent) ? undefined : parent.getFields()[name];
        if (!field) continue; // validation has refused unknown fields already
        const type = getNamedType(field.type);
        const times = multiplier(field, parent, selection);
        if (!selection.selectionSet || !isCompositeType(type)) {
          total.cost += SCALAR_COST * times;
          continue;
        }
        const inner = measure(selection.selectionSet, type);
        add({ depth: inner.depth + 1, aliases: inner.aliases * times, directives: inner.directives, cost: (OBJECT_COST + inner.cost) * times });
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const typeName = selection.typeCondition?.name.value;
        const type = typeName ? schema.getType(typeName) : parent;
        if (type && isCompositeType(type)) add(measure(selection.selectionSet, type));
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        if (!fragment || inProgress.has(name)) continue; // validation refuses unknown and cyclic fragments
        let m = measuredFragments.get(name);
        if (!m) {
          const type = schema.getType(fragment.typeCondition.name.value);
          if (!type || !isCompositeType(type)) continue;
          inProgress.add(name);
          m = measure(fragment.selectionSet, type);
          m = { ...m, directives: m.directives + (fragment.directives?.length ?? 0) };
          inProgress.delete(name);
          measuredFragments.set(name, m);
        }
        add(m);
      }
    }
    return total;
  };

  const root = operation.operation === 'mutation' ? schema.getMutationType() : operation.operation === 'subscription' ? schema.getSubscriptionType() : schema.getQueryType();
  if (!root) return null;
  const m = measure(operation.selectionSet, root);
  return { ...m, directives: m.directives + (operation.directives?.length ?? 0) };
}

/** The code of every refusal for a query's shape, with `extensions.limit` naming which one. */
export const QUERY_TOO_COMPLEX = 'QUERY_TOO_COMPLEX';

export function tooComplex(limit: keyof OperationMeasure | 'tokens', max: number, actual: number | null, message: string): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code: QUERY_TOO_COMPLEX, limit, max, ...(actual === null ? {} : { actual }), http: { status: 400 } },
  });
}

const ADVICE: Record<keyof OperationMeasure, string> = {
  depth: 'Nest fewer selections.',
  aliases: 'Use fewer aliases.',
  directives: 'Use fewer directives.',
  cost: 'Ask for smaller pages, fewer ids or fewer nested lists.',
};

/**
 * Refuses an operation over any limit with HTTP 400 and QUERY_TOO_COMPLEX, before it executes: the
 * `didResolveOperation` step of the GraphQL edge's one plugin (`src/app/apollo.ts`).
 */
export function queryLimitsCheck(limits: QueryLimits): (request: ResolvedOperation) => void {
  const maxima: Record<keyof OperationMeasure, number> = {
    depth: limits.maxDepth,
    aliases: limits.maxAliases,
    directives: limits.maxDirectives,
    cost: limits.maxCost,
  };
  const names = Object.keys(maxima) as (keyof OperationMeasure)[];
  return ({ schema, document, operation, request }) => {
    if (!operation) return;
    const hostile = forbiddenTextIn(document, request.variables);
    if (hostile) {
      throw new GraphQLError(hostile.message, {
        extensions: { code: 'BAD_USER_INPUT', field: hostile.field, http: { status: 400 } },
      });
    }
    const variables = coerceVariables(schema, operation, request.variables);
    const measured = measureCoerced(schema, document, operation, variables, limits.defaultPageSize);
    if (!measured) return;
    for (const limit of names) {
      const actual = Math.ceil(measured[limit]);
      if (actual > maxima[limit]) {
        throw tooComplex(limit, maxima[limit], Number.isFinite(actual) ? actual : null, `The query is too large: its ${limit} is ${Number.isFinite(actual) ? actual : 'unbounded'}, over the limit of ${maxima[limit]}. ${ADVICE[limit]}`);
      }
    }
  };
}

/** What the limits check reads of a request whose operation is resolved. */
export interface ResolvedOperation {
  schema: GraphQLSchema;
  document: DocumentNode;
  operation?: OperationDefinitionNode;
  request: { variables?: Record<string, unknown> };
}
