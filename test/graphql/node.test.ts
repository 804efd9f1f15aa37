import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/domain/global-id.js';
import { demo, startTestHub, type TestHub } from '../support/hub.js';

interface Ids {
  me: { id: string; employer: { id: string; parent: { id: string } | null }; grants: { nodes: { id: string; scope: { id: string } }[] } };
}

const IDS = '{ me { id employer { id parent { id } } grants(first: 5) { nodes { id scope { id } } } } }';

describe('node(id:) and nodes(ids:)', () => {
  let hub: TestHub;
  let anna: Ids['me'];
  let mette: Ids['me'];
  beforeAll(async () => {
    hub = await startTestHub();
    anna = (await hub.as<Ids>(demo.anna, IDS)).data!.me;
    mette = (await hub.as<Ids>(demo.mette, IDS)).data!.me;
  });
  afterAll(() => hub.close());

  const NODE = 'query($id: ID!) { node(id: $id) { __typename id } }';

  it('should return your own objects by global id, with the right type', async () => {
    for (const [id, type] of [
      [anna.id, 'User'],
      [anna.employer.id, 'Organisation'],
      [anna.grants.nodes[0].id, 'Grant'],
    ]) {
      const res = await hub.as<{ node: { __typename: string; id: string } }>(demo.anna, NODE, { id });
      expect(res.data!.node).toEqual({ __typename: type, id });
    }
  });

  it("should answer null for another tenant's user, grant and organisation, exactly as for a missing id", async () => {
    const missing = toGlobalId('User', '01900000-0000-7000-8000-000000000000');
    for (const id of [mette.id, mette.grants.nodes[0].id, mette.employer.id, missing]) {
      const res = await hub.as<{ node: null }>(demo.anna, NODE, { id });
      expect(res.errors).toBeUndefined();
      expect(res.data!.node).toBeNull();
    }
  });

  it('should answer null for malformed ids and ids of unknown types', async () => {
    const garbage = ['', 'not-an-id', toGlobalId('Nope', anna.id), Buffer.from(`User:${'x'.repeat(36)}`).toString('base64url'), 'a'.repeat(200)];
    for (const id of garbage) {
      const res = await hub.as<{ node: null }>(demo.anna, NODE, { id });
      expect(res.errors).toBeUndefined();
      expect(res.data!.node).toBeNull();
    }
    // Past the documented maximum an id is refused as input, whatever it names.
    const long = await hub.as<{ node: null }>(demo.anna, NODE, { id: 'a'.repeat(201) });
    expect(long.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: ['id'] });
  });

  it('should not let an id of one type fetch a row of another type', async () => {
    // The same row id under another type name must not resolve.
    const uuid = Buffer.from(anna.id, 'base64url').toString().split(':')[1];
    const res = await hub.as<{ node: null }>(demo.anna, NODE, { id: toGlobalId('Grant', uuid) });
    expect(res.data!.node).toBeNull();
  });

  it('should show nothing to an anonymous caller except the public catalogue', async () => {
    const res = await hub.gql<{ nodes: (object | null)[] }>('query($ids: [ID!]!) { nodes(ids: $ids) { __typename } }', {
      ids: [anna.id, anna.grants.nodes[0].id, anna.employer.id],
    });
    expect(res.data!.nodes).toEqual([null, null, null]);
    const services = await hub.gql<{ services: { nodes: { id: string }[] } }>('{ services { nodes { id } } }');
    const serviceId = services.data!.services.nodes[0].id;
    const viaNode = await hub.gql<{ node: { __typename: string } }>(NODE, { id: serviceId });
    expect(viaNode.data!.node.__typename).toBe('Service');
  });

  it('nodes(ids:) should keep order, answer null where node would, and cap the count', async () => {
    const res = await hub.as<{ nodes: ({ id: string } | null)[] }>(demo.anna, 'query($ids: [ID!]!) { nodes(ids: $ids) { id } }', {
      ids: [anna.grants.nodes[0].id, mette.id, anna.id],
    });
    expect(res.data!.nodes).toEqual([{ id: anna.grants.nodes[0].id }, null, { id: anna.id }]);
    const tooMany = await hub.as(demo.anna, 'query($ids: [ID!]!) { nodes(ids: $ids) { id } }', { ids: Array(101).fill(anna.id) });
    expect(tooMany.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('should let you see the chain above your organisation but not its siblings', async () => {
    const orgs = await hub.as<{ organisations: { totalCount: number; nodes: { name: string }[] } }>(
      demo.anna,
      '{ organisations(first: 50) { totalCount nodes { name } } }',
    );
    expect(orgs.data!.organisations.nodes.map((o) => o.name).sort()).toEqual(['Socialförvaltningen', 'Stockholms stad']);
    expect(orgs.data!.organisations.totalCount).toBe(2);
  });
});
