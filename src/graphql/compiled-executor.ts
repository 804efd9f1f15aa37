import type { GatewayExecutor, GatewayGraphQLRequestContext, GatewayInterface } from '@apollo/server-gateway-interface';
import { execute, GraphQLError, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';

/** How often a document is executed by graphql-js before it is compiled: one-off documents never are (0: none is). */
export const COMPILE_AFTER = 2;
/** The most compiled documents one process keeps; the least recently used is dropped first. */
export const MAX_COMPILED = 256;

/**
 * Executes queries the way graphql-js does, and the hot ones faster: a query document executed
 * COMPILE_AFTER times is compiled by graphql-jit into a function over the same schema and the same
 * resolvers, so its fields cost no per-field dictionaries and promises. What it cannot answer
 * exactly as graphql-js would is left to graphql-js:
 * - mutations and subscriptions (rare, and executed serially by the specification), and a request
 *   naming an operation its document does not hold;
 * - requests for a federation trace (the trace plugin instruments graphql-js's field resolution);
 * - a request the compiled query refuses before resolving anything (`data` absent: a variable that
 *   does not coerce, say), so the client reads graphql-js's own error, with Apollo's code for it.
 * Documents are keyed by Apollo's hash of their text and the operation named; at most MAX_COMPILED
 * are kept (and the uses of four times as many not yet hot), so a client sending ever new documents
 * costs nothing but graphql-js time, and evicts no compiled document.
 */
export class CompiledExecutor {
  /** Compiled documents by key; null once compiling failed, so the document stays with graphql-js. */
  private readonly compiled = new Map<string, CompiledQuery | null>();
  /** Executions so far of documents not yet compiled. */
  private readonly uses = new Map<string, number>();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly options: { compileAfter?: number; maxCompiled?: number } = {},
  ) {}

  /** How many documents are compiled now (for tests and the bench). */
  get compiledCount(): number {
    let n = 0;
    for (const c of this.compiled.values()) if (c) n++;
    return n;
  }

  readonly execute: GatewayExecutor = async (request) => {
    const compiled = this.compiledFor(request);
    if (compiled) {
      const result = await compiled.query(undefined, request.context, request.request.variables ?? {});
      if (result.data !== undefined) return result.errors ? { ...result, errors: result.errors.map(asLocatedError) } : (result as ExecutionResult);
    }
    return this.interpret(request);
  };

  private interpret(request: GatewayGraphQLRequestContext): Promise<ExecutionResult> | ExecutionResult {
    return execute({
      schema: this.schema,
      document: request.document,
      contextValue: request.context,
      variableValues: request.request.variables,
      // The name the client sent: Apollo's own is null when the document has no such operation.
      operationName: request.request.operationName,
    });
  }

  private compiledFor(request: GatewayGraphQLRequestContext): CompiledQuery | null {
    const compileAfter = this.options.compileAfter ?? COMPILE_AFTER;
    // No operation: the operation named is not in the document, which graphql-js answers as Apollo expects.
    if (compileAfter === 0 || request.operation?.operation !== 'query') return null;
    if (request.request.http?.headers.get('apollo-federation-include-trace')) return null;
    const key = `${request.operationName ?? ''}\u0000${request.queryHash}`;
    const max = this.options.maxCompiled ?? MAX_COMPILED;
    const known = this.compiled.get(key);
    if (known !== undefined) {
      // Most recently used last: a Map keeps insertion order.
      this.compiled.delete(key);
      this.compiled.set(key, known);
      return known;
    }
    // Documents not yet hot are counted apart, so a stream of one-off documents never evicts a compiled one.
    const uses = (this.uses.get(key) ?? 0) + 1;
    if (uses < compileAfter) {
      this.uses.delete(key);
      this.uses.set(key, uses);
      if (this.uses.size > max * 4) this.uses.delete(this.uses.keys().next().value!);
      return null;
    }
    this.uses.delete(key);
    const compiled = this.compile(request);
    this.compiled.set(key, compiled);
    if (this.compiled.size > max) this.compiled.delete(this.compiled.keys().next().value!);
    return compiled;
  }

  private compile(request: GatewayGraphQLRequestContext): CompiledQuery | null {
    try {
      const compiled = compileQuery(this.schema, request.document, request.operationName ?? undefined, { disablingCapturingStackErrors: true });
      return isCompiledQuery(compiled) ? compiled : null;
    } catch {
      return null;
    }
  }

  /** The executor as Apollo Server takes it: a "gateway" serving this one schema. */
  gateway(): GatewayInterface {
    const schema = this.schema;
    const execute = this.execute;
    return {
      async load() {
        return { schema, executor: execute };
      },
      onSchemaLoadOrUpdate(callback) {
        callback({ apiSchema: schema, coreSupergraphSdl: '' });
        return () => {};
      },
      async stop() {},
    };
  }
}

/**
 * A compiled query's error as graphql-js's `locatedError` makes it: a resolver's GraphQLError that
 * already has a path as it is, anything else a GraphQLError with its path, its locations, the thrown
 * error as `originalError` and that error's extensions (an object, always, as the edge adds codes to it).
 */
function asLocatedError(error: GraphQLError): GraphQLError {
  const original = error.originalError ?? undefined;
  if (original instanceof GraphQLError && original.path) return original;
  const located = new GraphQLError(error.message, { path: error.path, originalError: original });
  Object.defineProperty(located, 'locations', { value: error.locations, enumerable: error.locations !== undefined, writable: true, configurable: true });
  return located;
}
