import { auditServer } from 'graphql-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../support/hub.js';

describe('GraphQL over HTTP conformance (graphql-http audits)', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub();
  });
  afterAll(() => hub.close());

  it('should pass every MUST audit', async () => {
    const results = await auditServer({ url: hub.url, fetchFn: fetch });
    const mustFailures = results.filter((r) => r.status === 'error').map((r) => `${r.id} ${r.name}`);
    expect(mustFailures).toEqual([]);
    expect(results.length).toBeGreaterThan(20);
  });
});
