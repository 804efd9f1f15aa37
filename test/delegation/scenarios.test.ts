import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Document } from '../../src/documents/document.entity.js';
import { IssuerMandate } from '../../src/issuers/issuer-mandate.entity.js';
import { OrdererAppointment } from '../../src/orderers/orderer-appointment.entity.js';
import { pdf } from '../support/files.js';
import { demo, startTestHub, type TestHub } from '../support/hub.js';
import {
  APPOINTMENT_APPROVE,
  loadDemoDirectory,
  APPOINTMENT_REQUEST,
  APPOINTMENT_REVOKE,
  MANDATE_END,
  MANDATE_GRANT,
  RESPONSIBLE,
  USERS,
  type AppointmentPayload,
  type MandatePayload,
  type UserErrors,
} from './queries.js';

/** The fields these tests read from the API's answers (each answer holds only what its query asked). */
interface Data {
  users: { nodes: { email: string }[] };
  node: { id: string; responsibleIssuer: { name: string } | null } | null;
  ordererAppointmentRequest: AppointmentPayload;
  ordererAppointmentApprove: AppointmentPayload;
  ordererAppointmentRevoke: AppointmentPayload;
  grants: { totalCount: number; nodes: { user: { email: string }; service: { code: string } }[] };
  issuerMandateGrant: MandatePayload;
  issuerMandateEnd: MandatePayload;
  issuerMandates: { totalCount: number; nodes: { id: string }[] };
  me: { supportContact: { email: string } | null; grants: { nodes: { id: string; state: string; issuedBy: { name: string } }[] } };
  auditEvents: { nodes: { action: string; reason: string | null; actor: { email: string } }[] };
}

describe('delegation scenarios from the seed documents', () => {
  let hub: TestHub;
  let sus: string;
  const ids: Record<string, string> = {};
  const orgs: Record<string, string> = {};
  const high = (email: string) => hub.token(email, { acr: 'high' });

  const emails = async (email: string) =>
    ((await hub.as<Data>(email, USERS)).data!.users.nodes as { email: string }[]).map((u) => u.email).sort();
  const responsible = async (viewer: string, person: string) =>
    (await hub.as<Data>(viewer, RESPONSIBLE, { id: ids[person], service: sus })).data!.node?.responsibleIssuer?.name ?? null;
  const counts = async () => {
    const em = hub.db.orm.em.fork();
    return { mandates: await em.count(IssuerMandate, {}), appointments: await em.count(OrdererAppointment, {}), documents: await em.count(Document, {}) };
  };

  beforeAll(async () => {
    hub = await startTestHub();
    sus = (await loadDemoDirectory(hub, ids, orgs)).SUS;
  });
  afterAll(() => hub.close());

  describe('1. a municipal manager becomes orderer (authority decides)', () => {
    let appointmentId: string;

    it('the manager requests it with the signed form 9450', async () => {
      const res = await hub.upload<Data>(
        await hub.token(demo.maria),
        APPOINTMENT_REQUEST,
        { input: { service: sus, scope: orgs['Stockholms stad'], requestForm: null } },
        { 'input.requestForm': { bytes: pdf('Blankett 9450'), filename: '9450.pdf', type: 'application/pdf' } },
      );
      expect(res.errors).toBeUndefined();
      const payload = res.data!.ordererAppointmentRequest;
      expect(payload.userErrors).toEqual([]);
      expect(payload.ordererAppointment).toMatchObject({
        state: 'REQUESTED',
        scope: { name: 'Stockholms stad' },
        routine: { name: 'SUS nya rutiner för kommun, landsting och samordningsförbund' },
        requestForm: { contentType: 'application/pdf', size: pdf('Blankett 9450').length },
      });
      appointmentId = payload.ordererAppointment.id;
    });

    it('only the responsible issuer may decide: the manager herself is refused, an outsider sees nothing', async () => {
      const own = await hub.gql<Data>(APPOINTMENT_APPROVE, { id: appointmentId }, await high(demo.maria));
      expect(own.errors?.[0].extensions?.code).toBe('FORBIDDEN');
      const outsider = await hub.gql<Data>(APPOINTMENT_APPROVE, { id: appointmentId }, await high(demo.sofie));
      expect(outsider.data!.ordererAppointmentApprove).toEqual({ ordererAppointment: null, userErrors: [{ code: 'NOT_FOUND', field: ['id'], message: 'No orderer appointment with this id.' }] });
      const seen = await hub.as<Data>(demo.sofie, 'query($id: ID!) { node(id: $id) { id } }', { id: appointmentId });
      expect(seen.data!.node).toBeNull();
    });

    it('Försäkringskassan, responsible for the municipality, approves', async () => {
      expect(await responsible(demo.karin, 'maria')).toBe('Försäkringskassan');
      const res = await hub.gql<Data>(APPOINTMENT_APPROVE, { id: appointmentId, input: { reason: 'Blankett 9450 i ordning' } }, await high(demo.karin));
      expect(res.data!.ordererAppointmentApprove).toEqual({
        ordererAppointment: { id: appointmentId, state: 'APPROVED', decidedBy: { email: demo.karin } },
        userErrors: [],
      });
    });

    it('the orderer now sees the people of the municipality, and no one else', async () => {
      expect(await emails(demo.maria)).toEqual([demo.anna, demo.maria].sort());
      const grants = await hub.as<Data>(demo.maria, '{ grants { totalCount nodes { user { email } service { code } } } }');
      expect(grants.data!.grants).toEqual({ totalCount: 1, nodes: [{ user: { email: demo.anna }, service: { code: 'SUS' } }] });
    });

    it('a second request for the same scope and period conflicts, and nothing is stored', async () => {
      const before = await counts();
      const res = await hub.upload<Data>(
        await hub.token(demo.maria),
        APPOINTMENT_REQUEST,
        { input: { service: sus, scope: orgs['Stockholms stad'], requestForm: null } },
        { 'input.requestForm': { bytes: pdf(), filename: '9450.pdf' } },
      );
      expect((res.data!.ordererAppointmentRequest as UserErrors).userErrors.map((e) => e.code)).toEqual(['CONFLICT']);
      expect(await counts()).toEqual(before);
    });

    it('revoking ends the scope at once', async () => {
      const res = await hub.gql<Data>(APPOINTMENT_REVOKE, { id: appointmentId, input: { reason: 'Chefen har slutat' } }, await high(demo.karin));
      expect(res.data!.ordererAppointmentRevoke.ordererAppointment).toMatchObject({ state: 'REVOKED', revokeReason: 'Chefen har slutat' });
      expect(await emails(demo.maria)).toEqual([demo.maria]);
    });
  });

  describe('2. Arbetsförmedlingen becomes issuer and owns its employee at the coordination association', () => {
    let mandateId: string;
    const grantInput = () => ({
      service: sus,
      organisation: orgs['Arbetsförmedlingen'],
      agreementReference: 'FK-AF-2024-17',
      agreementSignatory: 'Generaldirektör Arbetsförmedlingen',
      agreementDocument: null,
      supportEmail: 'sus-support@arbetsformedlingen.se',
      administrators: [ids.jonas],
    });
    const agreement = { 'input.agreementDocument': { bytes: pdf('Överenskommelse'), filename: 'overenskommelse.pdf' } };

    it('before: the authority is responsible for the employee placed at the coordination association', async () => {
      expect(await responsible(demo.karin, 'erik')).toBe('Försäkringskassan');
      expect(await emails(demo.jonas)).toEqual([demo.jonas]);
    });

    it('granting needs a high-assurance sign-in (step-up), and nothing is stored without it', async () => {
      const before = await counts();
      const res = await hub.upload<Data>(await hub.token(demo.karin, { acr: 'substantial' }), MANDATE_GRANT, { input: { ...grantInput(), thresholdOverrideReason: 'x' } }, agreement);
      expect(res.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'STEP_UP_REQUIRED', requiredAssuranceLevel: 'HIGH' });
      expect(await counts()).toEqual(before);
    });

    it('below the routine threshold of 50 users it is refused unless the authority states a reason', async () => {
      const before = await counts();
      const refused = await hub.upload<Data>(await high(demo.karin), MANDATE_GRANT, { input: grantInput() }, agreement);
      const errors = (refused.data!.issuerMandateGrant as UserErrors).userErrors;
      expect(errors.map((e) => e.code)).toEqual(['THRESHOLD_NOT_MET']);
      expect(errors[0].message).toMatch(/1 users.*50/);
      expect(await counts()).toEqual(before);
    });

    it('is granted with a kept override reason, the agreement document and an administrator', async () => {
      const res = await hub.upload<Data>(
        await high(demo.karin),
        MANDATE_GRANT,
        { input: { ...grantInput(), thresholdOverrideReason: 'Överenskommelse om alla SUS-behörigheter för AF:s anställda' } },
        agreement,
      );
      const payload = res.data!.issuerMandateGrant;
      expect(payload.userErrors).toEqual([]);
      expect(payload.issuerMandate).toMatchObject({
        state: 'ACTIVE',
        thresholdOverrideReason: 'Överenskommelse om alla SUS-behörigheter för AF:s anställda',
        organisation: { name: 'Arbetsförmedlingen' },
        administrators: [{ email: demo.jonas }],
        supportContact: { email: 'sus-support@arbetsformedlingen.se' },
        agreementDocument: { filename: 'overenskommelse.pdf', contentType: 'application/pdf' },
      });
      mandateId = payload.issuerMandate.id;
    });

    it('responsibility follows the employer: Arbetsförmedlingen, not the coordination association', async () => {
      expect(await responsible(demo.jonas, 'erik')).toBe('Arbetsförmedlingen');
      // Its support is now his support (flow 6).
      const support = await hub.as<Data>(demo.erik, 'query($s: ID!) { me { supportContact(service: $s) { email } } }', { s: sus });
      expect(support.data!.me.supportContact).toEqual({ email: 'sus-support@arbetsformedlingen.se' });
      expect(await emails(demo.jonas)).toEqual([demo.erik, demo.jonas].sort());
      // Orders no longer go to the authority: Försäkringskassan no longer administers him.
      expect(await emails(demo.karin)).not.toContain(demo.erik);
      const erikGrant = await hub.as<Data>(demo.erik, '{ me { grants { nodes { id } } } }');
      const asIssuer = await hub.as<Data>(demo.jonas, 'query($id: ID!) { node(id: $id) { id } }', { id: erikGrant.data!.me.grants.nodes[0].id });
      expect(asIssuer.data!.node).not.toBeNull();
      const asAuthority = await hub.as<Data>(demo.karin, 'query($id: ID!) { node(id: $id) { id } }', { id: erikGrant.data!.me.grants.nodes[0].id });
      expect(asAuthority.data!.node).toBeNull();
    });

    it("the issuer's administrator sees its mandate but may not end it", async () => {
      const seen = await hub.as<Data>(demo.jonas, '{ issuerMandates { totalCount nodes { id } } }');
      expect(seen.data!.issuerMandates).toEqual({ totalCount: 1, nodes: [{ id: mandateId }] });
      const end = await hub.gql<Data>(MANDATE_END, { id: mandateId, input: { reason: 'x' } }, await high(demo.jonas));
      expect(end.errors?.[0].extensions?.code).toBe('FORBIDDEN');
      const outsider = await hub.as<Data>(demo.sofie, '{ issuerMandates { totalCount } }');
      expect(outsider.data!.issuerMandates.totalCount).toBe(0);
    });

    it('a second mandate overlapping the first conflicts', async () => {
      const before = await counts();
      const res = await hub.upload<Data>(await high(demo.karin), MANDATE_GRANT, { input: { ...grantInput(), thresholdOverrideReason: 'again' } }, agreement);
      expect((res.data!.issuerMandateGrant as UserErrors).userErrors.map((e) => e.code)).toEqual(['CONFLICT']);
      expect(await counts()).toEqual(before);
    });

    describe('3. the mandate ends and responsibility moves up', () => {
      it('the authority ends it with a reason; every grant stays', async () => {
        const grantsBefore = await hub.as<Data>(demo.erik, '{ me { grants { nodes { id state issuedBy { name } } } } }');
        const res = await hub.gql<Data>(MANDATE_END, { id: mandateId, input: { reason: 'Överenskommelsen sagd upp' } }, await high(demo.karin));
        expect(res.data!.issuerMandateEnd.issuerMandate).toMatchObject({ state: 'ENDED', endReason: 'Överenskommelsen sagd upp' });
        const grantsAfter = await hub.as<Data>(demo.erik, '{ me { grants { nodes { id state issuedBy { name } } } } }');
        expect(grantsAfter.data).toEqual(grantsBefore.data);
      });

      it('the authority is responsible again and the former administrator sees only himself', async () => {
        expect(await responsible(demo.karin, 'erik')).toBe('Försäkringskassan');
        expect(await emails(demo.karin)).toContain(demo.erik);
        expect(await emails(demo.jonas)).toEqual([demo.jonas]);
      });

      it('ending it again is an invalid state; the trail shows grant and end with reasons', async () => {
        const again = await hub.gql<Data>(MANDATE_END, { id: mandateId, input: { reason: 'again' } }, await high(demo.karin));
        expect((again.data!.issuerMandateEnd as UserErrors).userErrors.map((e) => e.code)).toEqual(['INVALID_STATE']);
        const trail = await hub.as<Data>(demo.karin, 'query($t: ID) { auditEvents(target: $t) { nodes { action reason actor { email } } } }', { t: mandateId });
        expect(trail.data!.auditEvents.nodes).toEqual([
          { action: 'issuerMandate.grant', reason: 'Överenskommelse om alla SUS-behörigheter för AF:s anställda', actor: { email: demo.karin } },
          { action: 'issuerMandate.end', reason: 'Överenskommelsen sagd upp', actor: { email: demo.karin } },
        ]);
      });
    });
  });
});
