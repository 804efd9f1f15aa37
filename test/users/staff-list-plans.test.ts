import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../src/auth/actor.js';
import { pageRequest, type Page } from '../../src/db/paging.js';
import { demoUsers } from '../../src/demo/demo-data.js';
import { idOfType } from '../../src/domain/global-id.js';
import { NO_ORGANISATION_PATH } from '../../src/organisations/organisation.entity.js';
import { OrganisationRepository } from '../../src/organisations/organisation.repository.js';
import { ReportService } from '../../src/reports/report.service.js';
import type { User } from '../../src/users/user.entity.js';
import { type PeopleList, type StaffListPlan, UserRepository } from '../../src/users/user.repository.js';
import { hire } from '../orders/fixtures.js';
import { demo, startTestHub, type TestHub } from '../support/hub.js';
import { actorFor } from './actors.js';

interface Conn {
  totalCount?: number;
  edges: { cursor: string; node: { email: string | null } }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

const PAGE = `query($first: Int, $after: String, $last: Int, $before: String, $organisation: ID) {
  users(first: $first, after: $after, last: $last, before: $before, organisation: $organisation) {
    edges { cursor node { email } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;
const IDLE = `query($first: Int, $after: String) { reports { peopleWithoutActiveGrant(first: $first, after: $after) {
  totalCount edges { cursor node { email } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } }`;

/**
 * The staff list picks one of three plans by the size of the viewer's scope (probed, then remembered)
 * (employer index; name index with the employers hashed; name index with a lookup per person).
 * Forcing each plan in turn, through the repository's thresholds, must give exactly the same pages to
 * every viewer, and the same as the API answers with the production thresholds.
 */
const plans: Record<string, StaffListPlan> = {
  'employer index': { smallScope: 1_000_000_000, manyEmployers: 1_000_000_000 },
  'name index, employers hashed': { smallScope: 0, manyEmployers: 1_000_000_000 },
  'name index, lookup per person': { smallScope: 0, manyEmployers: 0 },
};

/** One way to read a page: through the API, or from a list the test built. */
type Read = (direction: { first?: number; after?: string | null; last?: number; before?: string | null }) => Promise<Conn>;

function fromList(list: PeopleList): Read {
  return async (args) => {
    const page: Page<User> = await list.page(pageRequest(args, 100, list.keyWidth));
    return {
      edges: page.items.map((u, i) => ({ cursor: page.cursors[i], node: { email: u.email ?? null } })),
      pageInfo: {
        hasNextPage: page.hasNextPage,
        hasPreviousPage: page.hasPreviousPage,
        startCursor: page.cursors[0] ?? null,
        endCursor: page.cursors.at(-1) ?? null,
      },
    };
  };
}

async function forward(read: Read): Promise<string[]> {
  const seen: string[] = [];
  let after: string | null = null;
  for (let guard = 0; guard < 50; guard++) {
    const conn: Conn = await read({ first: 7, after });
    seen.push(...conn.edges.map((e) => String(e.node.email)));
    if (!conn.pageInfo.hasNextPage) return seen;
    after = conn.pageInfo.endCursor;
  }
  throw new Error('paging did not end');
}

async function backward(read: Read): Promise<string[]> {
  const seen: string[] = [];
  let before: string | null = null;
  for (let guard = 0; guard < 50; guard++) {
    const conn: Conn = await read({ last: 7, before });
    seen.unshift(...conn.edges.map((e) => String(e.node.email)));
    if (!conn.pageInfo.hasPreviousPage) return seen;
    before = conn.pageInfo.startCursor;
  }
  throw new Error('paging did not end');
}

describe('staff list plans', () => {
  let hub: TestHub;
  let socialId: string;
  const actors = new Map<string, Actor>();
  beforeAll(async () => {
    hub = await startTestHub();
    // Enough people that pages of 7 take several round trips, in an organisation some viewers administer.
    await hire(hub, 'Socialförvaltningen', 25, 'plan');
    const orgs = await hub.as<{ organisations: { nodes: { id: string; name: string }[] } }>(demo.karin, '{ organisations(first: 100) { nodes { id name } } }');
    socialId = orgs.data!.organisations.nodes.find((o) => o.name === 'Socialförvaltningen')!.id;
    for (const { email } of demoUsers) actors.set(email, await actorFor(hub, email));
  });
  afterAll(() => hub.close());

  const api =
    <T>(email: string, query: string, pick: (data: T) => Conn, variables: Record<string, unknown> = {}): Read =>
    async (args) => {
      const res = await hub.as<T>(email, query, { ...variables, ...args });
      expect(res.errors).toBeUndefined();
      return pick(res.data!);
    };

  /** The subtree the API narrows to for this viewer: an organisation they cannot see narrows to nobody. */
  async function subtreeFor(actor: Actor, organisation: string | null): Promise<string | null> {
    if (!organisation) return null;
    const [found] = await new OrganisationRepository(actor.em, actor.policy).findVisible([idOfType(organisation, 'Organisation')!]);
    return found?.path ?? NO_ORGANISATION_PATH;
  }

  it('should give every viewer the same people, forward and backward, with and without an organisation filter, whichever plan runs', async () => {
    const viewers = demoUsers.map((u) => u.email);
    const lists = new Map<string, string[]>();
    for (const email of viewers) {
      for (const organisation of [null, 'socialId']) {
        const org = organisation ? socialId : null;
        const key = `${email} ${organisation ?? 'all'}`;
        // Through the API, with the production thresholds.
        const read = api<{ users: Conn }>(email, PAGE, (d) => d.users, { organisation: org });
        const ahead = await forward(read);
        expect(await backward(read), `${key} backward (API)`).toEqual(ahead);
        lists.set(key, ahead);
        const actor = actors.get(email)!;
        const organisationPath = await subtreeFor(actor, org);
        for (const [name, staffListPlan] of Object.entries(plans)) {
          const list = new UserRepository(actor.em, actor.policy, { staffListPlan }).staff({ organisationPath });
          expect(await forward(fromList(list)), `${key} (${name})`).toEqual(ahead);
          expect(await backward(fromList(list)), `${key} backward (${name})`).toEqual(ahead);
          expect(await list.count(), `${key} count (${name})`).toBe(ahead.length);
        }
      }
    }
    // The report's list of people without a grant in force runs on the same plans, narrowed, and its
    // count (from the summaries) is what paging through it returns.
    const idle = new Map<string, string[]>();
    for (const email of viewers) {
      type Idle = { reports: { peopleWithoutActiveGrant: Conn } };
      let total = -1;
      const seen = await forward(async (args) => {
        const conn = await api<Idle>(email, IDLE, (d) => d.reports.peopleWithoutActiveGrant)(args);
        total = conn.totalCount!;
        return conn;
      });
      expect(total, `${email} idle count (API)`).toBe(seen.length);
      idle.set(email, seen);
      for (const [name, staffListPlan] of Object.entries(plans)) {
        const list = new ReportService(actors.get(email)!, { staffListPlan }).peopleWithoutActiveGrant(null);
        expect(await forward(fromList(list)), `${email} idle (${name})`).toEqual(seen);
        expect(await list.count(), `${email} idle count (${name})`).toBe(seen.length);
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
