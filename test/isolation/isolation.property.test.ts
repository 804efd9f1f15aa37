import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/graphql/global-id.js';
import { OrdererAppointment } from '../../src/orderers/orderer-appointment.entity.js';
import { IssuerMandate } from '../../src/issuers/issuer-mandate.entity.js';
import { User } from '../../src/users/user.entity.js';
import { startTestHub, type TestHub } from '../support/hub.js';
import { build, worldArb } from './world.js';

type Data = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const SEED = Number(process.env.ISOLATION_SEED ?? 20261122);
const RUNS = Number(process.env.ISOLATION_RUNS ?? 16);
const OPS = 70;
const MISSING = '01900000-0000-7000-8000-000000000000';

const TYPES = { users: 'User', grants: 'Grant', orgs: 'Organisation', mandates: 'IssuerMandate', appointments: 'OrdererAppointment' } as const;
type Collection = keyof typeof TYPES;
const LISTS: Record<Collection, string> = { users: 'users', grants: 'grants', orgs: 'organisations', mandates: 'issuerMandates', appointments: 'ordererAppointments' };

const opArb = fc.oneof(
  fc.record({ kind: fc.constant('node' as const), of: fc.constantFrom<Collection>('users', 'grants', 'orgs', 'mandates', 'appointments'), index: fc.nat(1000), actor: fc.nat(1000) }),
  fc.record({ kind: fc.constant('list' as const), of: fc.constantFrom<Collection>('users', 'grants', 'orgs', 'mandates', 'appointments'), size: fc.integer({ min: 1, max: 7 }), actor: fc.nat(1000) }),
  fc.record({ kind: fc.constant('responsible' as const), index: fc.nat(1000), vias: fc.boolean(), actor: fc.nat(1000) }),
  fc.record({ kind: fc.constant('contact' as const), index: fc.nat(1000), actor: fc.nat(1000) }),
  fc.record({ kind: fc.constant('decide' as const), index: fc.nat(1000), action: fc.constantFrom('approve', 'reject', 'revoke'), actor: fc.nat(1000) }),
  fc.record({ kind: fc.constant('endMandate' as const), index: fc.nat(1000), actor: fc.nat(1000) }),
);

describe('tenant isolation, property-based', () => {
  let hub: TestHub;
  let operations = 0;
  beforeAll(async () => {
    hub = await startTestHub({ JOBS: 'false' });
  });
  afterAll(async () => {
    await hub.close();
    console.info(`isolation: ${operations} API operations, seed ${SEED}`);
  });

  it('nothing outside scope is readable or writable; lists, node() and totalCount agree; responsible issuers match the model', async () => {
    await fc.assert(
      fc.asyncProperty(worldArb, fc.array(opArb, { minLength: OPS, maxLength: OPS }), async (shape, ops) => {
        const world = await build(hub, shape);
        const { model } = world;
        const actors = [...model.users.keys()];
        const tokens = new Map<string, string>();
        const as = async <T = Data>(actor: string, query: string, variables: Record<string, unknown> = {}) => {
          if (!tokens.has(actor)) tokens.set(actor, await hub.token(world.emails.get(actor)!, { sub: world.emails.get(actor)!, acr: 'high' }));
          operations++;
          const res = await hub.gql<T>(query, variables, tokens.get(actor));
          if (res.errors && res.errors.some((e) => !['FORBIDDEN', 'BAD_USER_INPUT'].includes(String(e.extensions?.code)))) throw new Error(JSON.stringify(res.errors));
          return res;
        };
        const runIds = (of: Collection) => new Set(world.ids[of]);
        const visible = (actor: string, of: Collection, id: string): boolean => {
          switch (of) {
            case 'users':
              return model.canReadUser(actor, id);
            case 'grants':
              return model.canReadGrant(actor, model.grants.find((g) => g.id === id)!);
            case 'orgs':
              return model.canReadOrg(actor, id);
            case 'mandates':
              return model.canReadMandate(actor, model.mandates.find((m) => m.id === id)!);
            case 'appointments':
              return model.canReadAppointment(actor, model.appointments.find((a) => a.id === id)!);
          }
        };
        const isAuthorityAdmin = (actor: string) => model.roles(actor).some((r) => r.authority);

        for (const op of ops) {
          const actor = actors[op.actor % actors.length];
          if (op.kind === 'node') {
            const ids = world.ids[op.of];
            if (ids.length === 0) continue;
            const id = ids[op.index % ids.length];
            const res = await as(actor, 'query($id: ID!) { node(id: $id) { id } }', { id: toGlobalId(TYPES[op.of], id) });
            expect(res.data!.node !== null, `${op.of} ${id} for ${world.emails.get(actor)}`).toBe(visible(actor, op.of, id));
          } else if (op.kind === 'list') {
            const seen: string[] = [];
            let after: string | null = null;
            let total = -1;
            for (let page = 0; page < 100; page++) {
              const res: { data?: Data } = await as(actor, `query($n: Int, $a: String) { ${LISTS[op.of]}(first: $n, after: $a) { totalCount nodes { id } pageInfo { hasNextPage endCursor } } }`, { n: op.size, a: after });
              const conn = res.data![LISTS[op.of]];
              total = conn.totalCount;
              seen.push(...(conn.nodes as { id: string }[]).map((n) => Buffer.from(n.id, 'base64url').toString().split(':')[1]));
              if (!conn.pageInfo.hasNextPage) break;
              after = conn.pageInfo.endCursor;
              if (!isAuthorityAdmin(actor) && seen.length > 200) break;
            }
            if (!isAuthorityAdmin(actor)) expect(total, `${op.of} totalCount`).toBe(seen.length);
            const mine = runIds(op.of);
            const listed = new Set(seen.filter((id) => mine.has(id)));
            const expected = new Set(world.ids[op.of].filter((id) => visible(actor, op.of, id)));
            expect([...listed].sort(), `${op.of} for ${world.emails.get(actor)}`).toEqual([...expected].sort());
            // Someone with no authority role sees nothing of other worlds or the demo beyond themself.
            if (!isAuthorityAdmin(actor)) expect(seen.filter((id) => !mine.has(id) && id !== actor).length, `${op.of} leak`).toBe(0);
          } else if (op.kind === 'responsible') {
            const person = world.ids.users[op.index % world.ids.users.length];
            const service = op.vias ? 'VIAS' : 'SUS';
            const services = (await as(actor, '{ services { nodes { id code } } }')).data!.services.nodes as { id: string; code: string }[];
            const res = await as(actor, 'query($id: ID!, $s: ID!) { node(id: $id) { ... on User { responsibleIssuer(service: $s) { id } } } }', {
              id: toGlobalId('User', person),
              s: services.find((s) => s.code === service)!.id,
            });
            if (!model.canReadUser(actor, person)) expect(res.data!.node).toBeNull();
            else expect(res.data!.node.responsibleIssuer.id).toBe(toGlobalId('Organisation', model.responsible(person, service)));
          } else if (op.kind === 'contact') {
            const person = world.ids.users[op.index % world.ids.users.length];
            const before = await hub.db.orm.em.fork().findOneOrFail(User, person);
            const phone = `+46 70 ${String(operations).padStart(6, '0')}`;
            const q = 'mutation($id: ID!, $p: PhoneNumber) { userContactUpdate(id: $id, input: { phone: $p }) { user { id } userErrors { code } } }';
            const res = await as(actor, q, { id: toGlobalId('User', person), p: phone });
            if (model.canWriteUser(actor, person)) {
              expect(res.data!.userContactUpdate.userErrors).toEqual([]);
            } else {
              const missing = await as(actor, q, { id: toGlobalId('User', MISSING), p: phone });
              expect(res.data).toEqual(missing.data);
              expect((await hub.db.orm.em.fork().findOneOrFail(User, person)).phone).toBe(before.phone);
            }
          } else if (op.kind === 'decide') {
            if (model.appointments.length === 0) continue;
            const a = model.appointments[op.index % model.appointments.length];
            const name = { approve: 'ordererAppointmentApprove', reject: 'ordererAppointmentReject', revoke: 'ordererAppointmentRevoke' }[op.action];
            const q = `mutation($id: ID!) { ${name}(id: $id, input: { reason: "property test" }) { ordererAppointment { state } userErrors { code } } }`;
            const res = await as(actor, q, { id: toGlobalId('OrdererAppointment', a.id) });
            const stateBefore = a.state;
            if (model.canDecideAppointment(actor, a)) {
              const wanted = op.action === 'revoke' ? 'approved' : 'requested';
              const clash = op.action === 'approve' && model.appointments.some((o) => o !== a && o.user === a.user && o.service === a.service && o.scope === a.scope && (o.state === 'requested' || o.state === 'approved'));
              const codes = (res.data![name].userErrors as { code: string }[]).map((e) => e.code);
              if (a.state !== wanted) expect(codes).toEqual(['INVALID_STATE']);
              else if (clash) expect(codes).toEqual(['CONFLICT']);
              else {
                expect(codes).toEqual([]);
                a.state = op.action === 'approve' ? 'approved' : op.action === 'reject' ? 'rejected' : 'revoked';
              }
            } else {
              if (model.canReadAppointment(actor, a)) expect(res.errors?.[0].extensions?.code).toBe('FORBIDDEN');
              else {
                const missing = await as(actor, q, { id: toGlobalId('OrdererAppointment', MISSING) });
                expect(res.data).toEqual(missing.data);
              }
              expect((await hub.db.orm.em.fork().findOneOrFail(OrdererAppointment, a.id)).state).toBe(stateBefore);
            }
          } else if (op.kind === 'endMandate') {
            if (model.mandates.length === 0) continue;
            const m = model.mandates[op.index % model.mandates.length] as (typeof model.mandates)[number] & { ended?: boolean };
            const q = 'mutation($id: ID!) { issuerMandateEnd(id: $id, input: { reason: "property test" }) { issuerMandate { state } userErrors { code } } }';
            const before = (await hub.db.orm.em.fork().findOneOrFail(IssuerMandate, m.id)).state;
            const res = await as(actor, q, { id: toGlobalId('IssuerMandate', m.id) });
            if (model.canEndMandate(actor, m)) {
              const codes = (res.data!.issuerMandateEnd.userErrors as { code: string }[]).map((e) => e.code);
              if (before === 'ended') expect(codes).toEqual(['INVALID_STATE']);
              else {
                expect(codes).toEqual([]);
                m.active = false;
                for (const admin of model.admins) if (admin.org === m.org && admin.service === m.service) admin.active = false;
              }
            } else {
              if (model.canReadMandate(actor, m)) expect(res.errors?.[0].extensions?.code).toBe('FORBIDDEN');
              else {
                const missing = await as(actor, q, { id: toGlobalId('IssuerMandate', MISSING) });
                expect(res.data).toEqual(missing.data);
              }
              expect((await hub.db.orm.em.fork().findOneOrFail(IssuerMandate, m.id)).state).toBe(before);
            }
          }
        }
        // The world's mandates end here so that the next world starts from the demo's responsibilities.
        await hub.db.orm.em.fork().nativeUpdate(IssuerMandate, { id: { $in: world.ids.mandates } }, { state: 'ended' as never });
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true, verbose: true },
    );
  }, 600_000);
});
