import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditEvent } from '../../src/audit/audit-event.entity.js';
import { pdf } from '../support/files.js';
import { demo, startTestHub, type TestHub } from '../support/hub.js';
import { APPOINTMENT_APPROVE, APPOINTMENT_REQUEST, ME, ORGS, type AppointmentPayload } from '../delegation/queries.js';
import { hire } from './fixtures.js';
import { CATALOGUE, ids, ORDER_APPROVE, ORDER_BULK, ORDER_CREATE, type Catalogue, type OrderBulkPayload, type OrderPayload } from './queries.js';

interface Data {
  me: { id: string };
  organisations: { nodes: { id: string; name: string }[] };
  ordererAppointmentRequest: AppointmentPayload;
  orderCreate: OrderPayload;
  orderApprove: OrderPayload;
  orderBulkCreate: OrderBulkPayload;
}

describe('decisions people can trust: four eyes and one grant in force', () => {
  let hub: TestHub;
  let c: ReturnType<typeof ids>;
  const orgs: Record<string, string> = {};
  let staff: string[];
  const people: Record<string, string> = {};
  const form = { 'input.attachments.0.file': { bytes: pdf('Blankett 9445'), filename: '9445.pdf' } };
  const withForm = (input: Record<string, unknown>) => ({ input: { ...input, attachments: [{ kind: 'ORDER_FORM', file: null }] } });
  const codes = (p: { userErrors: { code: string }[] }) => p.userErrors.map((e) => e.code);

  beforeAll(async () => {
    hub = await startTestHub();
    c = ids((await hub.gql<Catalogue>(CATALOGUE)).data!);
    staff = await hire(hub, 'Socialförvaltningen', 3, 'dec');
    for (const email of [demo.karin, demo.maria, demo.sofie, ...staff]) people[email] = (await hub.as<Data>(email, ME)).data!.me.id;
    for (const o of (await hub.as<Data>(demo.karin, ORGS)).data!.organisations.nodes) orgs[o.name] = o.id;
    const requested = await hub.upload<Data>(await hub.token(demo.maria), APPOINTMENT_REQUEST, { input: { service: c.sus, scope: orgs['Stockholms stad'], requestForm: null } }, {
      'input.requestForm': { bytes: pdf(), filename: '9450.pdf' },
    });
    await hub.gql(APPOINTMENT_APPROVE, { id: requested.data!.ordererAppointmentRequest.ordererAppointment.id }, await hub.token(demo.karin, { acr: 'high' }));
  });
  afterAll(() => hub.close());

  it('an orderer may not order for herself where the routine does not allow it', async () => {
    const res = await hub.upload<Data>(await hub.token(demo.maria), ORDER_CREATE, withForm({ person: people[demo.maria], service: c.sus, role: c.registrar }), form);
    expect(codes(res.data!.orderCreate)).toEqual(['SELF_ORDER']);
    expect(res.data!.orderCreate.order).toBeNull();
  });

  it('an authority administrator may not order for herself, nor decide an order she placed', async () => {
    const karin = await hub.token(demo.karin, { acr: 'high' });
    const self = await hub.upload<Data>(karin, ORDER_CREATE, withForm({ person: people[demo.karin], service: c.sus, role: c.registrar }), form);
    expect(codes(self.data!.orderCreate)).toEqual(['SELF_ORDER']);
    const [fkEmployee] = await hire(hub, 'Kundcenter Partner', 1, 'decfk');
    const id = (await hub.as<Data>(fkEmployee, ME)).data!.me.id;
    const placed = await hub.upload<Data>(karin, ORDER_CREATE, withForm({ person: id, service: c.sus, role: c.registrar }), form);
    expect(placed.data!.orderCreate.userErrors).toEqual([]);
    const decided = await hub.gql<Data>(ORDER_APPROVE, { id: placed.data!.orderCreate.order.id }, karin);
    expect(decided.data!.orderApprove.userErrors).toEqual([expect.objectContaining({ code: 'SELF_DECISION', field: ['id'] })]);
    expect(decided.data!.orderApprove.order).toBeNull();
  });

  it('a second order for a role and scope the person holds answers CONFLICT naming the grant, single and bulk', async () => {
    const karin = await hub.token(demo.karin, { acr: 'high' });
    const first = await hub.upload<Data>(await hub.token(demo.maria), ORDER_CREATE, withForm({ person: people[staff[0]], service: c.sus, role: c.registrar }), form);
    const approved = await hub.gql<Data>(ORDER_APPROVE, { id: first.data!.orderCreate.order.id }, karin);
    expect(approved.data!.orderApprove.userErrors).toEqual([]);
    const grantId = (approved.data!.orderApprove.order as unknown as { grant: { id: string } }).grant.id;
    const again = await hub.upload<Data>(await hub.token(demo.maria), ORDER_CREATE, withForm({ person: people[staff[0]], service: c.sus, role: c.registrar }), form);
    expect(codes(again.data!.orderCreate)).toEqual(['CONFLICT']);
    expect(again.data!.orderCreate.userErrors[0].message).toContain(grantId);
    const bulk = await hub.upload<Data>(await hub.token(demo.maria), ORDER_BULK, withForm({ people: [people[staff[0]], people[staff[1]]], service: c.sus, role: c.registrar }), form);
    const results = bulk.data!.orderBulkCreate.results as unknown as { order: { id: string } | null; userErrors: { code: string; message: string }[] }[];
    expect(results[0].userErrors.map((e) => e.code)).toEqual(['CONFLICT']);
    expect(results[0].userErrors[0].message).toContain(grantId);
    expect(results[1].order).not.toBeNull();
  });

  it('the database itself refuses a second grant in force (exclusion constraint)', async () => {
    const conn = hub.db.orm.em.fork().getConnection();
    const [{ n }] = await conn.execute<{ n: number }[]>(`select count(*)::int as n from grants where state = 'active'`);
    await expect(
      conn.execute(
        `insert into grants (id, user_id, service_id, role_id, scope_id, state, valid_from, issued_by_id, created_at, updated_at)
         select gen_random_uuid(), user_id, service_id, role_id, scope_id, 'active', now(), issued_by_id, now(), now() from grants where state = 'active' limit 1`,
      ),
    ).rejects.toThrow(/grants_one_in_force/);
    expect((await conn.execute<{ n: number }[]>(`select count(*)::int as n from grants where state = 'active'`))[0].n).toBe(n);
  });

  it('an outsider is answered as for an unknown id, and hears of no grant', async () => {
    const res = await hub.upload<Data>(await hub.token(demo.sofie, { acr: 'high' }), ORDER_CREATE, withForm({ person: people[staff[0]], service: c.sus, role: c.registrar }), form);
    const unknown = await hub.upload<Data>(await hub.token(demo.sofie, { acr: 'high' }), ORDER_CREATE, withForm({ person: people[staff[0]].replace(/.$/, 'x'), service: c.sus, role: c.registrar }), form);
    expect(res.data!.orderCreate.userErrors.map((e) => e.code)).toEqual(['NOT_FOUND']);
    expect(res.data!.orderCreate.userErrors).toEqual(unknown.data!.orderCreate.userErrors);
  });

  it('every audit event of these decisions has an actor', async () => {
    const em = hub.db.orm.em.fork();
    expect(await em.count(AuditEvent, { actor: null, action: { $in: ['order.submit', 'grant.issue', 'order.approved'] } })).toBe(0);
  });
});
