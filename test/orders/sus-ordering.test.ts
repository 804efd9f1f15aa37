import { Grant, GrantState } from '../../src/grants/grant.entity.js';
import { Organisation } from '../../src/organisations/organisation.entity.js';
import { Service, ServiceRole } from '../../src/services/service.entity.js';
import { User } from '../../src/users/user.entity.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Document } from '../../src/documents/document.entity.js';
import { OutboxMessage } from '../../src/notifications/outbox-message.entity.js';
import { Order } from '../../src/orders/order.entity.js';
import { docx, pdf } from '../support/files.js';
import { demo, startTestHub, type TestHub } from '../support/hub.js';
import { toGlobalId } from '../../src/domain/global-id.js';
import { APPOINTMENT_APPROVE, APPOINTMENT_REQUEST, ME, ORGS, type AppointmentPayload } from '../delegation/queries.js';
import { hire } from './fixtures.js';
import { CATALOGUE, ids, ORDER_APPROVE, ORDER_BULK, ORDER_CREATE, ORDER_FIELDS, ORDER_REJECT, ORDER_RESUBMIT, ORDER_SEND_BACK, ORDER_WITHDRAW, type Catalogue, type OrderBulkPayload, type OrderFields, type OrderPayload } from './queries.js';

/** The fields these tests read from the API's answers (each answer holds only what its query asked). */
interface Data {
  me: { id: string; grants: { totalCount: number } };
  organisations: { nodes: { id: string; name: string }[] };
  ordererAppointmentRequest: AppointmentPayload;
  orders: { totalCount: number; nodes: { id: string }[] };
  node: OrderFields | null;
  orderCreate: OrderPayload;
  orderApprove: OrderPayload;
  orderReject: OrderPayload;
  orderSendBack: OrderPayload;
  orderResubmit: OrderPayload;
  orderWithdraw: OrderPayload;
  orderBulkCreate: OrderBulkPayload;
}

describe('SUS ordering end to end', () => {
  let hub: TestHub;
  let c: ReturnType<typeof ids>;
  const people: Record<string, string> = {};
  const orgs: Record<string, string> = {};
  let staff: string[];
  const form = { 'input.attachments.0.file': { bytes: pdf('Blankett 9445'), filename: '9445.pdf' } };
  const withForm = (input: Record<string, unknown>) => ({ input: { ...input, attachments: [{ kind: 'ORDER_FORM', file: null }] } });
  const counts = async () => {
    const em = hub.db.orm.em.fork();
    return { orders: await em.count(Order, {}), documents: await em.count(Document, {}), mail: await em.count(OutboxMessage, {}) };
  };

  beforeAll(async () => {
    hub = await startTestHub();
    c = ids((await hub.gql<Catalogue>(CATALOGUE)).data!);
    staff = await hire(hub, 'Socialförvaltningen', 30, 'soc');
    for (const email of [...Object.values(demo), ...staff.slice(0, 3)]) people[email] = (await hub.as<Data>(email, ME)).data!.me.id;
    for (const o of (await hub.as<Data>(demo.karin, ORGS)).data!.organisations.nodes as { id: string; name: string }[]) orgs[o.name] = o.id;
    // Maria becomes orderer for her municipality (flow 1).
    const requested = await hub.upload<Data>(await hub.token(demo.maria), APPOINTMENT_REQUEST, { input: { service: c.sus, scope: orgs['Stockholms stad'], requestForm: null } }, {
      'input.requestForm': { bytes: pdf(), filename: '9450.pdf' },
    });
    await hub.gql(APPOINTMENT_APPROVE, { id: requested.data!.ordererAppointmentRequest.ordererAppointment.id }, await hub.token(demo.karin, { acr: 'high' }));
  });
  afterAll(() => hub.close());

  let orderId: string;

  it('the orderer orders for an employee with form 9445; it goes to the responsible issuer', async () => {
    const res = await hub.upload<Data>(await hub.token(demo.maria), ORDER_CREATE, withForm({ person: people[demo.anna], service: c.sus, role: c.analyst, justification: 'Uppföljning' }), form);
    expect(res.errors).toBeUndefined();
    const payload = res.data!.orderCreate;
    expect(payload.userErrors).toEqual([]);
    expect(payload.order).toMatchObject({
      kind: 'ORDER',
      state: 'SUBMITTED',
      person: { email: demo.anna },
      orderedBy: { email: demo.maria },
      decider: { name: 'Försäkringskassan' },
      routine: { name: 'SUS nya rutiner för kommun, landsting och samordningsförbund' },
      attachments: [{ kind: 'ORDER_FORM', contentType: 'application/pdf' }],
      history: [{ fromState: null, toState: 'SUBMITTED', actor: { email: demo.maria } }],
    });
    orderId = payload.order.id;
    const inbox = await hub.as<Data>(demo.karin, '{ orders(toDecide: true) { totalCount nodes { id } } }');
    expect(inbox.data!.orders).toEqual({ totalCount: 1, nodes: [{ id: orderId }] });
  });

  it('without the form the routine asks for, nothing is stored', async () => {
    const before = await counts();
    const res = await hub.as<Data>(demo.maria, ORDER_CREATE, { input: { person: people[staff[0]], service: c.sus, role: c.registrar } });
    expect(res.data!.orderCreate.userErrors.map((e: { code: string }) => e.code)).toEqual(['REQUIRED']);
    expect(await counts()).toEqual(before);
  });

  it('a Word document is a valid form; an attachment the routine does not take for the role is refused, nothing stored', async () => {
    const before = await counts();
    const wrongKind = await hub.upload<Data>(
      await hub.token(demo.maria),
      ORDER_CREATE,
      { input: { person: people[staff[0]], service: c.sus, role: c.registrar, attachments: [{ kind: 'ORDER_FORM', file: null }, { kind: 'CV', file: null }] } },
      { 'input.attachments.0.file': { bytes: docx(), filename: '9445.docx' }, 'input.attachments.1.file': { bytes: pdf('CV'), filename: 'cv.pdf' } },
    );
    expect(wrongKind.data!.orderCreate.userErrors.map((e) => `${e.code}:${(e.field ?? []).join('.')}`)).toEqual(['INVALID:input.attachments.1.kind']);
    expect(await counts()).toEqual(before);
    const word = await hub.upload<Data>(await hub.token(demo.maria), ORDER_CREATE, withForm({ person: people[staff[0]], service: c.sus, role: c.registrar }), {
      'input.attachments.0.file': { bytes: docx(), filename: '9445.docx' },
    });
    expect(word.data!.orderCreate.order.attachments).toEqual([expect.objectContaining({ contentType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document' })]);
    await hub.as(demo.maria, ORDER_WITHDRAW, { id: word.data!.orderCreate.order.id });
  });

  it('people outside the orderer scope are not found; an employee with an undecided order conflicts', async () => {
    const before = await counts();
    const outside = await hub.upload<Data>(await hub.token(demo.maria), ORDER_CREATE, withForm({ person: people[demo.erik], service: c.sus, role: c.analyst }), form);
    expect(outside.data!.orderCreate.userErrors.map((e: { code: string }) => e.code)).toEqual(['NOT_FOUND']);
    const twice = await hub.upload<Data>(await hub.token(demo.maria), ORDER_CREATE, withForm({ person: people[demo.anna], service: c.sus, role: c.analyst }), form);
    expect(twice.data!.orderCreate.userErrors.map((e: { code: string }) => e.code)).toEqual(['CONFLICT']);
    expect(await counts()).toEqual(before);
  });

  it('an outsider neither sees nor decides the order', async () => {
    const seen = await hub.as<Data>(demo.jonas, 'query($id: ID!) { node(id: $id) { id } orders { totalCount } }', { id: orderId });
    expect(seen.data).toEqual({ node: null, orders: { totalCount: 0 } });
    const decided = await hub.gql<Data>(ORDER_APPROVE, { id: orderId }, await hub.token(demo.sofie, { acr: 'high' }));
    expect(decided.data!.orderApprove).toEqual({ order: null, userErrors: [{ code: 'NOT_FOUND', field: ['id'], message: 'No order with this id.' }] });
    const byOrderer = await hub.gql<Data>(ORDER_APPROVE, { id: orderId }, await hub.token(demo.maria, { acr: 'high' }));
    expect(byOrderer.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    // Every other change of the order answers an outsider exactly as for an id that does not exist, and changes nothing.
    const missing = toGlobalId('Order', '01900000-0000-7000-8000-000000000000');
    const outsider = await hub.token(demo.sofie, { acr: 'high' });
    const before = (await hub.as<Data>(demo.maria, `query($id: ID!) { node(id: $id) { ... on Order { ${ORDER_FIELDS} } } }`, { id: orderId })).data;
    for (const [mutation, field, input] of [
      [ORDER_REJECT, 'orderReject', { reason: 'no' }],
      [ORDER_SEND_BACK, 'orderSendBack', { reason: 'no' }],
      [ORDER_RESUBMIT, 'orderResubmit', { validTo: '2030-12-31T00:00:00Z' }],
      [ORDER_WITHDRAW, 'orderWithdraw', undefined],
    ] as const) {
      const answer = (await hub.gql<Data>(mutation, { id: orderId, input }, outsider)).data![field];
      expect(answer, field).toEqual((await hub.gql<Data>(mutation, { id: missing, input }, outsider)).data![field]);
      expect(answer.userErrors.map((e: { code: string }) => e.code), field).toEqual(['NOT_FOUND']);
    }
    expect((await hub.as<Data>(demo.maria, `query($id: ID!) { node(id: $id) { ... on Order { ${ORDER_FIELDS} } } }`, { id: orderId })).data).toEqual(before);
    expect(before!.node?.state).toBe('SUBMITTED');
  });

  it('the issuer sends it back, the orderer resubmits, the issuer approves: the grant exists and mail is queued', async () => {
    const karin = await hub.token(demo.karin, { acr: 'high' });
    const back = await hub.gql<Data>(ORDER_SEND_BACK, { id: orderId, input: { reason: 'Ange giltighetstid' } }, karin);
    expect(back.data!.orderSendBack.order).toMatchObject({ state: 'RETURNED', decisionReason: 'Ange giltighetstid' });
    const again = await hub.as<Data>(demo.maria, ORDER_RESUBMIT, { id: orderId, input: { validTo: '2030-12-31T00:00:00Z' } });
    expect(again.data!.orderResubmit.order.state).toBe('SUBMITTED');
    const before = await counts();
    const approved = await hub.gql<Data>(ORDER_APPROVE, { id: orderId, input: { reason: 'OK' } }, karin);
    const order = approved.data!.orderApprove.order;
    expect(order).toMatchObject({ state: 'APPROVED', grant: { state: 'ACTIVE', usable: true } });
    expect(order.history.map((h: { toState: string; actor: { email: string } }) => `${h.toState}:${h.actor.email}`)).toEqual([
      `SUBMITTED:${demo.maria}`,
      `RETURNED:${demo.karin}`,
      `SUBMITTED:${demo.maria}`,
      `APPROVED:${demo.karin}`,
    ]);
    const mail = await hub.db.orm.em.fork().find(OutboxMessage, { topic: 'order.approved' });
    expect(mail.map((m) => m.recipient).sort()).toEqual([demo.anna, demo.maria].sort());
    expect((await counts()).mail).toBe(before.mail + 2);
    const annaGrants = await hub.as<Data>(demo.anna, '{ me { grants { totalCount } } }');
    expect(annaGrants.data!.me.grants.totalCount).toBe(2);
    const decideAgain = await hub.gql<Data>(ORDER_APPROVE, { id: orderId }, karin);
    expect(decideAgain.data!.orderApprove.userErrors.map((e: { code: string }) => e.code)).toEqual(['INVALID_STATE']);
  });

  it('an order sent back for an unsigned form 9445 is fixed with a signed one; both versions are kept', async () => {
    const karin = await hub.token(demo.karin, { acr: 'high' });
    const placed = await hub.upload<Data>(await hub.token(demo.maria), ORDER_CREATE, withForm({ person: people[staff[0]], service: c.sus, role: c.analyst }), {
      'input.attachments.0.file': { bytes: pdf('Blankett 9445 osignerad'), filename: '9445-osignerad.pdf' },
    });
    const id = placed.data!.orderCreate.order.id;
    await hub.gql<Data>(ORDER_SEND_BACK, { id, input: { reason: 'Blanketten är inte underskriven' } }, karin);
    const RESUBMIT = `mutation($id: ID!, $input: OrderResubmitInput!) { orderResubmit(id: $id, input: $input) {
      order { id state attachments { filename } supportingDocuments { replacedAt document { filename } } } userErrors { code field message } } }`;
    type Fixed = { orderResubmit: { order: { state: string; attachments: { filename: string }[]; supportingDocuments: { replacedAt: string | null; document: { filename: string } }[] } | null; userErrors: { code: string; field: string[] }[] } };
    // A file that is not a form the routine takes for the role is refused, and nothing changes.
    const wrong = await hub.upload<Fixed>(await hub.token(demo.maria), RESUBMIT, { id, input: { replaceAttachments: true, attachments: [{ kind: 'CV', file: null }] } }, {
      'input.attachments.0.file': { bytes: pdf('CV'), filename: 'cv.pdf' },
    });
    expect(wrong.data!.orderResubmit.userErrors.map((e) => e.code).sort()).toEqual(['INVALID', 'REQUIRED']);
    // Someone else than the orderer is refused; an outsider is answered as for an unknown id.
    const byIssuer = await hub.upload<Fixed>(karin, RESUBMIT, { id, input: { replaceAttachments: true, attachments: [{ kind: 'ORDER_FORM', file: null }] } }, {
      'input.attachments.0.file': { bytes: pdf('x'), filename: 'x.pdf' },
    });
    expect(byIssuer.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const outsider = await hub.upload<Fixed>(await hub.token(demo.sofie), RESUBMIT, { id, input: { replaceAttachments: true, attachments: [{ kind: 'ORDER_FORM', file: null }] } }, {
      'input.attachments.0.file': { bytes: pdf('x'), filename: 'x.pdf' },
    });
    expect(outsider.data!.orderResubmit).toEqual({ order: null, userErrors: [{ code: 'NOT_FOUND', field: ['id'], message: 'No order with this id.' }] });

    const fixed = await hub.upload<Fixed>(await hub.token(demo.maria), RESUBMIT, { id, input: { replaceAttachments: true, attachments: [{ kind: 'ORDER_FORM', file: null }] } }, {
      'input.attachments.0.file': { bytes: pdf('Blankett 9445 signerad'), filename: '9445-signerad.pdf' },
    });
    expect(fixed.data!.orderResubmit.userErrors).toEqual([]);
    const order = fixed.data!.orderResubmit.order!;
    expect(order.state).toBe('SUBMITTED');
    expect(order.attachments).toEqual([{ filename: '9445-signerad.pdf' }]);
    expect(order.supportingDocuments.map((d) => [d.document.filename, d.replacedAt !== null]).sort()).toEqual([
      ['9445-osignerad.pdf', true],
      ['9445-signerad.pdf', false],
    ]);
    // The trail keeps what each version held.
    const trail = await hub.as<{ auditEvents: { nodes: { action: string; before: { attachments?: unknown[] } | null; after: { attachments?: unknown[] } } [] } }>(
      demo.karin,
      'query($t: ID) { auditEvents(target: $t) { nodes { action before after } } }',
      { t: id },
    );
    const resubmitted = trail.data!.auditEvents.nodes.find((e) => e.action === 'order.resubmit')!;
    expect(resubmitted.before!.attachments).toHaveLength(1);
    expect(resubmitted.after.attachments).toHaveLength(1);
    expect(resubmitted.before!.attachments).not.toEqual(resubmitted.after.attachments);
    const approved = await hub.gql<Data>(ORDER_APPROVE, { id }, karin);
    expect(approved.data!.orderApprove.order.state).toBe('APPROVED');
  });

  it('the orderer withdraws an undecided order; only whoever placed it may', async () => {
    const res = await hub.upload<Data>(await hub.token(demo.maria), ORDER_CREATE, withForm({ person: people[staff[1]], service: c.sus, role: c.registrar }), form);
    const id = res.data!.orderCreate.order.id;
    const byIssuer = await hub.gql<Data>(ORDER_WITHDRAW, { id }, await hub.token(demo.karin, { acr: 'high' }));
    expect(byIssuer.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const withdrawn = await hub.as<Data>(demo.maria, ORDER_WITHDRAW, { id });
    expect(withdrawn.data!.orderWithdraw.order.state).toBe('WITHDRAWN');
    const twice = await hub.as<Data>(demo.maria, ORDER_WITHDRAW, { id });
    expect(twice.data!.orderWithdraw.userErrors.map((e: { code: string }) => e.code)).toEqual(['INVALID_STATE']);
  });

  it('a bulk order answers per person: in scope ordered, the rest with their own error', async () => {
    const token = await hub.token(demo.maria);
    const everyone = [];
    for (const email of staff.slice(2)) everyone.push((await hub.gql<Data>(ME, {}, await hub.token(email))).data!.me.id);
    const input = { people: [...everyone, people[demo.erik], 'garbage'], service: c.sus, role: c.registrar, attachments: [{ kind: 'ORDER_FORM', file: null }] };
    const res = await hub.upload<Data>(token, ORDER_BULK, { input }, { 'input.attachments.0.file': { bytes: pdf('Lista'), filename: 'lista.pdf' } });
    const results = res.data!.orderBulkCreate.results as { person: string; order: { state: string } | null; userErrors: { code: string }[] }[];
    expect(results).toHaveLength(30);
    expect(results.slice(0, 28).every((r) => r.order?.state === 'SUBMITTED' && r.userErrors.length === 0)).toBe(true);
    expect(results.slice(28).map((r) => [r.order, r.userErrors.map((e) => e.code)])).toEqual([
      [null, ['NOT_FOUND']],
      [null, ['NOT_FOUND']],
    ]);
    // One shared document, attached to every order.
    const documents = await hub.db.orm.em.fork().count(Document, { filename: 'lista.pdf' });
    expect(documents).toBe(1);
  });

  it("the authority's own staff: orders need a high-assurance (signed) sign-in", async () => {
    const [fkEmployee] = await hire(hub, 'Kundcenter Partner', 1, 'fk');
    const id = (await hub.gql<Data>(ME, {}, await hub.token(fkEmployee))).data!.me.id;
    const input = withForm({ person: id, service: c.sus, role: c.registrar });
    const low = await hub.upload<Data>(await hub.token(demo.karin, { acr: 'substantial' }), ORDER_CREATE, input, form);
    expect(low.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'STEP_UP_REQUIRED', requiredAssuranceLevel: 'HIGH' });
    const high = await hub.upload<Data>(await hub.token(demo.karin, { acr: 'high' }), ORDER_CREATE, input, form);
    expect(high.data!.orderCreate.order).toMatchObject({ state: 'SUBMITTED', routine: { name: 'SUS för Försäkringskassans anställda (9460, signerad digitalt)' } });
  });

  it("revoking a grant of the authority's own staff needs the assurance ordering it needs (high)", async () => {
    const [fkEmployee] = await hire(hub, 'Kundcenter Partner', 1, 'fkrev');
    // A grant issued earlier, as seeded: the revocation's rule is what is under test.
    const em = hub.db.orm.em.fork();
    const grant = await em.transactional(async (tx) => {
      const fk = await tx.findOneOrFail(Organisation, { name: 'Försäkringskassan' });
      const service = await tx.findOneOrFail(Service, { code: 'SUS' });
      return tx.create(Grant, {
        user: await tx.findOneOrFail(User, { email: fkEmployee }),
        service,
        role: await tx.findOneOrFail(ServiceRole, { service, code: 'registrar' }),
        scope: fk,
        validFrom: new Date(),
        issuedBy: fk,
        state: GrantState.ACTIVE,
      });
    });
    const grantId = toGlobalId('Grant', grant.id);
    const REVOKE = 'mutation($id: ID!) { grantRevoke(id: $id, input: { reason: "Slutat" }) { grant { id state } userErrors { code } } }';
    type Revoked = { grantRevoke: { grant: { state: string } | null; userErrors: { code: string }[] } | null };
    const substantial = await hub.gql<Revoked>(REVOKE, { id: grantId }, await hub.token(demo.karin, { acr: 'substantial' }));
    expect(substantial.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'STEP_UP_REQUIRED', requiredAssuranceLevel: 'HIGH' });
    expect((await hub.db.orm.em.fork().findOneOrFail(Grant, grant.id)).state).toBe(GrantState.ACTIVE);
    const outsider = await hub.gql<Revoked>(REVOKE, { id: grantId }, await hub.token(demo.sofie, { acr: 'high' }));
    expect(outsider.data!.grantRevoke!.userErrors.map((e) => e.code)).toEqual(['NOT_FOUND']);
    const high = await hub.gql<Revoked>(REVOKE, { id: grantId }, await hub.token(demo.karin, { acr: 'high' }));
    expect(high.data!.grantRevoke!.grant).toMatchObject({ state: 'REVOKED' });
  });
});
