import { auditServer } from 'graphql-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../support/hub.js';

describe('GraphQL over HTTP conformance (graphql-http audits)', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub();
  });
  afterAll(() => hub.close());

  it('should pass every MUST and every SHOULD audit', async () => {
    const results = await auditServer({ url: hub.url, fetchFn: fetch });
    const findings = (status: string) => results.filter((r) => r.status === status).map((r) => `${r.id} ${r.name}`);
    expect(findings('error')).toEqual([]);
    expect(findings('warn')).toEqual([]);
    expect(results.length).toBeGreaterThan(60);
  });

  it('should answer parse and validation failures 400 for application/graphql-response+json and 200 for application/json', async () => {
    for (const [query, code] of [
      ['{ services { ', 'GRAPHQL_PARSE_FAILED'],
      ['{ nothingHere }', 'GRAPHQL_VALIDATION_FAILED'],
    ] as const) {
      for (const [accept, status] of [
        ['application/graphql-response+json', 400],
        ['application/json', 200],
        [undefined, 200],
      ] as const) {
        const res = await fetch(hub.url, { method: 'POST', headers: { 'content-type': 'application/json', ...(accept ? { accept } : {}) }, body: JSON.stringify({ query }) });
        const body = (await res.json()) as { data?: unknown; errors?: { extensions?: { code?: string } }[] };
        expect(res.status, `${query} ${accept}`).toBe(status);
        expect(body.data, query).toBeUndefined();
        expect(body.errors?.[0].extensions?.code, query).toBe(code);
      }
    }
  });
});
