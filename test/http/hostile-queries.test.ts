import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCompiledHub, type CompiledHub } from '../support/compiled-hub.js';
import { demo } from '../support/hub.js';

type Json = { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] };

const MiB = 1024 * 1024;

/** The shapes that took the server down: aliases × nodes(ids:) × nested pages sized by variables or defaults. */
const nested = (page: string) =>
  `user { grants${page} { nodes { id user { grants${page} { nodes { id validFrom role { name } scope { name parent { name } } } } } } } }`;
const BOMBS: { name: string; query: string; variables: (id: string) => Record<string, unknown> }[] = [
  {
    name: 'page sizes from a variable',
    query: `query($ids: [ID!]!, $n: Int) { ${Array.from({ length: 15 }, (_, i) => `a${i}: nodes(ids: $ids) { ... on Grant { ${nested('(first: $n)')} } }`).join(' ')} }`,
    variables: (id) => ({ ids: Array(100).fill(id), n: 100 }),
  },
  {
    name: 'page sizes left to their default',
    query: `query($ids: [ID!]!) { ${Array.from({ length: 15 }, (_, i) => `a${i}: nodes(ids: $ids) { ... on Grant { ${nested('')} } }`).join(' ')} }`,
    variables: (id) => ({ ids: Array(100).fill(id) }),
  },
  {
    name: 'a variable with a default in the operation',
    query: `query($ids: [ID!]!, $n: Int = 100) { ${Array.from({ length: 15 }, (_, i) => `a${i}: nodes(ids: $ids) { ... on Grant { ${nested('(first: $n)')} } }`).join(' ')} }`,
    variables: (id) => ({ ids: Array(100).fill(id) }),
  },
];

/**
 * The compiled production server (192 MB heap cap), attacked by a plain signed-in user with the
 * queries that once produced a 270 MB answer and ran it out of heap: each is refused for its shape,
 * memory stays bounded, and the server keeps answering everyone else.
 */
describe('hostile queries against the compiled production server', () => {
  let hub: CompiledHub;
  let grantId: string;
  let token: string;
  const post = (query: string, variables: Record<string, unknown>) =>
    fetch(hub.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }) });

  beforeAll(async () => {
    hub = await startCompiledHub();
    // Anna: a municipal registrar with a grant and no administrative role.
    token = await hub.token(demo.anna);
    const me = (await (await post('{ me { grants(first: 1) { nodes { id } } } }', {})).json()) as { data: { me: { grants: { nodes: { id: string }[] } } } };
    grantId = me.data.me.grants.nodes[0].id;
  }, 120_000);
  afterAll(() => hub?.close());

  it('should refuse each one with 400 QUERY_TOO_COMPLEX, 24 at a time, with peak memory bounded and the server still answering', async () => {
    hub.resetPeak();
    const before = hub.memory();
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => BOMBS).flat().map(async (bomb) => {
        const res = await post(bomb.query, bomb.variables(grantId));
        return { name: bomb.name, status: res.status, body: (await res.json()) as Json };
      }),
    );
    for (const answer of answers) {
      expect(answer.status, answer.name).toBe(400);
      expect(answer.body.errors?.[0].extensions?.code, answer.name).toBe('QUERY_TOO_COMPLEX');
    }
    const after = hub.memory();
    console.info(`compiled hub under 24 concurrent hostile queries: RSS ${Math.round(before.rss / MiB)} → ${Math.round(after.rss / MiB)} MiB, peak ${Math.round(after.peak / MiB)} MiB`);
    expect(after.peak - before.rss).toBeLessThan(64 * MiB);
    // With PGlite the database lives in the same process; on PostgreSQL the process is the server alone.
    if (process.env.DATABASE_URL) expect(after.peak).toBeLessThan(256 * MiB);
    const still = (await (await post('{ me { displayName } }', {})).json()) as Json;
    expect(still.errors).toBeUndefined();
    expect(hub.output()).not.toMatch(/heap out of memory|INTERNAL_SERVER_ERROR/);
  });

  it('should answer the largest query within the limits quickly and within the same memory', async () => {
    // Close to the cost limit: one id, pages of 15 twice over.
    const query = `query($ids: [ID!]!, $n: Int) { nodes(ids: $ids) { ... on Grant { ${nested('(first: $n)')} } } }`;
    hub.resetPeak();
    const before = hub.memory();
    const started = performance.now();
    const res = await post(query, { ids: [grantId], n: 15 });
    const body = (await res.json()) as Json;
    const ms = performance.now() - started;
    expect(res.status).toBe(200);
    expect(body.errors).toBeUndefined();
    const after = hub.memory();
    console.info(`largest accepted shape answered in ${ms.toFixed(0)} ms; RSS ${Math.round(before.rss / MiB)} MiB, peak ${Math.round(after.peak / MiB)} MiB`);
    expect(after.peak - before.rss).toBeLessThan(64 * MiB);
  });
});
