import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FederatedIdentity } from '../../src/identities/federated-identity.entity.js';
import { Organisation } from '../../src/organisations/organisation.entity.js';
import { ProfileState, User } from '../../src/users/user.entity.js';
import { hire } from '../orders/fixtures.js';
import { demo, startTestHub, type TestHub } from '../support/hub.js';

interface People {
  users: { totalCount: number; nodes: { email: string | null; displayName: string }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
}
interface Organisations {
  organisations: { totalCount: number; nodes: { name: string; registrationNumber: string | null }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
}

const PEOPLE = `query($search: String, $first: Int, $after: String) {
  users(search: $search, first: $first, after: $after) { totalCount nodes { email displayName } pageInfo { hasNextPage endCursor } }
}`;
const ORGANISATIONS = `query($search: String, $first: Int, $after: String) {
  organisations(search: $search, first: $first, after: $after) { totalCount nodes { name registrationNumber } pageInfo { hasNextPage endCursor } }
}`;

/**
 * Search on the lists people page through (staff, organisation pickers): a prefix of the name or
 * e-mail (people), of the name or registration number (organisations), whatever the case, inside the
 * same scope as the list, with a count that agrees with its pages.
 */
describe('searching the people and organisation lists', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub();
    await hire(hub, 'Socialförvaltningen', 12, 'sokbar');
    const em = hub.db.orm.em.fork();
    await em.transactional(async (tx) => {
      const employer = await tx.findOneOrFail(Organisation, { name: 'Socialförvaltningen' });
      for (const i of [0, 1]) {
        const email = `asa.oberg${i}@example.org`;
        const user = tx.create(User, { employer, givenName: 'Åsa', familyName: `Öberg ${i}`, email, profileState: ProfileState.COMPLETE });
        tx.create(FederatedIdentity, { user, issuer: hub.app.devIssuer!.issuer, subject: email });
      }
    });
  });
  afterAll(() => hub.close());

  /** Every person the search finds, paging through in pages of `first`, and the count the API gives. */
  async function search(email: string, text: string, first = 4): Promise<{ found: string[]; totalCount: number }> {
    const found: string[] = [];
    let after: string | null = null;
    let totalCount = -1;
    for (let i = 0; i < 50; i++) {
      const res: { data?: People | null; errors?: unknown } = await hub.as<People>(email, PEOPLE, { search: text, first, after });
      expect(res.errors).toBeUndefined();
      const users: People['users'] = res.data!.users;
      totalCount = users.totalCount;
      found.push(...users.nodes.map((u) => u.email ?? ''));
      if (!users.pageInfo.hasNextPage) break;
      after = users.pageInfo.endCursor;
    }
    return { found, totalCount };
  }

  /** Everyone the person may see, unsearched, filtered here by the documented rule: the reference the search must equal. */
  async function visibleWhere(email: string, match: (u: { email: string | null; displayName: string }) => boolean): Promise<string[]> {
    const all: { email: string | null; displayName: string }[] = [];
    let after: string | null = null;
    for (let i = 0; i < 50; i++) {
      const users: People['users'] = (await hub.as<People>(email, PEOPLE, { first: 100, after })).data!.users;
      all.push(...users.nodes);
      if (!users.pageInfo.hasNextPage) break;
      after = users.pageInfo.endCursor;
    }
    return all.filter(match).map((u) => u.email ?? '');
  }

  it('finds people by the start of their name, family name or e-mail, whatever the case, and counts what it pages', async () => {
    const byName = await search(demo.karin, 'SOKBAR person 000');
    expect(byName.found.sort()).toEqual(Array.from({ length: 10 }, (_, i) => `sokbar${i}@example.org`).sort());
    expect(byName.totalCount).toBe(10);

    const byEmail = await search(demo.karin, 'Sokbar1');
    expect(byEmail.found.sort()).toEqual(['sokbar1@example.org', 'sokbar10@example.org', 'sokbar11@example.org'].sort());
    expect(byEmail.totalCount).toBe(3);

    const byFamilyName = await search(demo.karin, '  person   0001 ');
    expect(byFamilyName.found).toEqual(['sokbar1@example.org']);

    // Swedish letters fold case like the others, in the name and in the family name.
    expect((await search(demo.karin, 'åSA ö')).found).toEqual(['asa.oberg0@example.org', 'asa.oberg1@example.org']);
    expect((await search(demo.karin, 'ÖBERG 1')).found).toEqual(['asa.oberg1@example.org']);
    // The same people as the whole list filtered by the rule, in the same order.
    const rule = (prefix: string) => (u: { email: string | null; displayName: string }) =>
      [u.displayName, u.displayName.split(' ').slice(1).join(' '), u.email ?? ''].some((f) => f.toLowerCase().startsWith(prefix));
    expect((await search(demo.karin, 'sokbar', 5)).found).toEqual(await visibleWhere(demo.karin, rule('sokbar')));
    expect((await search(demo.karin, 'a', 3)).found).toEqual(await visibleWhere(demo.karin, rule('a')));
  });

  it("takes LIKE's wildcards as plain characters, and an empty search as none", async () => {
    expect((await search(demo.karin, '%')).totalCount).toBe(0);
    expect((await search(demo.karin, 'sokbar_')).totalCount).toBe(0);
    expect((await search(demo.karin, '\\')).totalCount).toBe(0);
    const all = (await hub.as<People>(demo.karin, '{ users { totalCount } }')).data!.users.totalCount;
    expect((await search(demo.karin, '   ')).totalCount).toBe(all);
  });

  it('an outsider finds nobody of another organisation through search, nor its count', async () => {
    // Arbetsförmedlingen's issuer, VISO's administrator and a registrar without a role.
    for (const outsider of [demo.jonas, demo.sofie, demo.anna]) {
      const found = await search(outsider, 'sokbar');
      expect(found).toEqual({ found: [], totalCount: 0 });
    }
    // A person without a role finds only themself.
    expect(await search(demo.anna, 'anna')).toEqual({ found: [demo.anna], totalCount: 1 });
    expect(await search(demo.anna, 'maria')).toEqual({ found: [], totalCount: 0 });
    const orgs = await hub.as<Organisations>(demo.sofie, ORGANISATIONS, { search: 'stockholm' });
    expect(orgs.data!.organisations).toMatchObject({ totalCount: 0, nodes: [] });
  });

  it('finds organisations by the start of their name or registration number, within what the person may see', async () => {
    const names = async (email: string, text: string) => {
      const res = await hub.as<Organisations>(email, ORGANISATIONS, { search: text, first: 2 });
      expect(res.errors).toBeUndefined();
      const page = res.data!.organisations;
      const all = page.nodes.map((o) => o.name);
      let after = page.pageInfo.endCursor;
      let more = page.pageInfo.hasNextPage;
      while (more) {
        const next = (await hub.as<Organisations>(email, ORGANISATIONS, { search: text, first: 2, after })).data!.organisations;
        all.push(...next.nodes.map((o) => o.name));
        ({ endCursor: after, hasNextPage: more } = next.pageInfo);
      }
      expect(all).toHaveLength(page.totalCount);
      return all;
    };
    expect(await names(demo.karin, 'STOCKHOLMS')).toEqual(['Stockholms stad']);
    expect(await names(demo.karin, 'samordningsförbundet stockholms')).toEqual(['Samordningsförbundet Stockholms stad']);
    expect(await names(demo.karin, '212000-0')).toEqual(['Stockholms stad']);
    expect((await names(demo.karin, '212000')).sort()).toEqual(['Arvidsjaurs kommun', 'Göteborgs Stad', 'Stockholms stad']);
    // VISO's suppliers lie outside SUS's domain: Försäkringskassan's administrator does not find them.
    expect(await names(demo.karin, 'specialcenter')).toEqual([]);
    expect(await names(demo.sofie, 'specialcenter')).toEqual(['Specialcenter Nord ApS']);
    expect(await names(demo.sofie, '31122')).toEqual(['Specialcenter Nord ApS']);
  });

  it('refuses a search that is too long, holds control characters or too many words, with a clear error', async () => {
    const cases: [string, RegExp][] = [
      ['x'.repeat(201), /200/],
      ['anna\u0000', /control/i],
      ['anna\nsvensson', /control|line/i],
      ['a b c d e f', /5 words/],
    ];
    for (const [text, message] of cases) {
      for (const query of [PEOPLE, ORGANISATIONS]) {
        const res = await hub.as(demo.karin, query, { search: text });
        expect(res.data?.users ?? res.data?.organisations ?? null, text).toBeNull();
        expect(res.errors?.[0].extensions?.code, text).toBe('BAD_USER_INPUT');
        expect(res.errors?.[0].message, text).toMatch(message);
      }
    }
  });

  it('costs the same statements at a page of 3 and of 30', async () => {
    await hire(hub, 'Socialförvaltningen', 40, 'paged');
    const query = `query($n: Int, $s: String) { users(first: $n, search: $s) { totalCount nodes { displayName employer { name }
      grants(state: ACTIVE, first: 5) { nodes { role { name } } } } } organisations(first: $n, search: "s") { totalCount nodes { name parent { name } } } }`;
    const count = async (n: number) => {
      // Twice: the first request of a person loads their roles, the second is the steady state.
      await hub.as(demo.karin, query, { n, s: 'paged' });
      const res = await hub.as<People>(demo.karin, query, { n, s: 'paged' });
      expect(res.errors).toBeUndefined();
      expect(res.data!.users.nodes).toHaveLength(n);
      return Number(res.headers.get('x-sql-statements'));
    };
    const small = await count(3);
    const large = await count(30);
    expect(small).toBeGreaterThan(0);
    expect(large).toBe(small);
  });
});
