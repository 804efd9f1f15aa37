import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execute, sql } from '../../src/db/sql.js';
import { fromGlobalId } from '../../src/domain/global-id.js';
import { APPOINTMENT_APPROVE, APPOINTMENT_REQUEST, ME, ORGS, type AppointmentPayload } from '../delegation/queries.js';
import { pdf } from '../support/files.js';
import { demo, startTestHub, type GraphQLResponse, type TestHub } from '../support/hub.js';
import { hire } from './fixtures.js';
import { CATALOGUE, ids, ORDER_BULK, ORDER_CREATE, type Catalogue, type OrderBulkPayload, type OrderPayload } from './queries.js';

/** The fields these tests read from the API's answers (each answer holds only what its query asked). */
interface Data {
  me: { id: string };
  organisations: { nodes: { id: string; name: string }[] };
  ordererAppointmentRequest: AppointmentPayload;
  orderCreate: OrderPayload;
  orderBulkCreate: OrderBulkPayload;
}

describe('a bulk order tells of undecided orders only those who may order for the person', () => {
  let hub: TestHub;
  let c: ReturnType<typeof ids>;
  let staff: string[];
  const people: Record<string, string> = {};
  const form = { 'input.attachments.0.file': { bytes: pdf('Blankett 9445'), filename: '9445.pdf' } };
  const bulk = async (email: string, persons: string[]) =>
    hub.upload<Data>(await hub.token(email), ORDER_BULK, { input: { people: persons, service: c.sus, role: c.analyst, attachments: [{ kind: 'ORDER_FORM', file: null }] } }, form);
  const errors = (res: GraphQLResponse<Data>) =>
    (res.data!.orderBulkCreate.results as { userErrors: { code: string; message: string }[] }[]).map((r) => r.userErrors.map((e) => `${e.code}: ${e.message}`));

  beforeAll(async () => {
    hub = await startTestHub();
    c = ids((await hub.gql<Catalogue>(CATALOGUE)).data!);
    staff = await hire(hub, 'Socialförvaltningen', 3, 'oracle');
    for (const email of [demo.maria, ...staff]) people[email] = (await hub.as<Data>(email, ME)).data!.me.id;
    const orgs = Object.fromEntries(((await hub.as<Data>(demo.karin, ORGS)).data!.organisations.nodes as { id: string; name: string }[]).map((o) => [o.name, o.id]));
    // Maria orders in SUS for Stockholms stad.
    const requested = await hub.upload<Data>(await hub.token(demo.maria), APPOINTMENT_REQUEST, { input: { service: c.sus, scope: orgs['Stockholms stad'], requestForm: null } }, {
      'input.requestForm': { bytes: pdf(), filename: '9450.pdf' },
    });
    await hub.gql(APPOINTMENT_APPROVE, { id: requested.data!.ordererAppointmentRequest.ordererAppointment.id }, await hub.token(demo.karin, { acr: 'high' }));
    // The third hired person orders in VIAS for the same subtree: they read its people, but order nothing of SUS
    // and read none of its orders. (Written directly: no VIAS routine takes municipalities.)
    const vias = fromGlobalId(c.vias)!.id;
    const viewer = fromGlobalId(people[staff[2]])!.id;
    const maria = fromGlobalId(people[demo.maria])!.id;
    await execute(
      hub.db.orm.em.fork(),
      sql`insert into orderer_appointments (id, user_id, service_id, scope_id, state, valid_from, request_form_id, routine_id, requested_by_id, created_at)
        select gen_random_uuid(), ${viewer}, ${vias}, scope_id, 'approved', valid_from, request_form_id, routine_id, ${viewer}, now()
        from orderer_appointments where user_id = ${maria}`,
    );
    // The first hired person has an undecided SUS order; the second has none.
    const placed = await hub.upload<Data>(await hub.token(demo.maria), ORDER_CREATE, { input: { person: people[staff[0]], service: c.sus, role: c.analyst, attachments: [{ kind: 'ORDER_FORM', file: null }] } }, form);
    expect(placed.data!.orderCreate.userErrors).toEqual([]);
  });
  afterAll(() => hub.close());

  it('the VIAS orderer reads both people and gets the same answer for both', async () => {
    const seen = await hub.as<Data>(staff[2], 'query($ids: [ID!]!) { nodes(ids: $ids) { id } orders { totalCount } }', { ids: [people[staff[0]], people[staff[1]]] });
    expect(seen.data).toEqual({ nodes: [{ id: people[staff[0]] }, { id: people[staff[1]] }], orders: { totalCount: 0 } });
    const [withOrder, without] = errors(await bulk(staff[2], [people[staff[0]], people[staff[1]]]));
    expect(without).toHaveLength(1);
    expect(without[0]).toMatch(/^NOT_ELIGIBLE/);
    expect(withOrder).toEqual(without);
  });

  it('the SUS orderer, who reads the order, is told of the conflict', async () => {
    const [withOrder, without] = errors(await bulk(demo.maria, [people[staff[0]], people[staff[1]]]));
    expect(withOrder).toEqual(['CONFLICT: The person already has an undecided order for this role.']);
    expect(without).toEqual([]);
  });
});
