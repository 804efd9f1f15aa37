import { FederatedIdentity } from '../../src/identities/federated-identity.entity.js';
import { Organisation } from '../../src/organisations/organisation.entity.js';
import { ProfileState, User } from '../../src/users/user.entity.js';
import { pdf } from '../support/files.js';
import { demo } from '../support/hub.js';
import { call, callWithFiles } from './client.js';
import type { FuzzHub } from './fuzz-hub.js';

type Payload<K extends string, T> = Record<K, { userErrors: { code: string }[] } & T>;

const APPOINTMENT_REQUEST = `mutation($input: OrdererAppointmentRequestInput!) {
  ordererAppointmentRequest(input: $input) { ordererAppointment { id } userErrors { code } } }`;
const APPOINTMENT_APPROVE = 'mutation($id: ID!) { ordererAppointmentApprove(id: $id, input: { reason: "ok" }) { ordererAppointment { id } userErrors { code } } }';
const MANDATE_GRANT = `mutation($input: IssuerMandateGrantInput!) { issuerMandateGrant(input: $input) { issuerMandate { id } userErrors { code } } }`;
const ORDER_CREATE = 'mutation($input: OrderCreateInput!) { orderCreate(input: $input) { order { id } userErrors { code } } }';
const ORDER_APPROVE = 'mutation($id: ID!) { orderApprove(id: $id, input: { reason: "ok" }) { order { id grant { id } } userErrors { code } } }';
const ORDER_SEND_BACK = 'mutation($id: ID!) { orderSendBack(id: $id, input: { reason: "Bifoga blanketten igen" }) { order { id } userErrors { code } } }';

function ok<K extends string, T>(data: Payload<K, T>, key: K): T {
  const payload = data[key];
  if (payload.userErrors.length) throw new Error(`set-up: ${key} answered ${JSON.stringify(payload.userErrors)}`);
  return payload;
}

/**
 * Gives the fuzz something to change beyond the demo dataset, through the API and always in the
 * same order: an approved orderer appointment and one still requested, an issuer mandate, and
 * orders in each state (approved with its grant, sent back, waiting).
 */
export async function seedWorld(hub: FuzzHub): Promise<void> {
  const high = 'high';
  const catalogue = await call<{ services: { nodes: { id: string; code: string; roles: { id: string; code: string }[] }[] } }>(
    hub,
    null,
    '{ services { nodes { id code roles { id code } } } }',
  );
  const sus = catalogue.services.nodes.find((s) => s.code === 'SUS')!;
  const role = (code: string) => sus.roles.find((r) => r.code === code)!.id;
  const orgs = await call<{ organisations: { nodes: { id: string; name: string }[] } }>(hub, demo.karin, '{ organisations(first: 100) { nodes { id name } } }');
  const org = (name: string) => orgs.organisations.nodes.find((o) => o.name === name)!.id;

  // Staff of the municipality's social services, to order for (created like test/orders/fixtures.ts does).
  const staff = await hub.db.orm.em.fork().transactional(async (tx) => {
    const employer = await tx.findOneOrFail(Organisation, { name: 'Socialförvaltningen' });
    return ['fuzz.staff0@example.org', 'fuzz.staff1@example.org', 'fuzz.staff2@example.org'].map((email, i) => {
      const user = tx.create(User, { employer, givenName: 'Fuzz', familyName: `Staff ${i}`, email, profileState: ProfileState.COMPLETE });
      tx.create(FederatedIdentity, { user, issuer: hub.app.devIssuer!.issuer, subject: email });
      return email;
    });
  });
  const idOf = async (email: string) => (await call<{ me: { id: string } }>(hub, email, '{ me { id } }')).me.id;
  const people = { anna: await idOf(demo.anna), jonas: await idOf(demo.jonas), staff: await Promise.all(staff.map(idOf)) };

  const requested = ok(
    await callWithFiles<Payload<'ordererAppointmentRequest', { ordererAppointment: { id: string } }>>(
      hub,
      demo.maria,
      APPOINTMENT_REQUEST,
      { input: { service: sus.id, scope: org('Stockholms stad'), requestForm: null } },
      { 'input.requestForm': { bytes: pdf('Blankett 9450'), filename: '9450.pdf' } },
    ),
    'ordererAppointmentRequest',
  );
  ok(await call<Payload<'ordererAppointmentApprove', object>>(hub, demo.karin, APPOINTMENT_APPROVE, { id: requested.ordererAppointment.id }, high), 'ordererAppointmentApprove');
  // A second request, left undecided: the manager of the social services asks for a narrower scope too.
  ok(
    await callWithFiles<Payload<'ordererAppointmentRequest', object>>(
      hub,
      demo.maria,
      APPOINTMENT_REQUEST,
      { input: { service: sus.id, scope: org('Socialförvaltningen'), requestForm: null, validFrom: new Date(Date.now() + 86_400_000).toISOString() } },
      { 'input.requestForm': { bytes: pdf('Blankett 9450 (2)'), filename: '9450-2.pdf' } },
    ),
    'ordererAppointmentRequest',
  );

  ok(
    await callWithFiles<Payload<'issuerMandateGrant', object>>(
      hub,
      demo.karin,
      MANDATE_GRANT,
      {
        input: {
          service: sus.id,
          organisation: org('Arbetsförmedlingen'),
          agreementReference: 'FK-AF-2026-17',
          agreementSignatory: 'Generaldirektör',
          agreementDocument: null,
          supportEmail: 'sus-support@arbetsformedlingen.se',
          administrators: [people.jonas],
          thresholdOverrideReason: 'Överenskommelse för fuzzing',
        },
      },
      { 'input.agreementDocument': { bytes: pdf('Överenskommelse'), filename: 'overenskommelse.pdf' } },
      high,
    ),
    'issuerMandateGrant',
  );

  const order = async (person: string, roleCode: string) =>
    ok(
      await callWithFiles<Payload<'orderCreate', { order: { id: string } }>>(
        hub,
        demo.maria,
        ORDER_CREATE,
        { input: { person, service: sus.id, role: role(roleCode), justification: 'Handläggning', attachments: [{ kind: 'ORDER_FORM', file: null }] } },
        { 'input.attachments.0.file': { bytes: pdf('Blankett 9445'), filename: '9445.pdf' } },
      ),
      'orderCreate',
    ).order.id;
  const approved = await order(people.anna, 'analyst');
  ok(await call<Payload<'orderApprove', object>>(hub, demo.karin, ORDER_APPROVE, { id: approved }, high), 'orderApprove');
  const returned = await order(people.staff[0], 'analyst');
  ok(await call<Payload<'orderSendBack', object>>(hub, demo.karin, ORDER_SEND_BACK, { id: returned }, high), 'orderSendBack');
  await order(people.staff[1], 'registrar');
  await order(people.staff[2], 'analyst');
}
