import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Routine } from '../../src/routines/routine.entity.js';
import { pdf } from '../support/files.js';
import { demo, startTestHub, type TestHub } from '../support/hub.js';
import { loadDemoDirectory, APPOINTMENT_REQUEST, MANDATE_END, MANDATE_GRANT,  RESPONSIBLE, type AppointmentPayload, type MandatePayload, type ResponsibleData, type UserErrors } from './queries.js';

/** The fields these tests read from the API's answers (each answer holds only what its query asked). */
interface Data extends ResponsibleData {
  services: { nodes: { code: string; routineInForce: RoutineInForce | null }[] };
  routineCreate: UserErrors & { routine: { id: string; name: string } };
  ordererAppointmentRequest: AppointmentPayload;
  ordererAppointments: { nodes: { routine: { name: string } }[] };
  ordererAppointmentApprove: AppointmentPayload;
  issuerMandateGrant: MandatePayload;
  users: { nodes: { email: string }[] };
  issuerMandates: { totalCount: number };
}

interface RoutineInForce {
  name: string;
  effectiveFrom: string;
  rules: { orderingRequiresOrderer: boolean; issuerThreshold: number; assurance: { action: string; level: string }[] };
}

const ROUTINE_CREATE = `mutation($service: ID!, $input: RoutineCreateInput!) {
  routineCreate(service: $service, input: $input) { routine { id name effectiveFrom organisationKind rules { issuerThreshold orderingRequiresOrderer } } userErrors { code field message } }
}`;

const IN_FORCE = `query($kind: OrganisationKind, $at: DateTime) {
  services { nodes { code routineInForce(organisationKind: $kind, at: $at) { name effectiveFrom rules { orderingRequiresOrderer issuerThreshold
    roles { role attachments quotaPerOrganisation } assurance { action level } } } } }
}`;

const rulesInput = {
  decider: 'RESPONSIBLE_ISSUER',
  issuerThreshold: 25,
  eligibleOrganisationKinds: ['AGENCY', 'MUNICIPALITY', 'REGION', 'COORDINATION_ASSOCIATION'],
  orderingRequiresOrderer: true,
  selfRegistration: false,
  ordererRequestAttachments: ['ORDERER_REQUEST_FORM'],
  roles: [{ role: 'registrar', attachments: ['ORDER_FORM'] }],
  assurance: [{ action: 'APPOINTMENT_DECIDE', level: 'HIGH' }],
};

describe('routines: rules in force from a date', () => {
  let hub: TestHub;
  let sus: string;
  const ids: Record<string, string> = {};
  const orgs: Record<string, string> = {};
  const high = (email: string) => hub.token(email, { acr: 'high' });
  const inForce = async (kind: string | null, at?: string) =>
    (await hub.gql<Data>(IN_FORCE, { kind, at })).data!.services.nodes.find((s) => s.code === 'SUS')!.routineInForce;

  beforeAll(async () => {
    hub = await startTestHub();
    sus = (await loadDemoDirectory(hub, ids, orgs)).SUS;
  });
  afterAll(() => hub.close());

  it('applies the seed routines by date and organisation kind (public)', async () => {
    expect((await inForce('MUNICIPALITY', '2014-04-20T12:00:00Z'))?.rules.orderingRequiresOrderer).toBe(false);
    expect((await inForce('MUNICIPALITY', '2014-04-21T12:00:00Z'))?.rules.orderingRequiresOrderer).toBe(true);
    expect((await inForce('AGENCY'))?.rules.orderingRequiresOrderer).toBe(false);
    expect((await inForce('AUTHORITY'))?.rules.assurance).toContainEqual({ action: 'ORDER_SUBMIT', level: 'HIGH' });
    expect(await inForce(null, '2010-01-01T00:00:00Z')).toBeNull();
  });

  it('only the authority publishes routines, never in the past, with valid rules', async () => {
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString();
    const outsider = await hub.gql<Data>(ROUTINE_CREATE, { service: sus, input: { ...rulesInput, name: 'x', effectiveFrom: tomorrow } }, await high(demo.sofie));
    expect(outsider.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const past = await hub.gql<Data>(ROUTINE_CREATE, { service: sus, input: { ...rulesInput, name: 'x', effectiveFrom: '2020-01-01T00:00:00Z' } }, await high(demo.karin));
    expect((past.data!.routineCreate as UserErrors).userErrors.map((e) => e.code)).toEqual(['DATE_ORDER']);
    const badRole = await hub.gql<Data>(
      ROUTINE_CREATE,
      { service: sus, input: { ...rulesInput, name: 'x', effectiveFrom: tomorrow, issuerThreshold: -1, roles: [{ role: 'pilot', attachments: [] }] } },
      await high(demo.karin),
    );
    expect((badRole.data!.routineCreate as UserErrors).userErrors.map((e) => e.field?.join('.')).sort()).toEqual(['input.issuerThreshold', 'input.roles.pilot']);
    expect(await hub.db.orm.em.fork().count(Routine, {})).toBe(6);
  });

  it('a new routine takes effect from its date without rewriting what was submitted before', async () => {
    const request = async () =>
      hub.upload<Data>(
        await hub.token(demo.maria),
        APPOINTMENT_REQUEST,
        { input: { service: sus, scope: orgs['Socialförvaltningen'], requestForm: null, validFrom: new Date(Date.now() + 3_600_000 * 24 * (1 + Math.random() * 300)).toISOString(), validTo: null } },
        { 'input.requestForm': { bytes: pdf(), filename: '9450.pdf' } },
      );
    const before = await request();
    const oldRoutine = before.data!.ordererAppointmentRequest.ordererAppointment.routine.name;
    const today = new Date(new Date().toISOString().slice(0, 10) + 'T00:00:00Z').toISOString();
    const created = await hub.gql<Data>(
      ROUTINE_CREATE,
      { service: sus, input: { ...rulesInput, name: 'SUS 2026 för kommuner', organisationKind: 'MUNICIPALITY', effectiveFrom: today } },
      await high(demo.karin),
    );
    expect(created.data!.routineCreate.userErrors).toEqual([]);
    expect((await inForce('MUNICIPALITY'))?.name).toBe('SUS 2026 för kommuner');
    expect((await inForce('MUNICIPALITY', '2020-01-01T00:00:00Z'))?.name).toBe(oldRoutine);
    const appointments = await hub.as<Data>(demo.maria, '{ ordererAppointments { nodes { routine { name } } } }');
    expect(appointments.data!.ordererAppointments.nodes).toEqual([{ routine: { name: oldRoutine } }]);
    // Judged by its own routine: the new one would demand HIGH to decide, the old one SUBSTANTIAL.
    const approve = await hub.gql<Data>(
      'mutation($id: ID!) { ordererAppointmentApprove(id: $id) { ordererAppointment { state } userErrors { code } } }',
      { id: before.data!.ordererAppointmentRequest.ordererAppointment.id },
      await hub.token(demo.karin, { acr: 'substantial' }),
    );
    expect(approve.data!.ordererAppointmentApprove.ordererAppointment.state).toBe('APPROVED');
  });
});

describe('nested issuers: the nearest mandate over the employer decides', () => {
  let hub: TestHub;
  let sus: string;
  const ids: Record<string, string> = {};
  const orgs: Record<string, string> = {};
  const mandates: Record<string, string> = {};

  beforeAll(async () => {
    hub = await startTestHub();
    sus = (await loadDemoDirectory(hub, ids, orgs)).SUS;
  });
  afterAll(() => hub.close());

  const responsibleFor = async (person: string) =>
    (await hub.as<Data>(demo.karin, RESPONSIBLE, { id: ids[person], service: sus })).data!.node?.responsibleIssuer?.name ??
    (await hub.as<Data>(person === 'erik' ? demo.erik : demo.anna, RESPONSIBLE, { id: ids[person], service: sus })).data!.node?.responsibleIssuer?.name;

  const grantTo = async (org: string, admin: string) => {
    const res = await hub.upload<Data>(
      await hub.token(demo.karin, { acr: 'high' }),
      MANDATE_GRANT,
      {
        input: {
          service: sus,
          organisation: orgs[org],
          agreementReference: `REF ${org}`,
          agreementSignatory: 'GD',
          agreementDocument: null,
          supportPhone: '+46 771 60 00 00',
          administrators: [ids[admin]],
          thresholdOverrideReason: 'test',
        },
      },
      { 'input.agreementDocument': { bytes: pdf(), filename: 'a.pdf' } },
    );
    expect(res.data!.issuerMandateGrant.userErrors).toEqual([]);
    mandates[org] = res.data!.issuerMandateGrant.issuerMandate.id;
  };

  it('a unit with its own mandate takes its people from the agency above it; ending it hands them back', async () => {
    await grantTo('Arbetsförmedlingen', 'jonas');
    await grantTo('Arbetsförmedlingen Stockholm', 'erik');
    expect(await responsibleFor('erik')).toBe('Arbetsförmedlingen Stockholm');
    // The agency's administrator no longer administers the unit's people, but sees the nested mandate.
    const jonasPeople = await hub.as<Data>(demo.jonas, '{ users { nodes { email } } issuerMandates { totalCount } }');
    expect(jonasPeople.data!.users.nodes).toEqual([{ email: demo.jonas }]);
    expect(jonasPeople.data!.issuerMandates.totalCount).toBe(2);
    await hub.gql<Data>(MANDATE_END, { id: mandates['Arbetsförmedlingen Stockholm'], input: { reason: 'merged' } }, await hub.token(demo.karin, { acr: 'high' }));
    expect(await responsibleFor('erik')).toBe('Arbetsförmedlingen');
    await hub.gql<Data>(MANDATE_END, { id: mandates['Arbetsförmedlingen'], input: { reason: 'ended' } }, await hub.token(demo.karin, { acr: 'high' }));
    expect(await responsibleFor('erik')).toBe('Försäkringskassan');
  });
});
