import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyDueEmploymentEnds } from '../../src/employments/employment-end.js';
import { toGlobalId } from '../../src/domain/global-id.js';
import { demo, startTestHub, type TestHub } from '../support/hub.js';
import { ORGS, USERS } from '../delegation/queries.js';

interface UserErrors { userErrors: { code: string; field: string[] | null; message: string }[] }
interface Person { id: string; email: string; employer: { name: string }; employments: { validFrom: string; validTo: string | null; endReason: string | null; employer: { name: string } | null }[] }
interface Data {
  organisations: { nodes: { id: string; name: string }[] };
  users: { totalCount: number; nodes: { id: string; email: string }[] };
  userCreate: UserErrors & { user: Person | null };
  userEmploymentEnd: UserErrors & { user: Person | null; employment: { validTo: string; endReason: string } | null };
  me: { id: string; grants: { nodes: { id: string; state: string; endReason: string | null }[] } } | null;
  node: Person | null;
}

const PERSON = 'id email employer { name } employments { validFrom validTo endReason employer { name } }';
const CREATE = `mutation($input: UserCreateInput!) { userCreate(input: $input) { user { ${PERSON} } userErrors { code field message } } }`;
const END = `mutation($id: ID!, $input: UserEmploymentEndInput!) { userEmploymentEnd(id: $id, input: $input) {
  user { ${PERSON} } employment { validTo endReason } userErrors { code field message } } }`;
const NODE = `query($id: ID!) { node(id: $id) { ... on User { ${PERSON} } } }`;
const ME = '{ me { id grants { nodes { id state endReason } } } }';
const day = 86_400_000;
const codes = (p: UserErrors) => p.userErrors.map((e) => e.code);

describe('people over time: joiners and leavers', () => {
  let hub: TestHub;
  let stockholm: string;
  let karin: string;
  const sql = <T = Record<string, unknown>>(q: string) => hub.db.orm.em.getConnection().execute<T[]>(q);

  beforeAll(async () => {
    hub = await startTestHub({ JOBS: 'false' });
    karin = await hub.token(demo.karin);
    const orgs = (await hub.gql<Data>(ORGS, {}, karin)).data!.organisations.nodes;
    stockholm = orgs.find((o) => o.name === 'Socialförvaltningen')!.id;
  });
  afterAll(() => hub.close());

  const input = (over: Record<string, unknown> = {}) => ({ givenName: 'Nils', familyName: 'Nyman', email: 'nils.nyman@stockholm.se', employerId: stockholm, ...over });
  const userId = async (email: string) => (await hub.gql<Data>(USERS, {}, karin)).data!.users.nodes.find((u) => u.email === email)!.id;

  it('adds a joiner employed in the administrator\'s domain, with an employment from the start date', async () => {
    const start = new Date(Date.now() + 7 * day).toISOString();
    const res = (await hub.gql<Data>(CREATE, { input: input({ startDate: start }) }, karin)).data!.userCreate;
    expect(res.userErrors).toEqual([]);
    expect(res.user).toMatchObject({ email: 'nils.nyman@stockholm.se', employer: { name: 'Socialförvaltningen' } });
    expect(res.user!.employments).toEqual([{ validFrom: start, validTo: null, endReason: null, employer: { name: 'Socialförvaltningen' } }]);
    const [event] = await sql(`select action, actor_id from audit_events where action = 'user.create'`);
    expect(event.actor_id).toBeTruthy();
  });

  it('refuses bad joiners with codes and writes nothing', async () => {
    const before = await sql('select count(*)::int as n from users');
    const dup = (await hub.gql<Data>(CREATE, { input: input({ email: 'NILS.nyman@stockholm.se' }) }, karin)).data!.userCreate;
    expect(dup).toMatchObject({ user: null });
    expect(dup.userErrors).toEqual([expect.objectContaining({ code: 'CONFLICT', field: ['input', 'email'] })]);
    const blank = (await hub.gql<Data>(CREATE, { input: input({ givenName: ' ', email: 'x@stockholm.se' }) }, karin)).data!.userCreate;
    expect(codes(blank)).toEqual(['REQUIRED']);
    expect(await sql('select count(*)::int as n from users')).toEqual(before);
  });

  it('outsiders add nobody: an employer outside the domain answers like an unknown one', async () => {
    const sofie = await hub.token(demo.sofie);
    const outside = await hub.gql<Data>(CREATE, { input: input({ email: 'o@stockholm.se' }) }, sofie);
    const unknown = await hub.gql<Data>(CREATE, { input: input({ email: 'o@stockholm.se', employerId: toGlobalId('Organisation', '01900000-0000-7000-8000-000000000000') }) }, sofie);
    expect(outside.data).toEqual(unknown.data);
    expect(codes(outside.data!.userCreate)).toEqual(['NOT_FOUND']);
    // A person without an administrator role (Anna) adds nobody either.
    expect(codes((await hub.gql<Data>(CREATE, { input: input({ email: 'p@stockholm.se' }) }, await hub.token(demo.anna))).data!.userCreate)).toEqual(['NOT_FOUND']);
    expect(await sql(`select count(*)::int as n from users where email in ('o@stockholm.se', 'p@stockholm.se')`)).toEqual([{ n: 0 }]);
  });

  it('outsiders end nobody: another issuer and an unknown id get the same NOT_FOUND; one\'s own employment is FORBIDDEN', async () => {
    const anna = await userId(demo.anna);
    const sofie = await hub.token(demo.sofie);
    const endInput = { endDate: new Date().toISOString(), reason: 'x' };
    const other = await hub.gql<Data>(END, { id: anna, input: endInput }, sofie);
    const missing = await hub.gql<Data>(END, { id: toGlobalId('User', '01900000-0000-7000-8000-000000000000'), input: endInput }, sofie);
    expect(other.data).toEqual(missing.data);
    expect(codes(other.data!.userEmploymentEnd)).toEqual(['NOT_FOUND']);
    const own = await hub.gql<Data>(END, { id: await userId(demo.karin), input: endInput }, karin);
    expect(own.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    // Sofie cannot read Anna's employments either.
    expect((await hub.gql<Data>(NODE, { id: anna }, sofie)).data!.node).toBeNull();
    expect(await sql('select count(*)::int as n from employments where valid_to is not null')).toEqual([{ n: 0 }]);
  });

  it('refuses an end before the start, or without a reason', async () => {
    const anna = await userId(demo.anna);
    const early = (await hub.gql<Data>(END, { id: anna, input: { endDate: '2000-01-01T00:00:00.000Z', reason: 'x' } }, karin)).data!.userEmploymentEnd;
    expect(early.userErrors).toEqual([expect.objectContaining({ code: 'DATE_ORDER', field: ['input', 'endDate'] })]);
    expect(codes((await hub.gql<Data>(END, { id: anna, input: { endDate: new Date().toISOString(), reason: ' ' } }, karin)).data!.userEmploymentEnd)).toEqual(['REQUIRED']);
    expect(await sql('select count(*)::int as n from employments where valid_to is not null')).toEqual([{ n: 0 }]);
  });

  it('a leaver dated in the past: every grant ends at once with the date kept, sign-in is refused, both are told', async () => {
    const anna = await userId(demo.anna);
    const grants = (await hub.as<Data>(demo.anna, ME)).data!.me!.grants.nodes;
    expect(grants.some((g) => g.state === 'ACTIVE')).toBe(true);
    // In the past, but after Anna was recorded (people recorded before employments were kept start then).
    const [{ created_at }] = await sql<{ created_at: string }>(`select created_at from users where email = '${demo.anna}'`);
    const endDate = new Date((new Date(created_at).getTime() + Date.now()) / 2).toISOString();
    const res = (await hub.gql<Data>(END, { id: anna, input: { endDate, reason: 'Slutat' } }, karin)).data!.userEmploymentEnd;
    expect(res.userErrors).toEqual([]);
    expect(res.employment).toEqual({ validTo: endDate, endReason: 'Slutat' });
    expect(res.user!.employments[0]).toMatchObject({ validTo: endDate, endReason: 'Slutat' });

    const rows = await sql(`select state, end_reason, ended_at from grants g join users u on u.id = g.user_id where u.email = '${demo.anna}'`);
    expect(rows.length).toBe(grants.length);
    for (const g of rows) expect(g).toMatchObject({ state: 'revoked', end_reason: 'EMPLOYMENT_ENDED' });
    const refused = await hub.as<Data>(demo.anna, ME);
    expect(refused.status).toBe(403);
    expect(refused.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'EMPLOYMENT_ENDED' });
    // The identity stays bound: history shows who they were.
    expect(await sql(`select count(*)::int as n from federated_identities fi join users u on u.id = fi.user_id where u.email = '${demo.anna}'`)).toEqual([{ n: 1 }]);
    const mail = await sql<{ recipient: string; body: string }>(`select recipient, body from outbox_messages where topic = 'employment.ended'`);
    expect(mail.map((m) => m.recipient)).toContain(demo.anna);
    expect(String(mail.find((m) => m.recipient === demo.anna)!.body)).toContain('EMPLOYMENT_ENDED');
    const trail = await sql<{ action: string; by_someone: boolean }>(`select action, actor_id is not null as by_someone from audit_events where reason = 'EMPLOYMENT_ENDED' or action = 'employment.end' order by occurred_at`);
    expect(trail.map((t) => t.action)).toEqual(expect.arrayContaining(['employment.end', 'grant.revoke']));
    expect(trail.every((t) => t.by_someone)).toBe(true);
    // Ended once: a second end is refused, and the job finds nothing left to apply.
    expect(codes((await hub.gql<Data>(END, { id: anna, input: { endDate: new Date().toISOString(), reason: 'again' } }, karin)).data!.userEmploymentEnd)).toEqual(['INVALID_STATE']);
    expect(await applyDueEmploymentEnds(hub.db.orm.em.fork())).toBe(0);
  });

  it('a leaver dated in the future: nothing ends until the date; then the job applies it once, on any number of instances', async () => {
    const maria = await userId(demo.maria);
    const endDate = new Date(Date.now() + 3 * day);
    const res = (await hub.gql<Data>(END, { id: maria, input: { endDate: endDate.toISOString(), reason: 'Ny tjänst' } }, karin)).data!.userEmploymentEnd;
    expect(res.userErrors).toEqual([]);
    expect((await hub.as<Data>(demo.maria, ME)).status).toBe(200);
    expect(await applyDueEmploymentEnds(hub.db.orm.em.fork())).toBe(0);
    expect(await sql(`select count(*)::int as n from issuer_administrators a join users u on u.id = a.user_id where u.email = '${demo.maria}' and a.state = 'removed'`)).toEqual([{ n: 0 }]);

    // The clock moves past the end date: two instances race, the end applies exactly once.
    const later = new Date(endDate.getTime() + day);
    const applied = await Promise.all([applyDueEmploymentEnds(hub.db.orm.em.fork(), later), applyDueEmploymentEnds(hub.db.orm.em.fork(), later)]);
    expect(applied.reduce((a, b) => a + b, 0)).toBe(1);
    expect(await applyDueEmploymentEnds(hub.db.orm.em.fork(), later)).toBe(0);
    const [applied_] = await sql<{ valid_to: string; end_applied_at: string | null }>(`select x.valid_to, x.end_applied_at from employments x join users u on u.id = x.user_id where u.email = '${demo.maria}'`);
    expect(new Date(applied_.valid_to).toISOString()).toBe(endDate.toISOString());
    expect(applied_.end_applied_at).toBeTruthy();
    const events = await sql(`select actor_id, actor_identity from audit_events where reason = 'EMPLOYMENT_ENDED' and actor_identity = 'system:employment-end'`);
    expect(events.every((e) => e.actor_id === null)).toBe(true);
    // Sign-in follows the database clock: once the end date has passed there, Maria is refused.
    await sql(`update employments set valid_to = now() - interval '1 second' from users u where u.id = employments.user_id and u.email = '${demo.maria}'`);
    const refused = await hub.as<Data>(demo.maria, ME);
    expect(refused.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'EMPLOYMENT_ENDED' });
  });
});
