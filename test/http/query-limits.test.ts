import { buildSchema, parse, type OperationDefinitionNode } from 'graphql';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, measureOperation } from '../../src/http/limits.js';
import { demo, startTestHub, type TestHub } from '../support/hub.js';

type Json = { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: Record<string, unknown> }[] };

const schema = buildSchema(readFileSync(new URL('../../schema/schema.graphql', import.meta.url), 'utf8'));
const measure = (query: string, variables: Record<string, unknown> = {}) => {
  const document = parse(query);
  return measureOperation(schema, document, document.definitions[0] as OperationDefinitionNode, variables, DEFAULT_LIMITS.defaultPageSize)!;
};

/** The query an attacker sent: aliases × the same id a hundred times × nested pages sized by a variable. */
const BOMB = `query($ids: [ID!]!, $n: Int) { ${Array.from({ length: 15 }, (_, i) => `a${i}: nodes(ids: $ids) { ... on Grant { user { grants(first: $n) { nodes { user { grants(first: $n) { nodes { id } } } } } } } }`).join(' ')} }`;

describe('operation measure', () => {
  it('should count page sizes given as variables exactly as literals', () => {
    const literal = measure('{ me { grants(first: 50) { nodes { id } } } }');
    const variable = measure('query($n: Int) { me { grants(first: $n) { nodes { id } } } }', { n: 50 });
    expect(variable.cost).toBe(literal.cost);
    expect(variable.cost).toBeGreaterThan(measure('{ me { grants(first: 5) { nodes { id } } } }').cost * 5);
  });

  it('should count a page left to its default at the default size, and a variable default too', () => {
    const omitted = measure('{ me { grants { nodes { id } } } }');
    const twenty = measure('{ me { grants(first: 20) { nodes { id } } } }');
    expect(omitted.cost).toBe(twenty.cost);
    const defaulted = measure('query($n: Int = 80) { me { grants(first: $n) { nodes { id } } } }');
    expect(defaulted.cost).toBe(measure('{ me { grants(first: 80) { nodes { id } } } }').cost);
  });

  it('should count every id of nodes(ids:)', () => {
    const one = measure('query($ids: [ID!]!) { nodes(ids: $ids) { id } }', { ids: ['a'] });
    const hundred = measure('query($ids: [ID!]!) { nodes(ids: $ids) { id } }', { ids: Array(100).fill('a') });
    expect(hundred.cost).toBe(one.cost * 100);
  });

  it('should measure a fragment spread many times by its expansion without walking it again', () => {
    // Each level doubles: 2^40 copies of the leaf if expanded, measured in microseconds here.
    const levels = 40;
    const fragments = Array.from({ length: levels }, (_, i) =>
      i === 0 ? 'fragment F0 on Query { __typename }' : `fragment F${i} on Query { ...F${i - 1} ...F${i - 1} }`,
    ).join('\n');
    const started = performance.now();
    const m = measure(`{ ...F${levels - 1} }\n${fragments}`);
    expect(m.cost).toBe(2 ** (levels - 1));
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('should refuse the attacker query by its cost, whatever the page sizes were written as', () => {
    expect(measure(BOMB, { ids: Array(100).fill('x'), n: 100 }).cost).toBeGreaterThan(DEFAULT_LIMITS.maxCost);
    expect(measure(BOMB, { ids: Array(100).fill('x') }).cost).toBeGreaterThan(DEFAULT_LIMITS.maxCost);
  });

  it('should keep a portal staff list within the limit', () => {
    const staff = `{ users(first: 50) { totalCount nodes { id displayName email employer { name parent { name } }
      grants(state: ACTIVE, first: 10) { nodes { id validTo role { name } service { code } scope { name } subAreas { code } } } } } }`;
    expect(measure(staff).cost).toBeLessThan(DEFAULT_LIMITS.maxCost);
  });
});

describe('query limits over HTTP', () => {
  let hub: TestHub;
  let grantId: string;
  const post = (query: string, variables: Record<string, unknown>, token: string, headers: Record<string, string> = {}) =>
    fetch(hub.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers }, body: JSON.stringify({ query, variables }) });

  beforeAll(async () => {
    hub = await startTestHub({ RESPONSE_MAX_ITEMS: '100' });
    const me = await hub.as<{ me: { grants: { nodes: { id: string }[] } } }>(demo.anna, '{ me { grants(first: 1) { nodes { id } } } }');
    grantId = me.data!.me.grants.nodes[0].id;
  });
  afterAll(() => hub?.close());

  it('should refuse the attacker query from a plain user with HTTP 400 and QUERY_TOO_COMPLEX before executing it', async () => {
    for (const variables of [{ ids: Array(100).fill(grantId), n: 100 }, { ids: Array(100).fill(grantId) }]) {
      const res = await post(BOMB, variables, await hub.token(demo.anna));
      const body = (await res.json()) as Json;
      expect(res.status).toBe(400);
      expect(body.data ?? null).toBeNull();
      expect(body.errors?.[0].extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'cost', max: DEFAULT_LIMITS.maxCost });
    }
  });

  it('should answer the same query with one id and small pages', async () => {
    const res = await post(BOMB, { ids: [grantId], n: 2 }, await hub.token(demo.anna));
    const body = (await res.json()) as Json;
    expect(body.errors).toBeUndefined();
    expect(res.status).toBe(200);
  });

  it('should stop an answer that grows past its item budget while executing, with one RESPONSE_TOO_LARGE error and no partial data', async () => {
    // Statically cheap (120 ids), but 120 list items against a budget of 100.
    const query = 'query($ids: [ID!]!) { a: nodes(ids: $ids) { id } b: nodes(ids: $ids) { id } }';
    const within = await post(query, { ids: Array(50).fill(grantId) }, await hub.token(demo.anna));
    expect(((await within.json()) as Json).errors).toBeUndefined();
    const res = await post(query, { ids: Array(60).fill(grantId) }, await hub.token(demo.anna));
    const body = (await res.json()) as Json;
    expect(res.status).toBe(400);
    expect(body.data ?? null).toBeNull();
    expect(body.errors).toEqual([{ message: expect.stringMatching(/more than 100 list items/) as unknown, extensions: { code: 'RESPONSE_TOO_LARGE', max: 100 } }]);
  });

  it('should refuse an answer larger than RESPONSE_MAX_BYTES with one RESPONSE_TOO_LARGE error', async () => {
    const small = await startTestHub({ RESPONSE_MAX_BYTES: '1024' });
    try {
      const query = '{ services { nodes { id code name description owner { id name } roles { id code name description } } } }';
      const big = await fetch(hub.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
      expect((await big.text()).length).toBeGreaterThan(1024);
      const res = await fetch(small.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
      expect(res.status).toBe(400);
      expect(((await res.json()) as Json).errors?.[0].extensions).toEqual({ code: 'RESPONSE_TOO_LARGE' });
    } finally {
      await small.close();
    }
  });

  it('should hide every suggestion where introspection is off: fields, arguments and enum values, literal or variable', async () => {
    const prod = await startTestHub({ NODE_ENV: 'production', DEV_ISSUER: 'true' });
    try {
      const token = await prod.token(demo.anna);
      const cases: [string, Record<string, unknown>][] = [
        ['{ servics { totalCount } }', {}],
        ['{ me { grants(stat: ACTIVE) { totalCount } } }', {}],
        ['{ me { grants(state: ACTIV) { totalCount } } }', {}],
        ['query($s: GrantState) { me { grants(state: $s) { totalCount } } }', { s: 'ACTIV' }],
      ];
      for (const [query, variables] of cases) {
        const body = (await (await fetch(prod.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }) })).json()) as Json;
        expect(body.errors?.length, query).toBeGreaterThan(0);
        expect(JSON.stringify(body), query).not.toMatch(/Did you mean|"ACTIVE"|"services"|"state"/);
      }
      // Development keeps them: introspection already shows the schema there.
      const dev = (await (await post('{ me { grants(state: ACTIV) { totalCount } } }', {}, await hub.token(demo.anna))).json()) as Json;
      expect(dev.errors?.[0].message).toMatch(/Did you mean the enum value "ACTIVE"/);
    } finally {
      await prod.close();
    }
  });
});
