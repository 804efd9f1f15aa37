import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Document } from '../../src/documents/document.entity.js';
import { IssuerMandate } from '../../src/issuers/issuer-mandate.entity.js';
import { OrdererAppointment } from '../../src/orderers/orderer-appointment.entity.js';
import { hire } from '../orders/fixtures.js';
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
      const erikGrant = await hub.as<Data>(demo.erik, '{ me { grants { nodes { id } } } }');
      const asIssuer = await hub.as<Data>(demo.jonas, 'query($id: ID!) { node(id: $id) { id } }', { id: erikGrant.data!.me.grants.nodes[0].id });
      expect(asIssuer.data!.node).not.toBeNull();
    });

    it('oversight: Försäkringskassan, owning SUS, still reads and counts him and his grant, but no longer changes them', async () => {
      const grantId = (await hub.as<Data>(demo.erik, '{ me { grants { nodes { id } } } }')).data!.me.grants.nodes[0].id;
      expect(await emails(demo.karin)).toContain(demo.erik);
      const read = await hub.as<Data>(demo.karin, 'query($id: ID!) { node(id: $id) { ... on Grant { id user { email } issuedBy { name } } } }', { id: grantId });
      expect(read.data!.node).toEqual({ id: grantId, user: { email: demo.erik }, issuedBy: { name: 'Försäkringskassan' } });
      const listed = await hub.as<Data>(demo.karin, '{ grants { nodes { user { email } service { code } } } }');
      expect(listed.data!.grants.nodes).toContainEqual({ user: { email: demo.erik }, service: { code: 'SUS' } });
      const stats = async (email: string) =>
        (await hub.as<{ reports: { grantStatistics: { total: number } } }>(email, 'query($s: ID) { reports { grantStatistics(service: $s) { total } } }', { s: sus })).data!.reports
          .grantStatistics.total;
      expect(await stats(demo.karin)).toBe(listed.data!.grants.nodes.filter((n) => n.service.code === 'SUS').length);
      // Read-only: Arbetsförmedlingen decides; the authority is refused as one who sees but may not act.
      const revoke = await hub.gql<{ grantRevoke: UserErrors | null }>(
        'mutation($id: ID!) { grantRevoke(id: $id, input: { reason: "tillsyn" }) { userErrors { code field message } } }',
        { id: grantId },
        await high(demo.karin),
      );
      expect(revoke.errors?.[0].extensions?.code).toBe('FORBIDDEN');
      const state = await hub.as<Data>(demo.erik, '{ me { grants { nodes { id state issuedBy { name } } } } }');
      expect(state.data!.me.grants.nodes[0].state).toBe('ACTIVE');
      // Nobody else gains: the VIAS authority and a supplier's employee see neither him nor his grant.
      for (const outsider of [demo.sofie, demo.lars]) {
        const seen = await hub.as<Data>(outsider, 'query($id: ID!) { node(id: $id) { id } }', { id: grantId });
        expect(seen.data!.node).toBeNull();
        expect(await emails(outsider)).not.toContain(demo.erik);
      }
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

    describe('the mandate is maintained: administrators, end date and support contact', () => {
      const UPDATE = `mutation($id: ID!, $input: IssuerMandateUpdateInput!) { issuerMandateUpdate(id: $id, input: $input) {
        issuerMandate { id validTo supportContact { email phone } } userErrors { code field message } } }`;
      const ADD = `mutation($id: ID!, $input: IssuerMandateAdministratorInput!) { issuerMandateAdministratorAdd(id: $id, input: $input) {
        issuerMandate { id administrators { email } } userErrors { code field message } } }`;
      const REMOVE = `mutation($id: ID!, $input: IssuerMandateAdministratorInput!) { issuerMandateAdministratorRemove(id: $id, input: $input) {
        issuerMandate { id administrators { email } } userErrors { code field message } } }`;
      type Maintained = { issuerMandate: { administrators?: { email: string }[]; validTo?: string | null; supportContact?: { email: string | null } } | null } & UserErrors;
      type Answers = { issuerMandateUpdate: Maintained; issuerMandateAdministratorAdd: Maintained; issuerMandateAdministratorRemove: Maintained };
      let successor: string;
      let successorId: string;

      beforeAll(async () => {
        [successor] = await hire(hub, 'Arbetsförmedlingen', 1, 'afadmin');
        successorId = (await hub.as<{ me: { id: string } }>(successor, '{ me { id } }')).data!.me.id;
      });

      it('needs the routine\'s assurance level (as granting: high), and changes nothing without it', async () => {
        const res = await hub.gql<Answers>(ADD, { id: mandateId, input: { person: successorId, reason: 'Ny förvaltare' } }, await hub.token(demo.karin, { acr: 'substantial' }));
        expect(res.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'STEP_UP_REQUIRED', requiredAssuranceLevel: 'HIGH' });
        expect(await emails(successor)).toEqual([successor]);
      });

      it('the holder\'s administrator may not maintain it; an outsider is answered as for an unknown id', async () => {
        const own = await hub.gql<Answers>(ADD, { id: mandateId, input: { person: successorId, reason: 'x' } }, await high(demo.jonas));
        expect(own.errors?.[0].extensions?.code).toBe('FORBIDDEN');
        const unknownId = Buffer.from(`IssuerMandate:${'0'.repeat(8)}-0000-7000-8000-${'0'.repeat(12)}`).toString('base64url');
        for (const [query, field] of [[ADD, 'issuerMandateAdministratorAdd'], [REMOVE, 'issuerMandateAdministratorRemove'], [UPDATE, 'issuerMandateUpdate']] as const) {
          const input = query === UPDATE ? { supportEmail: 'x@example.org', reason: 'x' } : { person: ids.jonas, reason: 'x' };
          const outsider = await hub.gql<Answers>(query, { id: mandateId, input }, await high(demo.sofie));
          const unknown = await hub.gql<Answers>(query, { id: unknownId, input }, await high(demo.sofie));
          expect(outsider.data![field]).toEqual({ issuerMandate: null, userErrors: [{ code: 'NOT_FOUND', field: ['id'], message: 'No issuer mandate with this id.' }] });
          expect(outsider.data![field]).toEqual(unknown.data![field]);
        }
      });

      it('the authority adds a successor employed by Arbetsförmedlingen, and only such a person', async () => {
        const res = await hub.gql<Answers>(ADD, { id: mandateId, input: { person: successorId, reason: 'Ny förvaltare' } }, await high(demo.karin));
        expect(res.data!.issuerMandateAdministratorAdd).toEqual({ issuerMandate: { id: mandateId, administrators: [{ email: demo.jonas }, { email: successor }] }, userErrors: [] });
        expect(await emails(successor)).toContain(demo.erik);
        const again = await hub.gql<Answers>(ADD, { id: mandateId, input: { person: successorId, reason: 'igen' } }, await high(demo.karin));
        expect(again.data!.issuerMandateAdministratorAdd.userErrors.map((e) => [e.code, e.field])).toEqual([['CONFLICT', ['input', 'person']]]);
        const stranger = await hub.gql<Answers>(ADD, { id: mandateId, input: { person: ids.anna, reason: 'fel person' } }, await high(demo.karin));
        expect(stranger.data!.issuerMandateAdministratorAdd.userErrors.map((e) => [e.code, e.field])).toEqual([['NOT_FOUND', ['input', 'person']]]);
      });

      it('removes the former administrator, who loses the rights at once; the last one stays', async () => {
        const res = await hub.gql<Answers>(REMOVE, { id: mandateId, input: { person: ids.jonas, reason: 'Byter tjänst' } }, await high(demo.karin));
        expect(res.data!.issuerMandateAdministratorRemove).toEqual({ issuerMandate: { id: mandateId, administrators: [{ email: successor }] }, userErrors: [] });
        expect(await emails(demo.jonas)).toEqual([demo.jonas]);
        const last = await hub.gql<Answers>(REMOVE, { id: mandateId, input: { person: successorId, reason: 'x' } }, await high(demo.karin));
        expect(last.data!.issuerMandateAdministratorRemove.userErrors.map((e) => e.code)).toEqual(['INVALID_STATE']);
        const notOne = await hub.gql<Answers>(REMOVE, { id: mandateId, input: { person: ids.jonas, reason: 'x' } }, await high(demo.karin));
        expect(notOne.data!.issuerMandateAdministratorRemove.userErrors.map((e) => [e.code, e.field])).toEqual([['NOT_FOUND', ['input', 'person']]]);
      });

      it('changes the end date (only to a future one) and the support contact (never to none)', async () => {
        const validTo = new Date(Date.now() + 365 * 86_400_000).toISOString();
        const res = await hub.gql<Answers>(UPDATE, { id: mandateId, input: { validTo, supportEmail: 'sus-stod@arbetsformedlingen.se', reason: 'Förlängd överenskommelse' } }, await high(demo.karin));
        expect(res.data!.issuerMandateUpdate).toEqual({ issuerMandate: { id: mandateId, validTo, supportContact: { email: 'sus-stod@arbetsformedlingen.se', phone: null } }, userErrors: [] });
        const support = await hub.as<Data>(demo.erik, 'query($s: ID!) { me { supportContact(service: $s) { email } } }', { s: sus });
        expect(support.data!.me.supportContact).toEqual({ email: 'sus-stod@arbetsformedlingen.se' });
        const past = await hub.gql<Answers>(UPDATE, { id: mandateId, input: { validTo: new Date(Date.now() - 86_400_000).toISOString(), reason: 'x' } }, await high(demo.karin));
        expect(past.data!.issuerMandateUpdate.userErrors.map((e) => e.code)).toContain('DATE_ORDER');
        const none = await hub.gql<Answers>(UPDATE, { id: mandateId, input: { supportEmail: null, reason: 'x' } }, await high(demo.karin));
        expect(none.data!.issuerMandateUpdate.userErrors.map((e) => [e.code, e.field])).toEqual([['REQUIRED', ['input', 'supportEmail']]]);
        const noReason = await hub.gql<Answers>(UPDATE, { id: mandateId, input: { supportPhone: '+46101234567', reason: ' ' } }, await high(demo.karin));
        expect(noReason.data!.issuerMandateUpdate.userErrors.map((e) => e.code)).toEqual(['REQUIRED']);
        const kept = await hub.as<{ node: { validTo: string; supportContact: { email: string; phone: string | null } } }>(
          demo.karin,
          'query($id: ID!) { node(id: $id) { ... on IssuerMandate { validTo supportContact { email phone } } } }',
          { id: mandateId },
        );
        expect(kept.data!.node).toEqual({ validTo, supportContact: { email: 'sus-stod@arbetsformedlingen.se', phone: null } });
      });
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
          { action: 'issuerMandate.administratorAdd', reason: 'Ny förvaltare', actor: { email: demo.karin } },
          { action: 'issuerMandate.administratorRemove', reason: 'Byter tjänst', actor: { email: demo.karin } },
          { action: 'issuerMandate.update', reason: 'Förlängd överenskommelse', actor: { email: demo.karin } },
          { action: 'issuerMandate.end', reason: 'Överenskommelsen sagd upp', actor: { email: demo.karin } },
        ]);
      });
    });
  });
});
