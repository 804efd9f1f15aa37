import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/db/orm.js';
import { toGlobalId } from '../../src/domain/global-id.js';
import { Organisation } from '../../src/organisations/organisation.entity.js';
import { ProfileState, User } from '../../src/users/user.entity.js';
import { demo, startTestHub, type TestHub } from '../support/hub.js';
import { hire } from '../orders/fixtures.js';

const ENTITIES = `query($r: [_Any!]!) { _entities(representations: $r) { __typename
  ... on User { id displayName } ... on Organisation { id name } ... on Grant { id state } ... on Service { id code } } }`;
const NODE = 'query($id: ID!) { node(id: $id) { __typename id } }';

interface Me {
  me: { id: string; employer: { id: string }; grants: { nodes: { id: string; service: { id: string } }[] } };
}
const ME = '{ me { id employer { id } grants(first: 5) { nodes { id service { id } } } } }';

type Entity = { __typename: string; id: string } | null;

describe('_entities(representations:) on the hub', () => {
  let hub: TestHub;
  let erik: Me['me'];
  let mette: Me['me'];
  beforeAll(async () => {
    hub = await startTestHub();
    erik = (await hub.as<Me>(demo.erik, ME)).data!.me;
    mette = (await hub.as<Me>(demo.mette, ME)).data!.me;
  });
  afterAll(() => hub.close());

  const entities = (email: string | null, r: unknown[]) =>
    email ? hub.as<{ _entities: Entity[] }>(email, ENTITIES, { r }) : hub.gql<{ _entities: Entity[] }>(ENTITIES, { r });

  it('should answer for every global id exactly what node(id:) answers, for each viewer and anonymously', async () => {
    const missing = toGlobalId('User', '01900000-0000-7000-8000-000000000000');
    const asked: [string, string][] = [
      ['User', erik.id],
      ['Organisation', erik.employer.id],
      ['Grant', erik.grants.nodes[0].id],
      ['Service', erik.grants.nodes[0].service.id],
      ['User', mette.id],
      ['Grant', mette.grants.nodes[0].id],
      ['Organisation', mette.employer.id],
      ['User', missing],
      // A global id of another type than the representation names is absent.
      ['User', erik.employer.id],
      ['Grant', 'not-an-id'],
    ];
    for (const email of [demo.erik, demo.mette, demo.karin, null]) {
      const res = await entities(email, asked.map(([__typename, id]) => ({ __typename, id })));
      expect(res.errors).toBeUndefined();
      const expected = await Promise.all(
        asked.map(async ([type, id]) => {
          const node = (email ? await hub.as<{ node: Entity }>(email, NODE, { id }) : await hub.gql<{ node: Entity }>(NODE, { id })).data!.node;
          return node && node.__typename === type ? node.id : null;
        }),
      );
      expect(res.data!._entities.map((e) => e?.id ?? null)).toEqual(expected);
    }
    // Not vacuous: Erik sees himself and his grant, not Mette.
    const own = (await entities(demo.erik, [{ __typename: 'User', id: erik.id }, { __typename: 'User', id: mette.id }])).data!._entities;
    expect(own.map((e) => e?.id ?? null)).toEqual([erik.id, null]);
  });

  it('should cost the same statements for 100 representations as for 1', async () => {
    await hire(hub, 'Socialförvaltningen', 100, 'entity');
    const page = await hub.as<{ users: { nodes: { id: string }[] } }>(demo.karin, '{ users(first: 100) { nodes { id } } }');
    // Erik first: his grant's scope is not his employer, so one representation already needs every statement.
    const ids = [erik.id, ...page.data!.users.nodes.map((u) => u.id).filter((id) => id !== erik.id)].slice(0, 100);
    expect(ids).toHaveLength(100);
    const query = `query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id displayName employer { name }
      grants(first: 3) { nodes { id role { name } scope { name } } } } } }`;
    const statements = async (n: number) => {
      for (let i = 0; i < 40; i++) {
        await new Promise((r) => setTimeout(r, 25));
        if (Number((await hub.as(demo.karin, '{ me { id } }')).headers.get('x-sql-statements')) === 1) break;
      }
      const res = await hub.as<{ _entities: Entity[] }>(demo.karin, query, { r: ids.slice(0, n).map((id) => ({ __typename: 'User', id })) });
      expect(res.errors).toBeUndefined();
      expect(res.data!._entities.filter(Boolean)).toHaveLength(n);
      return Number(res.headers.get('x-sql-statements'));
    };
    const one = await statements(1);
    const hundred = await statements(100);
    expect(one).toBeGreaterThan(0);
    expect(hundred).toBe(one);
  });

  it('should find an organisation by registration number: the legal entity, never a unit sharing it', async () => {
    const em = hub.db.orm.em.fork();
    // A unit repeating its agency's number (as some registers do) does not make the key ambiguous.
    await em.nativeUpdate(Organisation, { name: 'Arbetsförmedlingen Stockholm' }, { registrationNumber: '202100-2114' });
    const ask = (email: string, registrationNumber: string) =>
      hub.as<{ _entities: ({ name: string } | null)[] }>(email, 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Organisation { name } } }', {
        r: [{ __typename: 'Organisation', registrationNumber }],
      });
    expect((await ask(demo.karin, '202100-2114')).data!._entities).toEqual([{ name: 'Arbetsförmedlingen' }]);
    expect((await ask(demo.karin, '000000-0000')).data!._entities).toEqual([null]);
    // A key another subgraph holds as null names nobody; it does not refuse the batch.
    const held = await hub.as<{ _entities: ({ name: string } | null)[] }>(demo.karin, 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Organisation { name } } }', {
      r: [{ __typename: 'Organisation', registrationNumber: null }, { __typename: 'Organisation', registrationNumber: '202100-2114' }],
    });
    expect(held.data!._entities).toEqual([null, { name: 'Arbetsförmedlingen' }]);
    // Outside the viewer's scope it is absent, as for a number nobody has.
    const danish = await ask(demo.mette, '202100-2114');
    const viaNode = await hub.as<{ node: Entity }>(demo.mette, NODE, { id: erik.employer.id });
    expect(danish.errors).toBeUndefined();
    expect(viaNode.data!.node).toBeNull();
    expect(danish.data!._entities).toEqual([null]);
  });

  it('should find a person by e-mail only where one person you may see has it', async () => {
    const ask = (email: string, address: string) =>
      hub.as<{ _entities: ({ id: string } | null)[] }>(email, 'query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id } } }', {
        r: [{ __typename: 'User', email: address }],
      });
    expect((await ask(demo.karin, demo.erik)).data!._entities).toEqual([{ id: erik.id }]);
    expect((await ask(demo.mette, demo.erik)).data!._entities).toEqual([null]);
    const [twin] = await hire(hub, 'Arbetsförmedlingen Stockholm', 1, 'twin');
    expect((await ask(demo.karin, twin)).data!._entities).toEqual([{ id: expect.any(String) as string }]);
    // E-mail is unique per employer only: a namesake at a municipality, whom Karin sees too.
    const em = hub.db.orm.em.fork();
    const employer = await em.findOneOrFail(Organisation, { name: 'Socialförvaltningen' });
    em.create(User, { employer, givenName: 'twin', familyName: 'Namesake', email: 'twin0@example.org', profileState: ProfileState.COMPLETE });
    await em.flush();
    expect((await ask(demo.karin, 'twin0@example.org')).data!._entities).toEqual([null]);
  });

  it('should refuse bad representations as input, before reading anything, never as a server error', async () => {
    const cases: [unknown[], string][] = [
      [Array.from({ length: 101 }, () => ({ __typename: 'User', id: erik.id })), 'at most 100'],
      [[{ __typename: 'AuditEvent', id: erik.id }], 'not an entity'],
      [[{ __typename: 'Nope', id: erik.id }], 'not an entity'],
      [[{ __typename: 'User' }], 'is found by id or email'],
      [[{ __typename: 'User', id: 42 }], 'global id'],
      [[{ __typename: 'Organisation', registrationNumber: { nested: true } }], 'is a string'],
      [[{ __typename: 'User', id: 'x'.repeat(201) }], 'longer than 200'],
      [[{ __typename: 'User', email: 'a\u0000b@example.org' }], 'control characters'],
      [[{ __typename: 'User', id: erik.id, a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8 }], 'at most 8 fields'],
      [[{ id: erik.id }], '__typename'],
      [['User'], 'object'],
    ];
    for (const [r, message] of cases) {
      const res = await entities(demo.karin, r);
      expect(res.status).toBeLessThan(500);
      expect(res.errors?.[0].extensions?.code, message).toBe('BAD_USER_INPUT');
      expect(res.errors?.[0].message).toContain(message);
      expect(res.data?._entities ?? null).toBeNull();
    }
  });

  it('should charge the query cost per representation, as nodes(ids:) is charged per id', async () => {
    const heavy = `query($r: [_Any!]!) { _entities(representations: $r) { ... on User { grants(first: 100) { nodes { id role { name } scope { name } } } } } }`;
    const one = await hub.as(demo.karin, heavy, { r: [{ __typename: 'User', id: erik.id }] });
    expect(one.errors).toBeUndefined();
    const many = await hub.as(demo.karin, heavy, { r: Array.from({ length: 100 }, () => ({ __typename: 'User', id: erik.id })) });
    expect(many.status).toBe(400);
    expect(many.errors?.[0].extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'cost' });
  });

  it("should serve its subgraph schema as committed, with Apollo's inline trace off", async () => {
    const res = await hub.gql<{ _service: { sdl: string } }>('{ _service { sdl } }');
    expect(res.data!._service.sdl).toBe(readFileSync(join(projectRoot, 'schema', 'subgraph.graphql'), 'utf8'));
    const traced = await fetch(hub.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'apollo-federation-include-trace': 'ftv1' },
      body: JSON.stringify({ query: '{ services { nodes { code } } }' }),
    });
    const body = (await traced.json()) as { extensions?: Record<string, unknown> };
    expect(body.extensions?.ftv1).toBeUndefined();
  });
});

describe('the subgraph where introspection is off and tracing is on', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub({ GRAPHQL_INTROSPECTION: 'false', FEDERATION_INLINE_TRACE: 'true' });
  });
  afterAll(() => hub.close());

  it('should not serve its schema through _service, and trace only when configured', async () => {
    const res = await hub.gql('{ _service { sdl } }');
    expect(res.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const traced = await fetch(hub.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'apollo-federation-include-trace': 'ftv1' },
      body: JSON.stringify({ query: '{ services { nodes { code } } }' }),
    });
    const body = (await traced.json()) as { extensions?: Record<string, unknown> };
    expect(typeof body.extensions?.ftv1).toBe('string');
  });
});
