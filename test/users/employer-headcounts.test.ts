import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demo, startTestHub, type TestHub } from '../support/hub.js';

interface UserErrors { userErrors: { code: string; field: string[] | null; message: string }[] }
interface Data {
  organisations: { nodes: { id: string; name: string }[] };
  organisationCreate: UserErrors & { organisation: { id: string } | null };
  organisationMove: UserErrors;
  userCreate: UserErrors & { user: { id: string } | null };
  userEmploymentMove: UserErrors;
  userEmploymentEnd: UserErrors;
  users: { totalCount: number };
}

const ORGS = '{ organisations(first: 100) { nodes { id name } } }';
const ORG_CREATE = 'mutation($input: OrganisationCreateInput!) { organisationCreate(input: $input) { organisation { id } userErrors { code field message } } }';
const ORG_MOVE = 'mutation($id: ID!, $parentId: ID) { organisationMove(id: $id, input: { parentId: $parentId }) { userErrors { code field message } } }';
const USER_CREATE = 'mutation($input: UserCreateInput!) { userCreate(input: $input) { user { id } userErrors { code field message } } }';
const USER_MOVE = 'mutation($id: ID!, $input: UserEmploymentMoveInput!) { userEmploymentMove(id: $id, input: $input) { userErrors { code field message } } }';
const USER_END = 'mutation($id: ID!, $input: UserEmploymentEndInput!) { userEmploymentEnd(id: $id, input: $input) { userErrors { code field message } } }';
const STAFF_UNDER = 'query($o: ID) { users(organisation: $o, first: 1) { totalCount } }';

/**
 * The staff list sizes a scope from employer_headcounts (kept by a trigger on users) instead of counting
 * its people, so the plan it picks is only right while every count equals the people the organisation
 * employs: after joiners, movers, leavers and subtree moves alike.
 */
describe('employer headcounts', () => {
  let hub: TestHub;
  let karin: string;
  const ids: Record<string, string> = {};
  const sql = <T = Record<string, unknown>>(q: string) => hub.db.orm.em.getConnection().execute<T[]>(q);
  const as = <T = Data>(token: string, query: string, variables: Record<string, unknown> = {}) => hub.gql<T>(query, variables, token);
  const raw = (globalId: string) => Buffer.from(globalId, 'base64url').toString('utf8').split(':')[1];
  /** Every organisation whose kept count differs from counting its people (none, when they agree). */
  const drift = () => sql(`select coalesce(h.employer_id, c.employer_id) as employer_id, h.n as kept, c.n as counted
    from employer_headcounts h full join (select employer_id, count(*)::int as n from users group by employer_id) c on c.employer_id = h.employer_id
    where coalesce(h.n, 0) <> coalesce(c.n, 0)`);
  const kept = async (name: string) => (await sql<{ n: number }>(`select n from employer_headcounts where employer_id = '${raw(ids[name])}'`))[0]?.n ?? 0;
  const ok = (p: UserErrors) => expect(p.userErrors).toEqual([]);

  beforeAll(async () => {
    hub = await startTestHub({ JOBS: 'false' });
    karin = await hub.token(demo.karin);
    for (const o of (await as(karin, ORGS)).data!.organisations.nodes) ids[o.name] = o.id;
  });
  afterAll(() => hub.close());

  it('starts equal to counting the demo people', async () => {
    expect((await sql<{ n: number }>('select count(*)::int as n from employer_headcounts where n > 0'))[0].n).toBeGreaterThan(3);
    expect(await drift()).toEqual([]);
  });

  it('counts a joiner at their employer', async () => {
    const unit = (await as(karin, ORG_CREATE, { input: { kind: 'UNIT', name: 'Räkneenheten', parentId: ids['Socialförvaltningen'] } })).data!.organisationCreate;
    ok(unit);
    ids['Räkneenheten'] = unit.organisation!.id;
    expect(await kept('Räkneenheten')).toBe(0);
    for (const [given, family] of [['Rut', 'Räknare'], ['Rolf', 'Räknare']]) {
      const joiner = (await as(karin, USER_CREATE, { input: { givenName: given, familyName: family, email: `${given.toLowerCase()}.raknare@stockholm.se`, employerId: ids['Räkneenheten'] } })).data!.userCreate;
      ok(joiner);
      ids[given] = joiner.user!.id;
    }
    expect(await kept('Räkneenheten')).toBe(2);
    expect(await drift()).toEqual([]);
    expect((await as(karin, STAFF_UNDER, { o: ids['Räkneenheten'] })).data!.users.totalCount).toBe(2);
  });

  it('moves a mover from the old employer\'s count to the new one\'s', async () => {
    const before = await kept('Göteborgs Stad');
    const [{ created_at }] = await sql<{ created_at: string }>(`select created_at from users where id = '${raw(ids.Rolf)}'`);
    const date = new Date((new Date(created_at).getTime() + Date.now()) / 2).toISOString();
    ok((await as(karin, USER_MOVE, { id: ids.Rolf, input: { employerId: ids['Göteborgs Stad'], date, reason: 'Ny tjänst' } })).data!.userEmploymentMove);
    expect(await kept('Räkneenheten')).toBe(1);
    expect(await kept('Göteborgs Stad')).toBe(before + 1);
    expect(await drift()).toEqual([]);
  });

  it('keeps every count through a subtree move: people stay with their employer', async () => {
    const counts = () => sql('select employer_id, n from employer_headcounts order by employer_id');
    const before = await counts();
    ok((await as(karin, ORG_MOVE, { id: ids['Räkneenheten'], parentId: ids['Göteborgs Stad'] })).data!.organisationMove);
    expect(await counts()).toEqual(before);
    expect(await drift()).toEqual([]);
    // …and the scope the count sizes follows the move: the unit's person is now under Göteborg.
    const [{ n }] = await sql<{ n: number }>(`select coalesce(sum(h.n), 0)::int as n from organisations e join employer_headcounts h on h.employer_id = e.id
      where e.path like (select path from organisations where id = '${raw(ids['Göteborgs Stad'])}') || '%'`);
    expect(n).toBeGreaterThanOrEqual(2);
    expect((await as(karin, STAFF_UNDER, { o: ids['Göteborgs Stad'] })).data!.users.totalCount).toBe(n);
  });

  it('agrees after a leaver, and after people are inserted, moved and deleted directly in SQL', async () => {
    ok((await as(karin, USER_END, { id: ids.Rut, input: { endDate: new Date().toISOString(), reason: 'Slutat' } })).data!.userEmploymentEnd);
    expect(await drift()).toEqual([]);
    const unit = raw(ids['Räkneenheten']);
    const goteborg = raw(ids['Göteborgs Stad']);
    await sql(`insert into users (id, employer_id, given_name, family_name, profile_state, created_at, updated_at)
      select gen_random_uuid(), '${unit}', 'Massa', 'Person ' || i, 'incomplete', now(), now() from generate_series(1, 5) i`);
    expect(await kept('Räkneenheten')).toBe(6);
    // One statement moving people both ways between two employers.
    await sql(`update users set employer_id = case when employer_id = '${unit}' then '${goteborg}'::uuid else '${unit}'::uuid end
      where given_name = 'Massa' and family_name in ('Person 1', 'Person 2') or id = '${raw(ids.Rolf)}'`);
    expect(await drift()).toEqual([]);
    await sql(`delete from users where given_name = 'Massa'`);
    expect(await kept('Räkneenheten')).toBe(2);
    expect(await drift()).toEqual([]);
  });
});
