import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Organisation, OrganisationKind } from '../../src/organisations/organisation.entity.js';
import { createOrganisation } from '../../src/organisations/organisation.service.js';
import { User } from '../../src/users/user.entity.js';
import { demo, startTestHub, type TestHub } from '../support/hub.js';

interface Conn {
  totalCount: number;
  edges: { cursor: string; node: { name: string } }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

const PAGE = `query($first: Int, $after: String, $last: Int, $before: String) {
  organisations(first: $first, after: $after, last: $last, before: $before) {
    totalCount edges { cursor node { name } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;

describe('cursor connections', () => {
  let hub: TestHub;
  const names: string[] = [];
  beforeAll(async () => {
    hub = await startTestHub();
    // Give Anna's employer a deep chain of 12 units under it: she sees her chain and nothing else,
    // so place her at the deepest one to make 14 organisations visible.
    const em = hub.db.orm.em.fork();
    await em.transactional(async (tx) => {
      let parent = await tx.findOneOrFail(Organisation, { name: 'Socialförvaltningen' });
      for (let i = 1; i <= 12; i++) {
        parent = createOrganisation(tx, { kind: OrganisationKind.UNIT, name: `Enhet ${String(i).padStart(2, '0')}`, registrationNumber: null, parent });
      }
      const anna = await tx.findOneOrFail(User, { email: demo.anna });
      anna.employer = parent;
    });
    const all = await hub.as<{ organisations: Conn }>(demo.anna, PAGE, { first: 100 });
    names.push(...all.data!.organisations.edges.map((e) => e.node.name));
  });
  afterAll(() => hub.close());

  it('should page forward through the whole list, and totalCount should equal what paging returns', async () => {
    expect(names).toHaveLength(14);
    const seen: string[] = [];
    let after: string | null = null;
    let total = -1;
    for (let guard = 0; guard < 20; guard++) {
      const res: { data?: { organisations: Conn } } = await hub.as<{ organisations: Conn }>(demo.anna, PAGE, { first: 4, after });
      const conn: Conn = res.data!.organisations;
      total = conn.totalCount;
      seen.push(...conn.edges.map((e) => e.node.name));
      expect(conn.pageInfo.hasPreviousPage).toBe(after !== null);
      if (!conn.pageInfo.hasNextPage) break;
      after = conn.pageInfo.endCursor;
    }
    expect(seen).toEqual(names);
    expect(total).toBe(seen.length);
    expect([...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(names);
  });

  it('should page backward with last/before', async () => {
    const seen: string[] = [];
    let before: string | null = null;
    for (let guard = 0; guard < 20; guard++) {
      const res: { data?: { organisations: Conn } } = await hub.as<{ organisations: Conn }>(demo.anna, PAGE, { last: 5, before });
      const conn: Conn = res.data!.organisations;
      seen.unshift(...conn.edges.map((e) => e.node.name));
      if (!conn.pageInfo.hasPreviousPage) break;
      before = conn.pageInfo.startCursor;
    }
    expect(seen).toEqual(names);
  });

  it('should refuse page sizes over the cap, negative sizes, first with last, and foreign cursors', async () => {
    for (const variables of [{ first: 101 }, { last: 101 }, { first: -1 }, { first: 1, last: 1 }, { first: 1, after: 'bm90LWEtY3Vyc29y' }, { first: 1, after: '%%%' }]) {
      const res = await hub.as(demo.anna, PAGE, variables);
      expect(res.errors?.[0].extensions?.code, JSON.stringify(variables)).toBe('BAD_USER_INPUT');
      expect(res.data ?? null).toBeNull();
    }
  });

  it('should refuse forged cursors whose values the database could not read, on every key type', async () => {
    const forge = (values: unknown[]) => Buffer.from(JSON.stringify(values)).toString('base64url');
    const GRANTS = 'query($after: String) { grants(first: 1, after: $after) { totalCount } }';
    const USERS = 'query($after: String) { users(first: 1, after: $after) { totalCount } }';
    const ME = 'query($after: String) { me { grants(first: 1, after: $after) { totalCount } } }';
    const forged: [string, unknown[]][] = [
      [GRANTS, ['not a date', '01900000-0000-7000-8000-000000000000']],
      [GRANTS, ['2026-13-45T00:00:00Z', '01900000-0000-7000-8000-000000000000']],
      [GRANTS, ['2026-01-01T00:00:00Z', 'not-a-uuid']],
      [USERS, ['Berg\u0000', 'Anna', '01900000-0000-7000-8000-000000000000']],
      [PAGE, ['Stockholm', 'x']],
      [ME, ['yesterday', '01900000-0000-7000-8000-000000000000']],
    ];
    for (const [query, values] of forged) {
      const res = await hub.as<Record<string, unknown>>(demo.karin, query, { after: forge(values) });
      expect(res.errors?.[0].extensions?.code, JSON.stringify(values)).toBe('BAD_USER_INPUT');
    }
    // A well-formed cursor of the right shape still pages, also with microseconds as PostgreSQL keeps them.
    const ok = await hub.as<{ grants: { totalCount: number } }>(demo.karin, GRANTS, { after: forge(['2020-01-01 00:00:00.123456+00', '01900000-0000-7000-8000-000000000000']) });
    expect(ok.errors).toBeUndefined();
    expect(ok.data!.grants.totalCount).toBeGreaterThan(0);
  });

  it('should refuse backward paging of nested lists with a clear error', async () => {
    const res = await hub.as(demo.anna, '{ me { grants(last: 1) { totalCount } } }');
    expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0].message).toMatch(/forward/);
  });
});
