import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emitEvent } from '../../src/events/event.service.js';
import { feedSettled } from '../support/feed.js';
import { startTestHub, type TestHub } from '../support/hub.js';

const KARIN = 'karin.admin@forsakringskassan.se';
const SOFIE = 'sofie.viso@sbst.dk';
const ANNA = 'anna.registrar@stockholm.se';

interface FeedEvent {
  id: string;
  type: string;
  subject: { type: string; id: string };
  data: Record<string, unknown>;
}
interface Feed {
  edges: { cursor: string; node: FeedEvent }[];
  endCursor: string | null;
  hasNextPage: boolean;
}

const FEED = `query ($after: String, $first: Int) { events(after: $after, first: $first) {
  edges { cursor node { id type subject { type id } data } } endCursor hasNextPage } }`;
const ACCESS = `query ($person: PersonLookup!) { accessCheck(person: $person) {
  person givenName allowed grants { role roleName subAreas scope scopeName validFrom validTo } } }`;

describe('machine clients, the event feed and the access check', () => {
  let hub: TestHub;
  const base = () => hub.url.replace(/\/graphql$/, '');

  async function feed(client: string, after: string | null = null): Promise<Feed> {
    await feedSettled(hub);
    const all: Feed = { edges: [], endCursor: after, hasNextPage: false };
    for (;;) {
      const res = await hub.gql<{ events: Feed }>(FEED, { after: all.endCursor, first: 200 }, await hub.clientToken(client));
      expect(res.errors).toBeUndefined();
      all.edges.push(...res.data!.events.edges);
      all.endCursor = res.data!.events.endCursor;
      if (!res.data!.events.hasNextPage) return all;
    }
  }

  async function get(path: string, token: string) {
    const res = await fetch(`${base()}${path}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, body: (await res.json()) as Record<string, unknown>, statements: Number(res.headers.get('x-sql-statements')) };
  }

  const personOf = (e: FeedEvent) => e.data.person as string | undefined;

  beforeAll(async () => {
    hub = await startTestHub();
  });
  afterAll(() => hub.close());

  it('should sign a client in with a client-credentials token and never as a person', async () => {
    const res = await hub.gql<{ viewerClient: { name: string; service: { code: string } | null } }>(
      '{ viewerClient { name service { code } } }',
      undefined,
      await hub.clientToken('sus-backend'),
    );
    expect(res.data?.viewerClient).toEqual({ name: 'sus-backend', service: { code: 'SUS' } });
    const me = await hub.gql<{ me: unknown }>('{ me { id } }', undefined, await hub.clientToken('sus-backend'));
    expect(me.data?.me ?? null).toBeNull();
  });

  it("should give a service's client its service's grant events and nothing of another service", async () => {
    const sus = await feed('sus-backend');
    const vias = await feed('vias-backend');
    expect(sus.edges.length).toBeGreaterThan(0);
    expect(sus.edges.every((e) => e.node.type !== 'grant.activated' || e.node.data.service === 'SUS')).toBe(true);
    expect(vias.edges.filter((e) => e.node.type.startsWith('grant.')).map((e) => e.node.data.service)).toEqual(expect.arrayContaining(['VIAS']));
    const susIds = new Set(sus.edges.map((e) => e.node.id));
    expect(vias.edges.some((e) => susIds.has(e.node.id))).toBe(false);
    expect(sus.edges.some((e) => e.node.type.startsWith('organisation.'))).toBe(false);
  });

  it("should give an organisation's client its subtree's events only", async () => {
    const af = await feed('af-hr');
    const stockholm = await feed('stockholm-hr');
    const afGrantPeople = af.edges.filter((e) => e.node.type === 'grant.activated').map((e) => personOf(e.node));
    const sthlmGrantPeople = stockholm.edges.filter((e) => e.node.type === 'grant.activated').map((e) => personOf(e.node));
    expect(afGrantPeople).toHaveLength(1);
    expect(sthlmGrantPeople).toHaveLength(1);
    expect(afGrantPeople[0]).not.toBe(sthlmGrantPeople[0]);
    const afIds = new Set(af.edges.map((e) => e.node.id));
    expect(stockholm.edges.some((e) => afIds.has(e.node.id))).toBe(false);
  });

  it('should refuse the feed and the access check to people', async () => {
    const res = await hub.as(KARIN, FEED, {});
    expect(res.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'CLIENT_ONLY' });
    expect((await get('/events', await hub.token(KARIN))).status).toBe(403);
  });

  it('should deliver a change in the feed, resumable by cursor, the same through GET /events', async () => {
    const before = await feed('sus-backend');
    const viasBefore = await feed('vias-backend');
    const mine = await hub.as<{ me: { grants: { nodes: { id: string }[] } } }>(ANNA, '{ me { grants(first: 5) { nodes { id } } } }');
    const grantId = mine.data!.me.grants.nodes[0].id;
    const revoked = await hub.as<{ grantRevoke: { userErrors: unknown[] } }>(
      KARIN,
      'mutation ($id: ID!) { grantRevoke(id: $id, input: { reason: "left the team" }) { userErrors { code } } }',
      { id: grantId },
    );
    expect(revoked.data?.grantRevoke.userErrors).toEqual([]);
    const after = await feed('sus-backend', before.endCursor);
    expect(after.edges.map((e) => e.node.type)).toEqual(['grant.ended']);
    expect(after.edges[0].node).toMatchObject({ subject: { type: 'Grant', id: grantId }, data: { grant: grantId, state: 'revoked', reason: 'left the team', role: 'registrar' } });
    const http = await get(`/events?after=${encodeURIComponent(before.endCursor!)}`, await hub.clientToken('sus-backend'));
    expect(http.status).toBe(200);
    expect((http.body.events as FeedEvent[]).map((e) => e.id)).toEqual([after.edges[0].node.id]);
    expect(http.body.endCursor).toBe(after.endCursor);
    expect((await feed('vias-backend', viasBefore.endCursor)).edges).toEqual([]);
    // Resuming from the end gives nothing twice.
    expect((await feed('sus-backend', after.endCursor)).edges).toEqual([]);
  });

  it("should answer the access check for the client's service only, the same for an outsider as for nobody", async () => {
    const sus = await hub.clientToken('sus-backend');
    const erik = await hub.gql<{ accessCheck: { allowed: boolean; grants: { role: string; scopeName: string }[] } }>(
      ACCESS,
      { person: { email: 'erik.analyst@arbetsformedlingen.se' } },
      sus,
    );
    expect(erik.data?.accessCheck).toMatchObject({ allowed: true, grants: [{ role: 'analyst' }] });
    const bySubject = await hub.gql<{ accessCheck: { person: string } }>(
      ACCESS,
      { person: { issuer: hub.app.devIssuer!.issuer, subject: 'erik.analyst@arbetsformedlingen.se' } },
      sus,
    );
    expect(bySubject.data?.accessCheck.person).toBeTruthy();
    const byId = await hub.gql<{ accessCheck: { person: string } }>(ACCESS, { person: { id: bySubject.data!.accessCheck.person } }, sus);
    expect(byId.data?.accessCheck.person).toBe(bySubject.data!.accessCheck.person);
    // Anna's grant was revoked above: still a holder, no longer allowed.
    const anna = await hub.gql<{ accessCheck: { allowed: boolean; grants: unknown[] } }>(ACCESS, { person: { email: ANNA } }, sus);
    expect(anna.data?.accessCheck).toMatchObject({ allowed: false, grants: [] });

    const vias = await hub.clientToken('vias-backend');
    const outsider = await hub.gql(ACCESS, { person: { email: 'erik.analyst@arbetsformedlingen.se' } }, vias);
    const nobody = await hub.gql(ACCESS, { person: { email: 'nobody@example.org' } }, vias);
    expect(outsider).toMatchObject({ data: { accessCheck: null } });
    expect(outsider.data).toEqual(nobody.data);
    expect((await get('/access-check?email=erik.analyst%40arbetsformedlingen.se', vias)).status).toBe(404);
    const ok = await get('/access-check?email=erik.analyst%40arbetsformedlingen.se', sus);
    expect(ok).toMatchObject({ status: 200, body: { allowed: true } });
    // One request, a bounded number of statements (the client's sign-in is cached after its first).
    const statements = (await get('/access-check?email=erik.analyst%40arbetsformedlingen.se', sus)).statements;
    expect(statements).toBeGreaterThanOrEqual(1);
    expect(statements).toBeLessThanOrEqual(2);

    const org = await hub.gql(ACCESS, { person: { email: ANNA } }, await hub.clientToken('stockholm-hr'));
    expect(org.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'CLIENT_ONLY' });
  });

  it('should register, list and suspend clients within scope, audited, with outsiders seeing nothing', async () => {
    const services = await hub.as<{ services: { nodes: { id: string; code: string }[] } }>(KARIN, '{ services(first: 10) { nodes { id code } } }');
    const sus = services.data!.services.nodes.find((s) => s.code === 'SUS')!.id;
    const register = `mutation ($input: ClientRegisterInput!) { clientRegister(input: $input) { client { id name suspendedAt credentials { issuer clientId } } userErrors { code field } } }`;
    const input = { name: 'sus-reporting', service: sus, credentials: [{ issuer: hub.app.devIssuer!.issuer, clientId: 'sus-reporting' }] };
    const outsider = await hub.as<{ clientRegister: { client: unknown; userErrors: { code: string }[] } }>(SOFIE, register, { input });
    expect(outsider.data?.clientRegister).toEqual({ client: null, userErrors: [{ code: 'NOT_FOUND', field: ['input', 'service'] }] });
    const created = await hub.as<{ clientRegister: { client: { id: string; name: string }; userErrors: unknown[] } }>(KARIN, register, { input });
    expect(created.errors ?? created.data?.clientRegister.userErrors).toEqual([]);
    const id = created.data!.clientRegister.client.id;
    const again = await hub.as<{ clientRegister: { userErrors: { code: string }[] } }>(KARIN, register, { input });
    expect(again.data?.clientRegister.userErrors[0].code).toBe('CONFLICT');
    // Two at once: the unique index decides, one wins and the other hears CONFLICT (never a 500).
    const racing = { ...input, name: 'sus-racing', credentials: [{ issuer: hub.app.devIssuer!.issuer, clientId: 'sus-racing' }] };
    const raced = await Promise.all([0, 1].map(() => hub.as<{ clientRegister: { userErrors: { code: string }[] } }>(KARIN, register, { input: racing })));
    expect(raced.map((r) => r.errors ?? r.data?.clientRegister.userErrors.map((e) => e.code).join()).sort()).toEqual(['', 'CONFLICT']);

    const list = `{ clients(first: 50) { totalCount nodes { name } } }`;
    const karins = await hub.as<{ clients: { nodes: { name: string }[] } }>(KARIN, list);
    expect(karins.data?.clients.nodes.map((n) => n.name)).toEqual(expect.arrayContaining(['sus-backend', 'sus-reporting']));
    expect(karins.data?.clients.nodes.map((n) => n.name)).not.toContain('vias-backend');
    const sofies = await hub.as<{ clients: { nodes: { name: string }[] } }>(SOFIE, list);
    expect(sofies.data?.clients.nodes.map((n) => n.name)).toEqual(['vias-backend']);
    expect((await hub.as(SOFIE, 'query ($id: ID!) { node(id: $id) { id } }', { id })).data).toEqual({ node: null });

    const token = await hub.clientToken('sus-reporting');
    expect((await hub.gql(FEED, {}, token)).errors).toBeUndefined();
    const suspend = `mutation ($id: ID!) { clientSuspend(id: $id, input: { reason: "key leaked" }) { client { suspendedAt } userErrors { code } } }`;
    const foreign = await hub.as<{ clientSuspend: unknown }>(SOFIE, suspend, { id });
    const unknown = await hub.as<{ clientSuspend: unknown }>(SOFIE, suspend, { id: Buffer.from('Client:00000000-0000-7000-8000-000000000000').toString('base64url') });
    expect(foreign.data).toEqual({ clientSuspend: { client: null, userErrors: [{ code: 'NOT_FOUND' }] } });
    expect(foreign.data).toEqual(unknown.data);
    const done = await hub.as<{ clientSuspend: { client: { suspendedAt: string | null } } }>(KARIN, suspend, { id });
    expect(done.data?.clientSuspend.client.suspendedAt).toBeTruthy();

    const refused = await hub.gql(FEED, {}, token);
    expect(refused.status).toBe(403);
    expect(refused.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'CLIENT_SUSPENDED' });
    expect((await get('/events', token)).status).toBe(403);

    const trail = await hub.as<{ auditEvents: { nodes: { action: string }[] } }>(
      KARIN,
      'query ($id: ID!) { auditEvents(target: $id, first: 10) { nodes { action } } }',
      { id },
    );
    expect(trail.data?.auditEvents.nodes.map((n) => n.action).sort()).toEqual(['client.register', 'client.suspend']);
    const hidden = await hub.as<{ auditEvents: { nodes: unknown[] } }>(SOFIE, 'query ($id: ID!) { auditEvents(target: $id, first: 10) { nodes { action } } }', { id });
    expect(hidden.data?.auditEvents.nodes).toEqual([]);
  });

  it("should tell a leaver's organisation and services, and no one else, and stop their access at once", async () => {
    const ERIK = 'erik.analyst@arbetsformedlingen.se';
    const cursors = Object.fromEntries(await Promise.all(['sus-backend', 'vias-backend', 'af-hr', 'stockholm-hr'].map(async (c) => [c, (await feed(c)).endCursor]))) as Record<string, string>;
    const me = await hub.as<{ me: { id: string } }>(ERIK, '{ me { id } }');
    const erik = me.data!.me.id;
    const [{ created_at }] = await hub.db.orm.em.getConnection().execute<{ created_at: string }[]>(`select created_at from users where email = '${ERIK}'`);
    const endDate = new Date((new Date(created_at).getTime() + Date.now()) / 2).toISOString();
    const ended = await hub.as<{ userEmploymentEnd: { userErrors: unknown[] } }>(
      KARIN,
      'mutation ($id: ID!, $input: UserEmploymentEndInput!) { userEmploymentEnd(id: $id, input: $input) { userErrors { code } } }',
      { id: erik, input: { endDate, reason: 'Slutat' } },
    );
    expect(ended.data?.userEmploymentEnd.userErrors).toEqual([]);
    const typesFor = async (c: string) => (await feed(c, cursors[c])).edges.map((e) => `${e.node.type} ${e.node.subject.type === 'User' ? e.node.subject.id === erik : e.node.data.person === erik}`);
    expect(await typesFor('af-hr')).toEqual(expect.arrayContaining(['person.left true', 'grant.ended true']));
    expect(await typesFor('sus-backend')).toEqual(expect.arrayContaining(['person.left true', 'grant.ended true']));
    expect(await typesFor('vias-backend')).toEqual([]);
    expect(await typesFor('stockholm-hr')).toEqual([]);
    const access = await hub.gql<{ accessCheck: { allowed: boolean } }>(ACCESS, { person: { id: erik } }, await hub.clientToken('sus-backend'));
    expect(access.data?.accessCheck).toMatchObject({ allowed: false, grants: [] });
  });

  it('should read a page of clients and their credentials in as many statements whatever its size', async () => {
    const count = async (first: number) => {
      const res = await fetch(hub.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await hub.token(KARIN)}` },
        body: JSON.stringify({ query: `{ clients(first: ${first}) { nodes { name credentials { clientId } service { code } } } }` }),
      });
      const body = (await res.json()) as { data: { clients: { nodes: unknown[] } } };
      return { n: body.data.clients.nodes.length, statements: res.headers.get('x-sql-statements') };
    };
    // The first request after the writes above loads Karin's viewer again: not the list's cost.
    await count(50);
    const one = await count(1);
    const all = await count(50);
    expect(one.n).toBe(1);
    expect(all.n).toBeGreaterThan(1);
    expect(all.statements).toBe(one.statements);
  });

  it('should carry an event written with emitEvent to the clients of its organisation and service only', async () => {
    const cursors = Object.fromEntries(await Promise.all(['sus-backend', 'vias-backend', 'af-hr', 'stockholm-hr'].map(async (c) => [c, (await feed(c)).endCursor]))) as Record<string, string>;
    const [row] = await hub.db.orm.em.getConnection().execute<{ org: string; svc: string }[]>(
      `select (select id from organisations where name = 'Socialförvaltningen') as org, (select id from services where code = 'SUS') as svc`,
    );
    await hub.db.orm.em.fork().transactional((tx) =>
      emitEvent(tx, { type: 'decision.made', subjectType: 'Organisation', subjectId: row.org, serviceId: row.svc, organisationId: row.org, data: { note: 'x' } }),
    );
    const types = async (c: string) => (await feed(c, cursors[c])).edges.map((e) => e.node.type);
    expect(await types('stockholm-hr')).toEqual(['decision.made']);
    expect(await types('sus-backend')).toEqual(['decision.made']);
    expect(await types('af-hr')).toEqual([]);
    expect(await types('vias-backend')).toEqual([]);
  });
});
