import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { demoUsers } from '../../src/demo/demo-data.js';
import { staffListPlan } from '../../src/users/user.repository.js';
import { hire } from '../orders/fixtures.js';
import { demo, startTestHub, type TestHub } from '../support/hub.js';

interface Conn {
  edges: { cursor: string; node: { email: string | null } }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

const PAGE = `query($first: Int, $after: String, $last: Int, $before: String, $organisation: ID) {
  users(first: $first, after: $after, last: $last, before: $before, organisation: $organisation) {
    edges { cursor node { email } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;

/**
 * The staff list picks one of three plans inside its statement by the size of the viewer's scope
 * (employer index; name index with the employers hashed; name index with a lookup per person).
 * Forcing each plan in turn must give exactly the same pages to every viewer.
 */
const plans = {
  'employer index': { smallScope: 1_000_000_000, manyEmployers: 1_000_000_000 },
  'name index, employers hashed': { smallScope: 0, manyEmployers: 1_000_000_000 },
  'name index, lookup per person': { smallScope: 0, manyEmployers: 0 },
};
const defaults = { ...staffListPlan };

describe('staff list plans', () => {
  let hub: TestHub;
  let socialId: string;
  beforeAll(async () => {
    hub = await startTestHub();
    // Enough people that pages of 7 take several round trips, in an organisation some viewers administer.
    await hire(hub, 'Socialförvaltningen', 25, 'plan');
    const orgs = await hub.as<{ organisations: { nodes: { id: string; name: string }[] } }>(demo.karin, '{ organisations(first: 100) { nodes { id name } } }');
    socialId = orgs.data!.organisations.nodes.find((o) => o.name === 'Socialförvaltningen')!.id;
  });
  afterEach(() => Object.assign(staffListPlan, defaults));
  afterAll(() => hub.close());

  async function forward(email: string, organisation: string | null): Promise<string[]> {
    const seen: string[] = [];
    let after: string | null = null;
    for (let guard = 0; guard < 50; guard++) {
      const res: { data?: { users: Conn }; errors?: unknown } = await hub.as<{ users: Conn }>(email, PAGE, { first: 7, after, organisation });
      expect(res.errors).toBeUndefined();
      seen.push(...res.data!.users.edges.map((e) => String(e.node.email)));
      if (!res.data!.users.pageInfo.hasNextPage) return seen;
      after = res.data!.users.pageInfo.endCursor;
    }
    throw new Error('paging did not end');
  }

  async function backward(email: string, organisation: string | null): Promise<string[]> {
    const seen: string[] = [];
    let before: string | null = null;
    for (let guard = 0; guard < 50; guard++) {
      const res: { data?: { users: Conn }; errors?: unknown } = await hub.as<{ users: Conn }>(email, PAGE, { last: 7, before, organisation });
      expect(res.errors).toBeUndefined();
      seen.unshift(...res.data!.users.edges.map((e) => String(e.node.email)));
      if (!res.data!.users.pageInfo.hasPreviousPage) return seen;
      before = res.data!.users.pageInfo.startCursor;
    }
    throw new Error('paging did not end');
  }

  it('should give every viewer the same people, forward and backward, with and without an organisation filter, whichever plan runs', async () => {
    const viewers = demoUsers.map((u) => u.email);
    const lists = new Map<string, string[]>();
    for (const [name, plan] of Object.entries(plans)) {
      Object.assign(staffListPlan, plan);
      for (const email of viewers) {
        for (const organisation of [null, 'socialId']) {
          const org = organisation ? socialId : null;
          const key = `${email} ${organisation ?? 'all'}`;
          const ahead = await forward(email, org);
          expect(await backward(email, org), `${key} backward (${name})`).toEqual(ahead);
          if (!lists.has(key)) lists.set(key, ahead);
          else expect(ahead, `${key} (${name})`).toEqual(lists.get(key));
        }
      }
    }
    // The report's list of people without a grant in force runs on the same plans, narrowed.
    const IDLE = `query($first: Int, $after: String) { reports { peopleWithoutActiveGrant(first: $first, after: $after) {
      totalCount edges { node { email } } pageInfo { hasNextPage endCursor } } } }`;
    const idle = new Map<string, string[]>();
    for (const [name, plan] of Object.entries(plans)) {
      Object.assign(staffListPlan, plan);
      for (const email of viewers) {
        const seen: string[] = [];
        let after: string | null = null;
        let total = -1;
        for (let guard = 0; guard < 50; guard++) {
          type Idle = { reports: { peopleWithoutActiveGrant: { totalCount: number; edges: { node: { email: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string } } } };
          const res: { data?: Idle; errors?: unknown } = await hub.as<Idle>(email, IDLE, { first: 7, after });
          expect(res.errors).toBeUndefined();
          const conn = res.data!.reports.peopleWithoutActiveGrant;
          total = conn.totalCount;
          seen.push(...conn.edges.map((e) => e.node.email));
          if (!conn.pageInfo.hasNextPage) break;
          after = conn.pageInfo.endCursor;
        }
        expect(total, `${email} idle count (${name})`).toBe(seen.length);
        if (!idle.has(email)) idle.set(email, seen);
        else expect(seen, `${email} idle (${name})`).toEqual(idle.get(email));
      }
    }
    // The hired people hold no grant: the authority lists them among the idle; a supplier's staff and a
    // person without any role see none of them, whichever plan ran.
    expect(idle.get(demo.karin)!.filter((e) => e.startsWith('plan'))).toHaveLength(25);
    for (const outsider of [demo.mette, demo.anna]) expect(idle.get(outsider)!.filter((e) => e.startsWith('plan')), outsider).toEqual([]);

    // The comparison is not vacuous: the authority sees the 25 hired people and others, a supplier's staff do not.
    expect(lists.get(`${demo.karin} all`)!.filter((e) => e.startsWith('plan'))).toHaveLength(25);
    expect(lists.get(`${demo.karin} socialId`)!.length).toBeGreaterThanOrEqual(25);
    expect(lists.get(`${demo.mette} all`)!.some((e) => e.startsWith('plan'))).toBe(false);
    expect(lists.get(`${demo.mette} socialId`)).toEqual([]);
  });
});
