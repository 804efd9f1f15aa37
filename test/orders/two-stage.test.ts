import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IssuerAdministrator } from '../../src/issuers/issuer-mandate.entity.js';
import { Organisation } from '../../src/organisations/organisation.entity.js';
import { Service } from '../../src/services/service.entity.js';
import { User } from '../../src/users/user.entity.js';
import { APPOINTMENT_APPROVE, APPOINTMENT_REQUEST, ME, ORGS, type AppointmentPayload } from '../delegation/queries.js';
import { pdf } from '../support/files.js';
import { demo, startTestHub, type TestHub } from '../support/hub.js';
import { hire } from './fixtures.js';
import { CATALOGUE, ids, ORDER_FIELDS, ORDER_RESUBMIT, ORDER_SEND_BACK, type Catalogue, type OrderFields, type OrderUserErrors } from './queries.js';

type Staged = Omit<OrderFields, 'history'> & { firstApprovedBy: { email: string } | null; firstApprovedAt: string | null; history: (OrderFields['history'][number] & { stage: string | null })[] };
interface Data {
  me: { id: string };
  organisations: { nodes: { id: string; name: string }[] };
  ordererAppointmentRequest: AppointmentPayload;
  routineCreate: OrderUserErrors & { routine: { rules: { roles: { role: string; secondApproval: boolean }[] } } | null };
  orderCreate: OrderUserErrors & { order: Staged };
  orderApprove: OrderUserErrors & { order: Staged | null };
  orderSendBack: OrderUserErrors & { order: Staged };
  orderResubmit: OrderUserErrors & { order: Staged };
}

const STAGED = `${ORDER_FIELDS} firstApprovedBy { email } firstApprovedAt history { stage toState actor { email } }`;
const CREATE = `mutation($input: OrderCreateInput!) { orderCreate(input: $input) { order { ${STAGED} } userErrors { code field message } } }`;
const APPROVE = `mutation($id: ID!, $input: OrderDecisionInput) { orderApprove(id: $id, input: $input) { order { ${STAGED} } userErrors { code field message } } }`;
const ROUTINE_CREATE = `mutation($service: ID!, $input: RoutineCreateInput!) {
  routineCreate(service: $service, input: $input) { routine { rules { roles { role secondApproval } } } userErrors { code field message } } }`;

describe('two-stage approval: a second, different approver for chosen roles', () => {
  let hub: TestHub;
  let c: ReturnType<typeof ids>;
  let staff: string[];
  let colleague: string;
  const people: Record<string, string> = {};
  const form = { 'input.attachments.0.file': { bytes: pdf('Blankett 9445'), filename: '9445.pdf' } };
  const order = async (person: string, role: string) =>
    (await hub.upload<Data>(await hub.token(demo.maria), CREATE, { input: { person, service: c.sus, role, attachments: [{ kind: 'ORDER_FORM', file: null }] } }, form)).data!
      .orderCreate.order;
  const approve = async (email: string, id: string, reason?: string) =>
    (await hub.gql<Data>(APPROVE, { id, input: { reason } }, await hub.token(email, { acr: 'high' }))).data!.orderApprove;

  beforeAll(async () => {
    hub = await startTestHub();
    c = ids((await hub.gql<Catalogue>(CATALOGUE)).data!);
    staff = await hire(hub, 'Socialförvaltningen', 3, 'two');
    [colleague] = await hire(hub, 'Kundcenter Partner', 1, 'fkadmin');
    for (const email of [demo.karin, demo.maria, colleague, ...staff]) people[email] = (await hub.as<Data>(email, ME)).data!.me.id;
    // A second administrator of Försäkringskassan for SUS, as an authority has several.
    const em = hub.db.orm.em.fork();
    await em.transactional(async (tx) => {
      const user = await tx.findOneOrFail(User, { email: colleague });
      tx.create(IssuerAdministrator, {
        user,
        service: await tx.findOneOrFail(Service, { code: 'SUS' }),
        organisation: await tx.findOneOrFail(Organisation, { name: 'Försäkringskassan' }),
      });
    });
    const orgs = Object.fromEntries((await hub.as<Data>(demo.karin, ORGS)).data!.organisations.nodes.map((o) => [o.name, o.id]));
    const requested = await hub.upload<Data>(await hub.token(demo.maria), APPOINTMENT_REQUEST, { input: { service: c.sus, scope: orgs['Stockholms stad'], requestForm: null } }, {
      'input.requestForm': { bytes: pdf(), filename: '9450.pdf' },
    });
    await hub.gql(APPOINTMENT_APPROVE, { id: requested.data!.ordererAppointmentRequest.ordererAppointment.id }, await hub.token(demo.karin, { acr: 'high' }));
  });
  afterAll(() => hub.close());

  it('the authority publishes a routine asking two approvers for registrars of municipalities', async () => {
    const today = new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000).toISOString();
    const res = await hub.gql<Data>(
      ROUTINE_CREATE,
      {
        service: c.sus,
        input: {
          name: 'SUS kommun: registrator med två beslutsfattare',
          organisationKind: 'MUNICIPALITY',
          effectiveFrom: today,
          decider: 'RESPONSIBLE_ISSUER',
          issuerThreshold: 50,
          eligibleOrganisationKinds: ['AGENCY', 'MUNICIPALITY', 'REGION', 'COORDINATION_ASSOCIATION'],
          orderingRequiresOrderer: true,
          selfRegistration: false,
          ordererRequestAttachments: ['ORDERER_REQUEST_FORM'],
          roles: [
            { role: 'registrar', attachments: ['ORDER_FORM'], secondApproval: true },
            { role: 'analyst', attachments: ['ORDER_FORM'] },
          ],
          assurance: [{ action: 'ORDER_DECIDE', level: 'SUBSTANTIAL' }],
        },
      },
      await hub.token(demo.karin, { acr: 'high' }),
    );
    expect(res.data!.routineCreate.userErrors).toEqual([]);
    expect(res.data!.routineCreate.routine!.rules.roles).toEqual([
      { role: 'registrar', secondApproval: true },
      { role: 'analyst', secondApproval: false },
    ]);
  });

  it('the first approval is recorded and the order waits; the same approver cannot give the second', async () => {
    const placed = await order(people[staff[0]], c.registrar);
    const first = await approve(demo.karin, placed.id, 'Blankett i ordning');
    expect(first.userErrors).toEqual([]);
    expect(first.order).toMatchObject({ state: 'SUBMITTED', grant: null, firstApprovedBy: { email: demo.karin } });
    expect(first.order!.history.map((h) => [h.toState, h.stage, h.actor.email])).toEqual([
      ['SUBMITTED', null, demo.maria],
      ['SUBMITTED', 'FIRST', demo.karin],
    ]);
    const again = await approve(demo.karin, placed.id);
    expect(again).toEqual({ order: null, userErrors: [expect.objectContaining({ code: 'SAME_APPROVER', field: ['id'] })] });

    const second = await approve(colleague, placed.id, 'Andra kontroll');
    expect(second.userErrors).toEqual([]);
    expect(second.order).toMatchObject({ state: 'APPROVED', grant: { state: 'ACTIVE' }, firstApprovedBy: { email: demo.karin } });
    expect(second.order!.history.map((h) => [h.toState, h.stage, h.actor.email])).toEqual([
      ['SUBMITTED', null, demo.maria],
      ['SUBMITTED', 'FIRST', demo.karin],
      ['APPROVED', 'SECOND', colleague],
    ]);
  });

  it('an outsider is answered as for an unknown id, and changes nothing', async () => {
    const placed = await order(people[staff[1]], c.registrar);
    const outsider = await approve(demo.sofie, placed.id);
    const unknown = await approve(demo.sofie, placed.id.replace(/.$/, placed.id.endsWith('A') ? 'B' : 'A'));
    expect(outsider).toEqual({ order: null, userErrors: [{ code: 'NOT_FOUND', field: ['id'], message: 'No order with this id.' }] });
    expect(outsider).toEqual(unknown);
    const seen = await hub.as<{ node: { firstApprovedAt: string | null } }>(demo.maria, 'query($id: ID!) { node(id: $id) { ... on Order { firstApprovedAt } } }', { id: placed.id });
    expect(seen.data!.node.firstApprovedAt).toBeNull();
  });

  it('a role without the rule is approved by one administrator', async () => {
    const placed = await order(people[staff[2]], c.analyst);
    const res = await approve(demo.karin, placed.id);
    expect(res.order).toMatchObject({ state: 'APPROVED', firstApprovedBy: null });
    expect(res.order!.history.map((h) => h.stage)).toEqual([null, null]);
  });

  it('an order sent back after its first approval needs both approvals again once resubmitted', async () => {
    const placed = await order(people[staff[2]], c.registrar);
    expect((await approve(colleague, placed.id)).order!.firstApprovedBy).toEqual({ email: colleague });
    const back = await hub.gql<Data>(ORDER_SEND_BACK, { id: placed.id, input: { reason: 'Fel datum' } }, await hub.token(demo.karin, { acr: 'high' }));
    expect(back.data!.orderSendBack.userErrors).toEqual([]);
    const again = await hub.gql<Data>(ORDER_RESUBMIT, { id: placed.id, input: { justification: 'Rättat' } }, await hub.token(demo.maria));
    expect(again.data!.orderResubmit.userErrors).toEqual([]);
    const first = await approve(colleague, placed.id);
    expect(first.order).toMatchObject({ state: 'SUBMITTED', firstApprovedBy: { email: colleague } });
    expect((await approve(colleague, placed.id)).userErrors.map((e) => e.code)).toEqual(['SAME_APPROVER']);
    expect((await approve(demo.karin, placed.id)).order).toMatchObject({ state: 'APPROVED' });
  });
});
