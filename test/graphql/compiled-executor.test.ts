import type { GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import { buildSchema, getOperationAST, parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompiledExecutor } from '../../src/graphql/compiled-executor.js';
import { demo, startTestHub, type TestHub } from '../support/hub.js';

/** What Apollo hands the executor, for a document and its variables. */
function requestFor(query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}): GatewayGraphQLRequestContext {
  const document = parse(query);
  return {
    request: { query, variables, http: { method: 'POST', headers: new Map(Object.entries(headers)) as never, search: '' } },
    document,
    operation: getOperationAST(document)!,
    operationName: null,
    queryHash: query,
    source: query,
    context: {},
  } as unknown as GatewayGraphQLRequestContext;
}

describe('the compiled executor', () => {
  const schema = buildSchema('type Query { hello(name: String!): String, n: Int } type Mutation { bump: Int }');
  let count = 0;
  (schema.getQueryType()!.getFields().hello.resolve as unknown) = (_: unknown, args: { name: string }) => `hello ${args.name}`;
  (schema.getMutationType()!.getFields().bump.resolve as unknown) = () => ++count;

  it('compiles a query document only once it was executed often enough, and answers the same', async () => {
    const executor = new CompiledExecutor(schema, { compileAfter: 3 });
    const answers = [];
    for (let i = 0; i < 4; i++) {
      answers.push(await executor.execute(requestFor('query($n: String!) { hello(name: $n) }', { n: 'Anna' })));
      expect(executor.compiledCount).toBe(i >= 2 ? 1 : 0);
    }
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
    expect(answers[0]).toEqual({ data: { hello: 'hello Anna' } });
  });

  it('never compiles mutations, trace requests, or anything when switched off', async () => {
    const executor = new CompiledExecutor(schema, { compileAfter: 1 });
    await executor.execute(requestFor('mutation { bump }'));
    await executor.execute(requestFor('{ n }', {}, { 'apollo-federation-include-trace': 'ftv1' }));
    expect(executor.compiledCount).toBe(0);
    const off = new CompiledExecutor(schema, { compileAfter: 0 });
    for (let i = 0; i < 3; i++) await off.execute(requestFor('{ n }'));
    expect(off.compiledCount).toBe(0);
  });

  it('leaves a request naming an operation its document lacks to graphql-js', async () => {
    const executor = new CompiledExecutor(schema, { compileAfter: 1 });
    const plain = requestFor('query A { n }');
    const request = { ...plain, request: { ...plain.request, operationName: 'Other' }, operation: undefined, operationName: null } as unknown as GatewayGraphQLRequestContext;
    const answer = await executor.execute(request);
    expect(answer.errors?.[0].message).toMatch(/Unknown operation named "Other"/);
    expect(executor.compiledCount).toBe(0);
  });

  it('keeps at most its limit of compiled documents, dropping the least recently used', async () => {
    const executor = new CompiledExecutor(schema, { compileAfter: 1, maxCompiled: 3 });
    for (let i = 0; i < 10; i++) await executor.execute(requestFor(`{ a${i}: n }`));
    expect(executor.compiledCount).toBe(3);
  });

  it('lets no stream of one-off documents evict a compiled one', async () => {
    const executor = new CompiledExecutor(schema, { compileAfter: 2, maxCompiled: 2 });
    for (let i = 0; i < 2; i++) await executor.execute(requestFor('{ hot: n }'));
    expect(executor.compiledCount).toBe(1);
    for (let i = 0; i < 100; i++) await executor.execute(requestFor(`{ once${i}: n }`));
    expect(executor.compiledCount).toBe(1);
    // A document seen once long ago has been forgotten: it needs its two executions again.
    await executor.execute(requestFor('{ once0: n }'));
    expect(executor.compiledCount).toBe(1);
  });

  it('leaves a request whose variables do not coerce to graphql-js, for its own error', async () => {
    const executor = new CompiledExecutor(schema, { compileAfter: 1 });
    const interpreted = new CompiledExecutor(schema, { compileAfter: 0 });
    const request = () => requestFor('query($n: String!) { hello(name: $n) }', { n: 42 });
    const compiled = await executor.execute(request());
    expect(compiled.data).toBeUndefined();
    expect(JSON.stringify(compiled)).toBe(JSON.stringify(await interpreted.execute(request())));
  });
});

/**
 * The same documents, as the same people, over HTTP to a hub that compiles a document at its second
 * execution: the first answer is graphql-js's, the second the compiled query's, and they are the same,
 * errors and statuses included.
 */
describe('compiled and interpreted answers over HTTP', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub({ GRAPHQL_COMPILE_AFTER: '2' });
  });
  afterAll(() => hub?.close());

  const STAFF = `query($n: Int, $withGrants: Boolean!) { users(first: $n) { totalCount nodes { __typename id displayName email
    employer { name parent { id } } grants(first: 10) @include(if: $withGrants) { nodes { id state role { name } service { code } scope { name } } } } pageInfo { hasNextPage } } }`;
  const documents: [string, string, Record<string, unknown>][] = [
    ['staff, with grants', STAFF, { n: 20, withGrants: true }],
    ['staff, without grants', STAFF, { n: 5, withGrants: false }],
    ['me, fragments and aliases', '{ me { ...Me another: displayName employer { ... on Node { id } } } } fragment Me on User { id displayName grants(first: 3) { totalCount nodes { id } } }', {}],
    ['node of several types', 'query($ids: [ID!]!) { nodes(ids: $ids) { __typename id ... on User { displayName } ... on Organisation { name } } }', { ids: ['nope', 'VXNlcjox'] }],
    ['a search refused by the core', 'query($s: String) { users(first: 5, search: $s) { nodes { id } } }', { s: 'a b c d e f' }],
    ['a variable of the wrong type', 'query($n: Int) { users(first: $n) { nodes { id } } }', { n: 'many' }],
    ['a required variable missing', 'query($id: ID!) { node(id: $id) { id } }', {}],
    ['an argument out of range', '{ users(first: 100000) { nodes { id } } }', {}],
    ['introspection of a type', '{ __type(name: "Grant") { name kind fields { name args { name } type { name kind ofType { name kind } } } } }', {}],
    ['too many ids at once', 'query($ids: [ID!]!) { nodes(ids: $ids) { id } }', { ids: Array.from({ length: 101 }, (_, i) => `x${i}`) }],
  ];

  it('answers every document alike for each viewer and anonymously', async () => {
    let compared = 0;
    for (const email of [demo.karin, demo.anna, demo.mette, null]) {
      const token = email ? await hub.token(email) : undefined;
      for (const [what, document, variables] of documents) {
        // A document of its own per viewer (a comment changes its hash), so each viewer's first answer is interpreted.
        const query = `${document}\n# ${email}`;
        const [first, second, third] = [await hub.gql(query, variables, token), await hub.gql(query, variables, token), await hub.gql(query, variables, token)];
        const answer = (r: typeof first) => ({ status: r.status, data: r.data, errors: r.errors });
        expect(answer(second), `${what} as ${email}`).toEqual(answer(first));
        expect(answer(third), `${what} as ${email}`).toEqual(answer(first));
        compared++;
      }
    }
    expect(compared).toBe(4 * documents.length);
  });

  it('answers an operation name the document lacks as a client error, compiled or not', async () => {
    for (let round = 0; round < 3; round++) {
      const res = await fetch(hub.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'query A { services { totalCount } }', operationName: 'Other' }) });
      const body = (await res.json()) as { errors: { extensions: { code: string } }[] };
      expect(res.status).toBe(400);
      expect(body.errors[0].extensions.code).toBe('OPERATION_RESOLUTION_FAILURE');
    }
  });
});
