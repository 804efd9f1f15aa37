import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Grant, GrantState } from '../../src/grants/grant.entity.js';
import { Organisation } from '../../src/organisations/organisation.entity.js';
import { Service, ServiceRole } from '../../src/services/service.entity.js';
import { User } from '../../src/users/user.entity.js';
import { demo, startTestHub, type TestHub } from '../support/hub.js';
import { hire } from '../orders/fixtures.js';

/**
 * Statements one request issued, as the server counted them (x-sql-statements), in the steady state:
 * the signed-in person's roles and scopes are already cached by an earlier request of theirs.
 */
async function statements(hub: TestHub, email: string | null, query: string, variables: Record<string, unknown>): Promise<number> {
  if (email) {
    // This process's own commits drop the cache at once and again when PostgreSQL notifies them back a
    // moment later: wait until the person's viewer stays cached (`me` then costs one statement).
    for (let i = 0; i < 40; i++) {
      await hub.as(email, '{ me { id } }');
      await new Promise((r) => setTimeout(r, 25));
      if (Number((await hub.as(email, '{ me { id } }')).headers.get('x-sql-statements')) === 1) break;
    }
  }
  const res = email ? await hub.as(email, query, variables) : await hub.gql(query, variables);
  expect(res.errors).toBeUndefined();
  return Number(res.headers.get('x-sql-statements'));
}

describe('SQL statements per request', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub();
    // Give Mette 30 grants so that pages of 3 and of 30 differ in size.
    const em = hub.db.orm.em.fork();
    await em.transactional(async (tx) => {
      const mette = await tx.findOneOrFail(User, { email: demo.mette });
      const vias = await tx.findOneOrFail(Service, { code: 'VIAS' });
      const role = await tx.findOneOrFail(ServiceRole, { service: vias, code: 'specialist' });
      const scope = await tx.findOneOrFail(Organisation, { name: 'Specialcenter Nord ApS' });
      for (let i = 0; i < 30; i++) {
        // Ended ones: Mette holds the role in force already, and one grant in force per role is the rule.
        const validFrom = new Date(Date.UTC(2025, 0, 1 + i));
        tx.create(Grant, { user: mette, service: vias, role, scope, validFrom, validTo: new Date(validFrom.getTime() + 86_400_000), state: GrantState.EXPIRED, issuedBy: vias.owner });
      }
    });
  });
  afterAll(() => hub.close());
  // Steady state: the service catalogue is cached per process after the first request.
  beforeAll(() => hub.gql('{ services { nodes { roles { code } } } }'));

  it('should not grow with the page size of a nested list (no query per row)', async () => {
    const query = `query($n: Int) { me { displayName employer { name parent { name } } grants(first: $n) {
      totalCount nodes { id state role { name service { code } } service { name owner { name } } scope { name } subAreas { code } issuedBy { name } }
    } } }`;
    const small = await statements(hub, demo.mette, query, { n: 3 });
    const large = await statements(hub, demo.mette, query, { n: 30 });
    expect(small).toBeGreaterThan(0);
    expect(large).toBe(small);
  });

  it("a portal's staff list (people, employer, active grants) costs the same few statements at 10 and at 100 people", async () => {
    const people = await hire(hub, 'Socialförvaltningen', 120, 'staff');
    const query = `query($n: Int) { users(first: $n) { nodes { id displayName email employer { name }
      grants(state: ACTIVE, first: 10) { nodes { id role { name } service { code } scope { name } } } } } }`;
    // Steady state: the first page probes the size of the viewer's scope, and its plan is remembered.
    await statements(hub, demo.karin, query, { n: 1 });
    const ten = await statements(hub, demo.karin, query, { n: 10 });
    const hundred = await statements(hub, demo.karin, query, { n: 100 });
    expect(people).toHaveLength(120);
    expect(hundred).toBe(ten);
    // The page of people with their employers (one statement), their active grants, and the grants' scopes
    // not among the employers; roles and services are cached reference data.
    expect(ten).toBeLessThanOrEqual(3);
  });

  it('should not grow with the number of services listed', async () => {
    const query = 'query($n: Int) { services(first: $n) { totalCount nodes { code owner { name } roles { code service { code } } subAreas { code } } } }';
    expect(await statements(hub, null, query, { n: 1 })).toBe(await statements(hub, null, query, { n: 2 }));
  });
});
