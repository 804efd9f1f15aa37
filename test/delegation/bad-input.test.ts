import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditEvent } from '../../src/audit/audit-event.entity.js';
import { Document } from '../../src/documents/document.entity.js';
import { IssuerAdministrator, IssuerMandate } from '../../src/issuers/issuer-mandate.entity.js';
import { OrdererAppointment } from '../../src/orderers/orderer-appointment.entity.js';
import { toGlobalId } from '../../src/domain/global-id.js';
import { exe, pdf } from '../support/files.js';
import { demo, startTestHub, type TestHub } from '../support/hub.js';
import { loadDemoDirectory, APPOINTMENT_APPROVE, APPOINTMENT_REJECT, APPOINTMENT_REQUEST, MANDATE_END, MANDATE_GRANT, type AppointmentPayload, type MandatePayload, type UserErrors } from './queries.js';

/** The fields these tests read from the API's answers (each answer holds only what its query asked). */
interface Data {
  ordererAppointmentRequest: AppointmentPayload;
  ordererAppointmentApprove: AppointmentPayload;
  ordererAppointmentReject: AppointmentPayload;
  issuerMandateGrant: MandatePayload;
  issuerMandateEnd: MandatePayload;
  users: { totalCount: number };
}
const MISSING = '01900000-0000-7000-8000-000000000000';

describe('delegation: bad input gets a clear userError and leaves nothing half-written', () => {
  let hub: TestHub;
  let sus: string;
  let vias: string;
  const ids: Record<string, string> = {};
  const orgs: Record<string, string> = {};
  const high = (email: string) => hub.token(email, { acr: 'high' });

  const counts = async () => {
    const em = hub.db.orm.em.fork();
    return {
      mandates: await em.count(IssuerMandate, {}),
      administrators: await em.count(IssuerAdministrator, {}),
      appointments: await em.count(OrdererAppointment, {}),
      documents: await em.count(Document, {}),
      audit: await em.count(AuditEvent, {}),
    };
  };
  const codes = (payload: UserErrors) => payload.userErrors.map((e) => `${e.code}:${(e.field ?? []).join('.')}`).sort();

  const request = (email: string, input: Record<string, unknown>, file: Buffer = pdf(), filename = '9450.pdf') =>
    hub
      .token(email)
      .then((t) => hub.upload<Data>(t, APPOINTMENT_REQUEST, { input: { service: sus, requestForm: null, ...input } }, { 'input.requestForm': { bytes: file, filename } }));

  const grant = async (input: Record<string, unknown>, file: Buffer = pdf()) =>
    hub.upload<Data>(
      await high(demo.karin),
      MANDATE_GRANT,
      {
        input: {
          service: sus,
          organisation: orgs['Arbetsförmedlingen'],
          agreementReference: 'REF-1',
          agreementSignatory: 'Signatory',
          agreementDocument: null,
          supportEmail: 'support@af.se',
          administrators: [ids.jonas],
          thresholdOverrideReason: 'pilot',
          ...input,
        },
      },
      { 'input.agreementDocument': { bytes: file, filename: 'agreement.pdf' } },
    );

  beforeAll(async () => {
    hub = await startTestHub();
    ({ SUS: sus, VIAS: vias } = await loadDemoDirectory(hub, ids, orgs));
  });
  afterAll(() => hub.close());

  it('mandate grant: unknown ids, ids of other types and a wrong date order', async () => {
    const before = await counts();
    const unknownService = await grant({ service: toGlobalId('Service', MISSING) });
    expect(codes(unknownService.data!.issuerMandateGrant)).toEqual(['NOT_FOUND:input.service']);
    const wrongType = await grant({ organisation: ids.anna });
    expect(codes(wrongType.data!.issuerMandateGrant)).toEqual(['NOT_FOUND:input.organisation']);
    const many = await grant({
      agreementReference: ' ',
      validFrom: '2030-01-01T00:00:00Z',
      validTo: '2029-01-01T00:00:00Z',
      administrators: [ids.anna, 'garbage'],
      supportEmail: null,
    });
    expect(codes(many.data!.issuerMandateGrant)).toEqual([
      'DATE_ORDER:input.validTo',
      'NOT_FOUND:input.administrators.0',
      'NOT_FOUND:input.administrators.1',
      'REQUIRED:input.agreementReference',
      'REQUIRED:input.supportEmail',
    ]);
    expect(await counts()).toEqual(before);
  });

  it("mandate grant: the authority's own organisation, another authority's service, a file that is not a document", async () => {
    const before = await counts();
    const own = await grant({ organisation: orgs['Kundcenter Partner'], administrators: [ids.karin] });
    expect(codes(own.data!.issuerMandateGrant)).toContain('NOT_ELIGIBLE:input.organisation');
    const otherService = await grant({ service: vias });
    expect(otherService.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const executable = await grant({}, exe());
    expect(codes(executable.data!.issuerMandateGrant)).toEqual(['FILE_TYPE_NOT_ALLOWED:input.agreementDocument']);
    const empty = await grant({}, Buffer.alloc(0));
    expect(codes(empty.data!.issuerMandateGrant)).toEqual(['FILE_EMPTY:input.agreementDocument']);
    expect(await counts()).toEqual(before);
  });

  it('mandate end: unknown id, id of another type, empty reason', async () => {
    const before = await counts();
    for (const id of [toGlobalId('IssuerMandate', MISSING), ids.anna, 'garbage']) {
      const res = await hub.gql<Data>(MANDATE_END, { id, input: { reason: 'x' } }, await high(demo.karin));
      expect(codes(res.data!.issuerMandateEnd)).toEqual(['NOT_FOUND:id']);
    }
    expect(await counts()).toEqual(before);
  });

  it('an expired mandate gives no rights, and cannot be ended again', async () => {
    const ok = await grant({ validFrom: '2020-01-01T00:00:00Z', validTo: '2021-01-01T00:00:00Z' });
    expect(ok.data!.issuerMandateGrant.userErrors).toEqual([]);
    const id = ok.data!.issuerMandateGrant.issuerMandate.id;
    const people = await hub.as<Data>(demo.jonas, '{ users { totalCount } }');
    expect(people.data!.users.totalCount).toBe(1);
    const ended = await hub.gql<Data>(MANDATE_END, { id, input: { reason: '' } }, await high(demo.karin));
    expect(codes(ended.data!.issuerMandateEnd)).toEqual(['REQUIRED:input.reason']);
  });

  it('appointment request: unknown ids, other types, scope outside your organisation, dates in the wrong order', async () => {
    const before = await counts();
    expect(codes((await request(demo.maria, { service: toGlobalId('Service', MISSING), scope: orgs['Stockholms stad'] })).data!.ordererAppointmentRequest)).toEqual(['NOT_FOUND:input.service']);
    expect(codes((await request(demo.maria, { scope: ids.anna })).data!.ordererAppointmentRequest)).toEqual(['NOT_FOUND:input.scope']);
    expect(codes((await request(demo.maria, { scope: orgs['Göteborgs Stad'] })).data!.ordererAppointmentRequest)).toEqual(['NOT_FOUND:input.scope']);
    expect(
      codes((await request(demo.maria, { scope: orgs['Stockholms stad'], validFrom: '2031-01-01T00:00:00Z', validTo: '2030-01-01T00:00:00Z' })).data!.ordererAppointmentRequest),
    ).toEqual(['DATE_ORDER:input.validTo']);
    expect(codes((await request(demo.maria, { scope: orgs['Stockholms stad'] }, exe(), 'form.pdf')).data!.ordererAppointmentRequest)).toEqual(['FILE_TYPE_NOT_ALLOWED:input.requestForm']);
    expect(await counts()).toEqual(before);
  });

  it('appointment request: a service the organisation is not eligible for', async () => {
    const before = await counts();
    const res = await request(demo.maria, { service: vias, scope: orgs['Stockholms stad'] });
    expect(codes(res.data!.ordererAppointmentRequest)).toEqual(['NOT_ELIGIBLE:input.service']);
    expect(await counts()).toEqual(before);
  });

  it('overlapping appointments: a later request overlapping an earlier one conflicts; a disjoint one is fine', async () => {
    const first = await request(demo.maria, { scope: orgs['Socialförvaltningen'], validFrom: '2030-01-01T00:00:00Z', validTo: '2030-12-31T00:00:00Z' });
    expect(first.data!.ordererAppointmentRequest.userErrors).toEqual([]);
    const before = await counts();
    const overlapping = await request(demo.maria, { scope: orgs['Socialförvaltningen'], validFrom: '2030-06-01T00:00:00Z' });
    expect(codes(overlapping.data!.ordererAppointmentRequest)).toEqual(['CONFLICT:input.validFrom']);
    expect(await counts()).toEqual(before);
    const disjoint = await request(demo.maria, { scope: orgs['Socialförvaltningen'], validFrom: '2031-01-01T00:00:00Z' });
    expect(disjoint.data!.ordererAppointmentRequest.userErrors).toEqual([]);
  });

  it('appointment decisions: step-up, rejection needs a reason, a decided request cannot be decided again', async () => {
    const created = await request(demo.maria, { scope: orgs['Stockholms stad'] });
    const id = created.data!.ordererAppointmentRequest.ordererAppointment.id;
    const low = await hub.gql<Data>(APPOINTMENT_APPROVE, { id }, await hub.token(demo.karin, { acr: 'low' }));
    expect(low.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'STEP_UP_REQUIRED', requiredAssuranceLevel: 'SUBSTANTIAL' });
    const noReason = await hub.gql<Data>(APPOINTMENT_REJECT, { id, input: { reason: '  ' } }, await high(demo.karin));
    expect(codes(noReason.data!.ordererAppointmentReject)).toEqual(['REQUIRED:input.reason']);
    const rejected = await hub.gql<Data>(APPOINTMENT_REJECT, { id, input: { reason: 'Blanketten saknar underskrift' } }, await high(demo.karin));
    expect(rejected.data!.ordererAppointmentReject.ordererAppointment).toMatchObject({ state: 'REJECTED', decisionReason: 'Blanketten saknar underskrift' });
    const before = await counts();
    const again = await hub.gql<Data>(APPOINTMENT_APPROVE, { id }, await high(demo.karin));
    expect(codes(again.data!.ordererAppointmentApprove)).toEqual(['INVALID_STATE:id']);
    for (const other of [toGlobalId('OrdererAppointment', MISSING), ids.maria]) {
      const res = await hub.gql<Data>(APPOINTMENT_APPROVE, { id: other }, await high(demo.karin));
      expect(codes(res.data!.ordererAppointmentApprove)).toEqual(['NOT_FOUND:id']);
    }
    expect(await counts()).toEqual(before);
  });

  it('every successful mutation wrote exactly one audit event with the request id', async () => {
    const em = hub.db.orm.em.fork();
    const events = await em.find(AuditEvent, {}, { orderBy: { occurredAt: 'asc' } });
    expect(events.map((e) => e.action)).toEqual([
      'issuerMandate.grant',
      'ordererAppointment.request',
      'ordererAppointment.request',
      'ordererAppointment.request',
      'ordererAppointment.reject',
    ]);
    expect(events.every((e) => e.requestId && e.actor)).toBe(true);
  });
});
