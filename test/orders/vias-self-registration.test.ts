import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditEvent } from '../../src/audit/audit-event.entity.js';
import { Document } from '../../src/documents/document.entity.js';
import { FederatedIdentity } from '../../src/identities/federated-identity.entity.js';
import { OutboxMessage } from '../../src/notifications/outbox-message.entity.js';
import { Order } from '../../src/orders/order.entity.js';
import { User } from '../../src/users/user.entity.js';
import { toGlobalId } from '../../src/domain/global-id.js';
import { exe, pdf, png } from '../support/files.js';
import { demo, startTestHub, type TestHub } from '../support/hub.js';
import { bodyOf, smtpServer, subjectOf } from '../support/smtp.js';
import { CATALOGUE, ids, ORDER_APPROVE, ORDER_REJECT, ORDER_SEND_BACK, SELF_REGISTER, type Catalogue, type OrderPayload } from './queries.js';

/** The fields these tests read from the API's answers (each answer holds only what its query asked). */
interface Data {
  selfRegistrationOrganisations: { id: string; name: string }[];
  selfRegistrationSubmit: OrderPayload;
  orders: { nodes: { id: string; person: { email: string }; attachments: { kind: string; sha256: string }[] }[] };
  orderApprove: OrderPayload;
  orderReject: OrderPayload;
  profileComplete: { user: { profileComplete: boolean; grants: { nodes: { usable: boolean }[] } }; userErrors: { code: string }[] };
}
const NORD = '31122333';
const rawOrderId = (globalId: string) => Buffer.from(globalId, 'base64url').toString('utf8').split(':')[1];
const KLINIK = '35544666';

describe('VIAS self-registration end to end', () => {
  let hub: TestHub;
  let c: ReturnType<typeof ids>;
  let nord: string;

  const token = (sub: string, registration = NORD) => hub.token(sub, { sub, registration_number: registration, acr: 'substantial' });
  const counts = async () => {
    const em = hub.db.orm.em.fork();
    return { users: await em.count(User, {}), identities: await em.count(FederatedIdentity, {}), orders: await em.count(Order, {}), documents: await em.count(Document, {}) };
  };
  const cvs = (n: number) =>
    Object.fromEntries(Array.from({ length: n }, (_, i) => [`input.attachments.${i}.file`, { bytes: pdf(`CV ${i}`), filename: `cv-${i}.pdf` }]));
  const specialistInput = (sub: string, organisation: string, areas: string[]) => ({
    input: {
      organisation,
      service: c.vias,
      role: c.specialist,
      subAreas: areas,
      givenName: 'Freja',
      familyName: 'Holm',
      email: `${sub}`,
      phone: '+45 20 30 40 50',
      attachments: areas.map((a) => ({ kind: 'CV', subArea: a, file: null })),
    },
  });

  let smtp: Awaited<ReturnType<typeof smtpServer>>;

  beforeAll(async () => {
    smtp = await smtpServer();
    hub = await startTestHub({ SMTP_URL: smtp.url, OUTBOX_POLL_MS: '50', MAIL_FROM: 'VISO <no-reply@sbst.example>' });
    c = ids((await hub.gql<Catalogue>(CATALOGUE)).data!);
    const options = await hub.gql<Data>('{ selfRegistrationOrganisations { id name } }', {}, await token('freja@nord.dk'));
    expect(options.data!.selfRegistrationOrganisations.map((o: { name: string }) => o.name)).toEqual(['Specialcenter Nord ApS']);
    nord = options.data!.selfRegistrationOrganisations[0].id;
  });
  afterAll(async () => {
    await hub.close();
    await smtp.close();
  });

  /** Waits for the outbox worker to deliver to the in-process SMTP server. */
  const arrived = async (to: string) => {
    for (let i = 0; i < 100; i++) {
      const mail = smtp.received.find((m) => m.to.includes(to));
      if (mail) return mail.data;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no mail to ${to}`);
  };

  it('a specialist registers with a CV per sub-area; a user is created and the order waits for VISO', async () => {
    const t = await token('freja@nord.dk');
    const res = await hub.upload<Data>(t, SELF_REGISTER, specialistInput('freja@nord.dk', nord, [c.adults, c.children]), cvs(2));
    expect(res.errors).toBeUndefined();
    expect(res.data!.selfRegistrationSubmit.userErrors).toEqual([]);
    expect(res.data!.selfRegistrationSubmit.order).toMatchObject({
      kind: 'SELF_REGISTRATION',
      state: 'SUBMITTED',
      decider: { name: 'VISO (Social- og Boligstyrelsen)' },
      subAreas: [{ code: 'adults' }, { code: 'children-youth' }],
    });
    const me = await hub.gql<Data>('{ me { email profileComplete employer { name } } session { registered } }', {}, t);
    expect(me.data).toEqual({ me: { email: 'freja@nord.dk', profileComplete: false, employer: { name: 'Specialcenter Nord ApS' } }, session: { registered: true } });
  });

  it('an organisation the e-ID does not name answers exactly like one that does not exist, and nothing is stored', async () => {
    const before = await counts();
    const klinik = await hub.gql<Data>('{ selfRegistrationOrganisations { id } }', {}, await token('mallory@klinik.dk', KLINIK));
    // One CV for two sub-areas: a registration that reaches the rules fails there, and stores nothing.
    const attempt = async (organisation: string, registration?: string) => {
      const t = registration === undefined ? await hub.token('mallory@klinik.dk', { sub: 'mallory@klinik.dk', acr: 'substantial' }) : await token('mallory@klinik.dk', registration);
      const input = { ...specialistInput('mallory@klinik.dk', organisation, [c.adults]).input, subAreas: [c.adults, c.children] };
      const res = await hub.upload<Data>(t, SELF_REGISTER, { input }, cvs(1));
      return { status: res.status, errors: res.errors, data: res.data };
    };
    const missing = await attempt(toGlobalId('Organisation', '01900000-0000-7000-8000-000000000000'), KLINIK);
    expect(missing.data!.selfRegistrationSubmit.userErrors).toEqual([
      { code: 'NOT_FOUND', field: ['input', 'organisation'], message: expect.any(String) as unknown },
    ]);
    // Another supplier's organisation, with the e-ID of a real supplier, of an unknown one, and with no number at all.
    expect(await attempt(nord, KLINIK)).toEqual(missing);
    expect(await attempt(nord, '99999999')).toEqual(missing);
    expect(await attempt(nord, undefined)).toEqual(missing);
    expect(await attempt('garbage', KLINIK)).toEqual(missing);
    // The e-ID's own organisation is found, and the registration fails on the missing CV instead.
    const own = await attempt(klinik.data!.selfRegistrationOrganisations[0].id, KLINIK);
    expect(own.data!.selfRegistrationSubmit.userErrors.map((e: { code: string }) => e.code)).toEqual(['REQUIRED']);
    expect(await counts()).toEqual(before);
  });

  it('a missing CV for a chosen sub-area, a wrong file type, or an empty file: clear errors, nothing stored', async () => {
    const before = await counts();
    const missing = await hub.upload<Data>(await token('anders@nord.dk'), SELF_REGISTER, { input: { ...specialistInput('anders@nord.dk', nord, [c.adults, c.children]).input, attachments: [{ kind: 'CV', subArea: c.adults, file: null }] } }, cvs(1));
    expect(missing.data!.selfRegistrationSubmit.userErrors.map((e: { code: string }) => e.code)).toEqual(['REQUIRED']);
    const wrongType = await hub.upload<Data>(await token('anders@nord.dk'), SELF_REGISTER, specialistInput('anders@nord.dk', nord, [c.adults]), {
      'input.attachments.0.file': { bytes: exe(), filename: 'cv.pdf', type: 'application/pdf' },
    });
    expect(wrongType.data!.selfRegistrationSubmit.userErrors.map((e: { code: string }) => e.code)).toContain('FILE_TYPE_NOT_ALLOWED');
    const empty = await hub.upload<Data>(await token('anders@nord.dk'), SELF_REGISTER, specialistInput('anders@nord.dk', nord, [c.adults]), {
      'input.attachments.0.file': { bytes: Buffer.alloc(0), filename: 'cv.pdf' },
    });
    expect(empty.data!.selfRegistrationSubmit.userErrors.map((e: { code: string }) => e.code)).toContain('FILE_EMPTY');
    expect(await counts()).toEqual(before);
  });

  it('VISO approves: the grant exists, the person is told by e-mail, and it is usable once the profile is complete', async () => {
    const inbox = await hub.as<Data>(demo.sofie, '{ orders(toDecide: true) { nodes { id person { email } attachments { kind sha256 } } } }');
    const order = (inbox.data!.orders.nodes as { id: string; person: { email: string }; attachments: { kind: string }[] }[]).find((o) => o.person.email === 'freja@nord.dk')!;
    expect(order.attachments.map((a) => a.kind)).toEqual(['CV', 'CV']);
    const approved = await hub.gql<Data>(ORDER_APPROVE, { id: order.id }, await hub.token(demo.sofie, { acr: 'high' }));
    expect(approved.data!.orderApprove.order).toMatchObject({ state: 'APPROVED', grant: { state: 'ACTIVE', usable: false } });
    const mail = await arrived('freja@nord.dk');
    expect(subjectOf(mail)).toBe('Access approved: VIAS – Specialist');
    expect(bodyOf(mail)).toMatch(/basic-information form/);

    const t = await token('freja@nord.dk');
    const done = await hub.gql<Data>(
      'mutation($input: ProfileCompleteInput!) { profileComplete(input: $input) { user { profileComplete grants { nodes { usable } } } userErrors { code } } }',
      { input: { givenName: 'Freja', familyName: 'Holm', email: 'freja@nord.dk', phone: '+45 20 30 40 50' } },
      t,
    );
    expect(done.data!.profileComplete).toEqual({ user: { profileComplete: true, grants: { nodes: [{ usable: true }] } }, userErrors: [] });
  });

  it('each attachment says which sub-area its CV supports, for VISO and the registrant, and for nobody else', async () => {
    const QUERY = '{ orders { nodes { person { email } supportingDocuments { subArea { code } document { kind } } } } }';
    type Seen = { orders: { nodes: { person: { email: string }; supportingDocuments: { subArea: { code: string } | null; document: { kind: string } }[] }[] } };
    const docs = (res: { data?: Seen }) => res.data!.orders.nodes.find((o) => o.person.email === 'freja@nord.dk')?.supportingDocuments;
    const expected = [
      { subArea: { code: 'adults' }, document: { kind: 'CV' } },
      { subArea: { code: 'children-youth' }, document: { kind: 'CV' } },
    ];
    const sort = (d: { subArea: { code: string } | null }[] | undefined) => d && [...d].sort((a, b) => (a.subArea?.code ?? '').localeCompare(b.subArea?.code ?? ''));
    expect(sort(docs(await hub.as<Seen>(demo.sofie, QUERY)))).toEqual(expected);
    expect(sort(docs(await hub.gql<Seen>(QUERY, {}, await token('freja@nord.dk'))))).toEqual(expected);
    // Another supplier's administrator and a municipal orderer do not see the order at all.
    expect(docs(await hub.as<Seen>(demo.lars, QUERY))).toBeUndefined();
    expect(docs(await hub.as<Seen>(demo.maria, QUERY))).toBeUndefined();
  });

  it('registering again for a role and scope the person holds answers CONFLICT naming the grant; nothing is stored', async () => {
    const held = await hub.gql<{ me: { grants: { nodes: { id: string }[] } } }>('{ me { grants { nodes { id } } } }', {}, await token('freja@nord.dk'));
    const grantId = held.data!.me.grants.nodes[0].id;
    const before = await counts();
    const res = await hub.upload<Data>(await token('freja@nord.dk'), SELF_REGISTER, specialistInput('freja@nord.dk', nord, [c.adults]), cvs(1));
    const errors = res.data!.selfRegistrationSubmit.userErrors;
    expect(errors.map((e) => e.code)).toEqual(['CONFLICT']);
    expect(errors[0].message).toContain(grantId);
    expect(await counts()).toEqual(before);
  });

  it('the registrant is the actor of the audit events of their registration', async () => {
    const em = hub.db.orm.em.fork();
    const freja = await em.findOneOrFail(User, { email: 'freja@nord.dk' });
    const events = await em.find(AuditEvent, { action: { $in: ['order.submit', 'user.selfRegister'] } }, { populate: ['actor'] });
    const hers = events.filter((e) => e.actor?.id === freja.id).map((e) => e.action).sort();
    expect(hers).toEqual(expect.arrayContaining(['order.submit', 'user.selfRegister']));
    expect(events.filter((e) => !e.actor)).toEqual([]);
  });

  it('a rejection is told by e-mail with its reason', async () => {
    const t = await token('bo@nord.dk');
    const res = await hub.upload<Data>(t, SELF_REGISTER, specialistInput('bo@nord.dk', nord, [c.adults]), cvs(1));
    const id = res.data!.selfRegistrationSubmit.order.id;
    await hub.gql<Data>(ORDER_REJECT, { id, input: { reason: 'CV mangler uddannelse' } }, await hub.token(demo.sofie, { acr: 'high' }));
    const mail = await arrived('bo@nord.dk');
    expect(subjectOf(mail)).toBe('Access not approved: VIAS – Specialist');
    expect(bodyOf(mail)).toContain('CV mangler uddannelse');
    // Sent exactly once, and marked so.
    await new Promise((r) => setTimeout(r, 200));
    expect(smtp.received.filter((m) => m.to.includes('bo@nord.dk'))).toHaveLength(1);
    const [row] = await hub.db.orm.em.fork().find(OutboxMessage, { recipient: 'bo@nord.dk' });
    expect(row.state).toBe('sent');
  });

  it('a registration sent back is fixed by the registrant: another sub-area with its CV', async () => {
    const t = await token('ea@nord.dk');
    const placed = await hub.upload<Data>(t, SELF_REGISTER, specialistInput('ea@nord.dk', nord, [c.adults]), cvs(1));
    const id = placed.data!.selfRegistrationSubmit.order.id;
    await hub.gql(ORDER_SEND_BACK, { id, input: { reason: 'Søg også børne- og ungeområdet' } }, await hub.token(demo.sofie, { acr: 'high' }));
    const RESUBMIT = `mutation($id: ID!, $input: OrderResubmitInput!) { orderResubmit(id: $id, input: $input) {
      order { state subAreas { code } supportingDocuments { subArea { code } replacedAt } } userErrors { code field } } }`;
    type Fixed = { orderResubmit: { order: { state: string; subAreas: { code: string }[]; supportingDocuments: { subArea: { code: string } | null; replacedAt: string | null }[] } | null; userErrors: { code: string; field: string[] }[] } };
    // A new sub-area without its CV is refused.
    const without = await hub.gql<Fixed>(RESUBMIT, { id, input: { subAreas: [c.adults, c.children] } }, t);
    expect(without.data!.orderResubmit.userErrors.map((e) => e.code)).toEqual(['REQUIRED']);
    const fixed = await hub.upload<Fixed>(t, RESUBMIT, { id, input: { subAreas: [c.adults, c.children], attachments: [{ kind: 'CV', subArea: c.children, file: null }] } }, cvs(1));
    expect(fixed.data!.orderResubmit.userErrors).toEqual([]);
    const order = fixed.data!.orderResubmit.order!;
    expect(order.state).toBe('SUBMITTED');
    expect(order.subAreas.map((s) => s.code).sort()).toEqual(['adults', 'children-youth']);
    expect(order.supportingDocuments.map((d) => [d.subArea?.code, d.replacedAt]).sort()).toEqual([
      ['adults', null],
      ['children-youth', null],
    ]);
  });

  it('VISO approves one sub-area and rejects the other with a reason: the grant covers the approved one', async () => {
    const inbox = await hub.as<{ orders: { nodes: { id: string; person: { email: string }; state: string }[] } }>(demo.sofie, '{ orders(toDecide: true) { nodes { id state person { email } } } }');
    const id = inbox.data!.orders.nodes.find((o) => o.person.email === 'ea@nord.dk' && o.state === 'SUBMITTED')!.id;
    const APPROVE = `mutation($id: ID!, $input: OrderDecisionInput) { orderApprove(id: $id, input: $input) {
      order { state subAreas { code } grant { subAreas { code } } } userErrors { code field } } }`;
    type Approved = { orderApprove: { order: { state: string; subAreas: { code: string }[]; grant: { subAreas: { code: string }[] } } | null; userErrors: { code: string; field: string[] }[] } };
    const viso = await hub.token(demo.sofie, { acr: 'high' });
    const codes = async (input: Record<string, unknown>) => (await hub.gql<Approved>(APPROVE, { id, input }, viso)).data!.orderApprove.userErrors.map((e) => `${e.code}:${e.field.join('.')}`);
    expect(await codes({ rejectedSubAreas: [c.children] })).toEqual(['REQUIRED:input.reason']);
    expect(await codes({ rejectedSubAreas: [c.adults, c.children], reason: 'x' })).toEqual(['INVALID:input.rejectedSubAreas']);
    expect(await codes({ rejectedSubAreas: ['garbage'], reason: 'x' })).toEqual(['INVALID:input.rejectedSubAreas.0']);
    const outsider = await hub.gql<Approved>(APPROVE, { id, input: { rejectedSubAreas: [c.children], reason: 'x' } }, await hub.token(demo.lars, { acr: 'high' }));
    expect(outsider.data!.orderApprove.userErrors.map((e) => e.code)).toEqual(['NOT_FOUND']);
    const res = await hub.gql<Approved>(APPROVE, { id, input: { rejectedSubAreas: [c.children], reason: 'CV viser ikke erfaring med børn og unge' } }, viso);
    expect(res.data!.orderApprove.userErrors).toEqual([]);
    expect(res.data!.orderApprove.order).toEqual({
      state: 'APPROVED',
      subAreas: [{ code: 'adults' }, { code: 'children-youth' }],
      grant: { subAreas: [{ code: 'adults' }] },
    });
    const mail = await arrived('ea@nord.dk');
    expect(bodyOf(mail)).toContain('CV viser ikke erfaring med børn og unge');
    const [event] = await hub.db.orm.em.fork().find(AuditEvent, { action: 'order.approved', targetId: rawOrderId(id) });
    expect((event.after as { rejectedSubAreas: string[] }).rejectedSubAreas).toHaveLength(1);
  });

  it("a registrant sees before submitting whether their supplier's administrative quota is full", async () => {
    const QUOTA = '{ services { nodes { code roles { code quotaOfMyOrganisation { limit used full } } } } }';
    type Quotas = { services: { nodes: { code: string; roles: { code: string; quotaOfMyOrganisation: { limit: number; used: number; full: boolean } | null }[] }[] } };
    const vias = async (t?: string) =>
      (await hub.gql<Quotas>(QUOTA, {}, t)).data!.services.nodes.find((s) => s.code === 'VIAS')!.roles.sort((a, b) => b.code.localeCompare(a.code));
    // Lars already holds one of Børne- og Ungeklinikken's two places; a clerk there, not yet registered, is told.
    expect(await vias(await token('clerk9@klinik.dk', KLINIK))).toEqual([
      { code: 'specialist', quotaOfMyOrganisation: null },
      { code: 'administrative', quotaOfMyOrganisation: { limit: 2, used: 1, full: false } },
    ]);
    expect((await vias(await token('clerk9@nord.dk'))).find((r) => r.code === 'administrative')!.quotaOfMyOrganisation).toEqual({ limit: 2, used: 0, full: false });
    // Anonymous callers read the catalogue but no organisation's figures.
    expect((await vias()).map((r) => r.quotaOfMyOrganisation)).toEqual([null, null]);
    const klinik = (await hub.gql<Data>('{ selfRegistrationOrganisations { id } }', {}, await token('clerk8@klinik.dk', KLINIK))).data!.selfRegistrationOrganisations[0].id;
    const placed = await hub.upload<Data>(
      await token('clerk8@klinik.dk', KLINIK),
      SELF_REGISTER,
      { input: { organisation: klinik, service: c.vias, role: c.administrative, givenName: 'Ida', familyName: 'Berg', email: 'clerk8@klinik.dk', phone: '+45 11 22 33 44', attachments: [{ kind: 'MANAGER_APPROVAL', file: null }] } },
      { 'input.attachments.0.file': { bytes: pdf('Leder godkender'), filename: 'godkendelse.pdf' } },
    );
    await hub.gql(ORDER_APPROVE, { id: placed.data!.selfRegistrationSubmit.order.id }, await hub.token(demo.sofie, { acr: 'high' }));
    expect((await vias(await token('clerk9@klinik.dk', KLINIK))).find((r) => r.code === 'administrative')!.quotaOfMyOrganisation).toEqual({ limit: 2, used: 2, full: true });
  });

  it("administrative staff upload the manager's approval; an image is accepted", async () => {
    const t = await token('clerk@nord.dk');
    const res = await hub.upload<Data>(
      t,
      SELF_REGISTER,
      { input: { organisation: nord, service: c.vias, role: c.administrative, givenName: 'Kim', familyName: 'Lund', email: 'clerk@nord.dk', phone: '+45 11 22 33 44', attachments: [{ kind: 'MANAGER_APPROVAL', file: null }] } },
      { 'input.attachments.0.file': { bytes: png(), filename: 'approval.png' } },
    );
    expect(res.data!.selfRegistrationSubmit.order.attachments).toEqual([expect.objectContaining({ kind: 'MANAGER_APPROVAL', contentType: 'image/png' })]);
  });
});
