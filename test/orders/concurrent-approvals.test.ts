import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Grant, GrantState } from '../../src/grants/grant.entity.js';
import { User } from '../../src/users/user.entity.js';
import { pdf } from '../support/files.js';
import { demo, startTestHub, type TestHub } from '../support/hub.js';
import { APPOINTMENT_APPROVE, APPOINTMENT_REQUEST, ME, ORGS, type AppointmentPayload } from '../delegation/queries.js';
import { rawId } from '../isolation/api.js';
import { hire } from './fixtures.js';
import { CATALOGUE, ids, ORDER_APPROVE, ORDER_CREATE, type Catalogue, type OrderPayload } from './queries.js';

interface Data {
  me: { id: string };
  organisations: { nodes: { id: string; name: string }[] };
  ordererAppointmentRequest: AppointmentPayload;
  orderCreate: OrderPayload;
  orderApprove: OrderPayload;
}
const ORDERS = 6;

/**
 * Orders for the same person, role and scope, all submitted before any is decided, approved at once.
 * On PostgreSQL they arrive on two hub instances sharing one database, so only the database (the
 * holder's row lock and the grants_one_in_force exclusion constraint) can keep the second grant out.
 * PGlite is one process with one connection: there the approvals still race inside one instance
 * (each one's check and insert interleave with the others' requests), which proves the check runs
 * in the approving transaction, not before it.
 */
describe('one grant in force under concurrent duplicate approvals', () => {
  let hub: TestHub;
  let second: TestHub | null = null;
  let person: string;
  const orderIds: string[] = [];

  beforeAll(async () => {
    hub = await startTestHub();
    if (hub.db.kind === 'postgresql') second = await startTestHub({}, hub);
    const c = ids((await hub.gql<Catalogue>(CATALOGUE)).data!);
    const [email] = await hire(hub, 'Socialförvaltningen', 1, 'race');
    person = (await hub.as<Data>(email, ME)).data!.me.id;
    const orgs = Object.fromEntries((await hub.as<Data>(demo.karin, ORGS)).data!.organisations.nodes.map((o) => [o.name, o.id]));
    const requested = await hub.upload<Data>(await hub.token(demo.maria), APPOINTMENT_REQUEST, { input: { service: c.sus, scope: orgs['Stockholms stad'], requestForm: null } }, {
      'input.requestForm': { bytes: pdf(), filename: '9450.pdf' },
    });
    await hub.gql(APPOINTMENT_APPROVE, { id: requested.data!.ordererAppointmentRequest.ordererAppointment.id }, await hub.token(demo.karin, { acr: 'high' }));
    const res = await hub.upload<Data>(
      await hub.token(demo.maria),
      ORDER_CREATE,
      { input: { person, service: c.sus, role: c.registrar, attachments: [{ kind: 'ORDER_FORM', file: null }] } },
      { 'input.attachments.0.file': { bytes: pdf('Blankett 9445'), filename: '9445.pdf' } },
    );
    expect(res.data!.orderCreate.userErrors).toEqual([]);
    orderIds.push(res.data!.orderCreate.order.id);
    // A second undecided order for the same role is refused, so the duplicates that instances racing
    // through orderCreate could let in are made here: copies of the order, its form and its history.
    const conn = hub.db.orm.em.fork().getConnection();
    const [{ id: original }] = await conn.execute<{ id: string }[]>(`select id from orders where user_id = ?`, [rawId(person)]);
    for (let i = 1; i < ORDERS; i++) {
      const [{ id }] = await conn.execute<{ id: string }[]>(
        `insert into orders (id, kind, state, user_id, service_id, role_id, scope_id, valid_from, valid_to, justification, contact_email, contact_phone,
           ordered_by_id, decider_id, routine_id, submitted_at, created_at, updated_at)
         select gen_random_uuid(), kind, state, user_id, service_id, role_id, scope_id, valid_from, valid_to, justification, contact_email, contact_phone,
           ordered_by_id, decider_id, routine_id, submitted_at, created_at, updated_at from orders where id = ? returning id`,
        [original],
      );
      await conn.execute(`insert into order_attachments (id, order_id, document_id, sub_area_id) select gen_random_uuid(), ?, document_id, sub_area_id from order_attachments where order_id = ?`, [id, original]);
      await conn.execute(`insert into order_events (id, order_id, from_state, to_state, actor_id, reason, occurred_at) select gen_random_uuid(), ?, from_state, to_state, actor_id, reason, occurred_at from order_events where order_id = ?`, [id, original]);
      orderIds.push(Buffer.from(`Order:${id}`, 'utf8').toString('base64url'));
    }
  });
  afterAll(async () => {
    await second?.close();
    await hub.close();
  });

  it('exactly one approval makes a grant; every other answers CONFLICT naming it', async () => {
    const token = await hub.token(demo.karin, { acr: 'high' });
    const instances = [hub, second ?? hub];
    const results = await Promise.all(orderIds.map((id, i) => instances[i % 2].gql<Data>(ORDER_APPROVE, { id }, token)));
    expect(results.map((r) => r.errors)).toEqual(results.map(() => undefined));
    const approved = results.filter((r) => r.data!.orderApprove.order?.state === 'APPROVED');
    expect(approved).toHaveLength(1);
    const grantId = approved[0].data!.orderApprove.order.grant!.id;
    const refused = results.filter((r) => r.data!.orderApprove.order === null).map((r) => r.data!.orderApprove.userErrors);
    expect(refused).toHaveLength(ORDERS - 1);
    for (const errors of refused) {
      expect(errors.map((e) => e.code)).toEqual(['CONFLICT']);
      expect(errors[0].message).toContain(grantId);
    }
    const em = hub.db.orm.em.fork();
    expect(await em.count(Grant, { user: em.getReference(User, rawId(person)), state: GrantState.ACTIVE })).toBe(1);
  });
});
