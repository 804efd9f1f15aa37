import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditEvent } from '../../src/audit/audit-event.entity.js';
import { Document } from '../../src/documents/document.entity.js';
import { Order } from '../../src/orders/order.entity.js';
import { User } from '../../src/users/user.entity.js';
import { APPOINTMENT_APPROVE, APPOINTMENT_REQUEST, ME, ORGS, type AppointmentPayload, type UserErrors } from '../delegation/queries.js';
import { hire } from '../orders/fixtures.js';
import { CATALOGUE, ids, ORDER_BULK, ORDER_CREATE, type Catalogue } from '../orders/queries.js';
import { pdf } from '../support/files.js';
import { demo, startTestHub, type GraphQLResponse, type TestHub } from '../support/hub.js';

/** The fields these tests read from the API's answers (each answer holds only what its query asked). */
type Data = {
  me: { id: string; phone: string | null };
  organisations: { nodes: { id: string; name: string }[] };
  ordererAppointmentRequest: AppointmentPayload;
  users: { totalCount: number };
  orderCreate: UserErrors;
};

const PROFILE = 'mutation($input: ProfileCompleteInput!) { profileComplete(input: $input) { user { givenName } userErrors { code field message } } }';
const CONTACT = 'mutation($id: ID!, $input: UserContactUpdateInput!) { userContactUpdate(id: $id, input: $input) { user { email } userErrors { code } } }';

/** The one error a refused input answers: BAD_USER_INPUT naming the field, never a server error. */
function expectRefused(res: GraphQLResponse, field: string[], message?: RegExp): void {
  expect(res.status).toBeLessThan(500);
  expect(res.errors, JSON.stringify(res.data)).toHaveLength(1);
  expect(res.errors![0].extensions).toEqual({ code: 'BAD_USER_INPUT', field });
  if (message) expect(res.errors![0].message).toMatch(message);
}

/** Got past the guard: an answer of the mutation itself (a payload, with or without userErrors). */
function expectAccepted(res: GraphQLResponse, mutation: string): void {
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  expect(res.data![mutation]).not.toBeNull();
}

describe('input guard: text and dates are checked before any work, through real HTTP', () => {
  let hub: TestHub;
  let c: ReturnType<typeof ids>;
  let staff: string[];
  const people: Record<string, string> = {};
  const orgs: Record<string, string> = {};
  const form = { 'input.attachments.0.file': { bytes: pdf('Blankett 9445'), filename: '9445.pdf' } };

  const counts = async () => {
    const em = hub.db.orm.em.fork();
    return { orders: await em.count(Order, {}), documents: await em.count(Document, {}), audit: await em.count(AuditEvent, {}), users: await em.count(User, {}) };
  };
  /** An order by Maria (orderer for Stockholms stad) that succeeds unless its input is refused. */
  const order = async (input: Record<string, unknown>) =>
    hub.upload<Data>(await hub.token(demo.maria), ORDER_CREATE, { input: { service: c.sus, role: c.analyst, attachments: [{ kind: 'ORDER_FORM', file: null }], ...input } }, form);
  const bulk = async (input: Record<string, unknown>) =>
    hub.upload<Data>(await hub.token(demo.maria), ORDER_BULK, { input: { service: c.sus, role: c.registrar, attachments: [{ kind: 'ORDER_FORM', file: null }], ...input } }, form);

  beforeAll(async () => {
    hub = await startTestHub();
    c = ids((await hub.gql<Catalogue>(CATALOGUE)).data!);
    staff = await hire(hub, 'Socialförvaltningen', 12, 'guard');
    for (const email of [demo.anna, demo.maria, ...staff]) people[email] = (await hub.as<Data>(email, ME)).data!.me.id;
    for (const o of (await hub.as<Data>(demo.karin, ORGS)).data!.organisations.nodes as { id: string; name: string }[]) orgs[o.name] = o.id;
    const requested = await hub.upload<Data>(await hub.token(demo.maria), APPOINTMENT_REQUEST, { input: { service: c.sus, scope: orgs['Stockholms stad'], requestForm: null } }, {
      'input.requestForm': { bytes: pdf(), filename: '9450.pdf' },
    });
    await hub.gql(APPOINTMENT_APPROVE, { id: requested.data!.ordererAppointmentRequest.ordererAppointment.id }, await hub.token(demo.karin, { acr: 'high' }));
  });
  afterAll(() => hub.close());

  it('NUL, other control characters and lone surrogates in a mutation input: BAD_USER_INPUT with the field, nothing written', async () => {
    const before = await counts();
    for (const bad of ['a\u0000b', 'bell\u0007', 'escape\u001b[31m', 'del\u007f', 'c1\u0085', 'cr\ronly', 'lone \ud800 high', 'lone \udc00 low', '\udc00\ud800']) {
      expectRefused(await order({ person: people[staff[0]], justification: bad }), ['input', 'justification']);
    }
    expect(await counts()).toEqual(before);
  });

  it('a bad text in a later mutation of the same request refuses the whole request: the first one writes nothing', async () => {
    const me = people[demo.anna];
    const token = await hub.token(demo.anna);
    const phone = async () => (await hub.gql<Data>('{ me { phone } }', {}, token)).data!.me.phone;
    const before = await phone();
    const two = `mutation($id: ID!, $j: String) {
      a: userContactUpdate(id: $id, input: { phone: "+46 70 111 22 33" }) { user { phone } }
      b: orderResubmit(id: $id, input: { justification: $j }) { userErrors { code } } }`;
    const res = await hub.gql<Data>(two, { id: me, j: 'x\u0000y' }, token);
    expectRefused(res, ['input', 'justification']);
    expect(res.data).toBeUndefined();
    expect(await phone()).toBe(before);
    const literal = two.replace('justification: $j', 'justification: "x\\u0000y"').replace(', $j: String', '');
    expectRefused(await hub.gql<Data>(literal, { id: me }, token), ['input', 'justification']);
    expect(await phone()).toBe(before);
  });

  it('the same value as a literal in the document is refused the same way', async () => {
    const before = await counts();
    const literal = `mutation { orderResubmit(id: "x", input: { justification: "a\\u0000b" }) { userErrors { code } } }`;
    expectRefused(await hub.as<Data>(demo.maria, literal), ['input', 'justification'], /control characters \(U\+0000\)/);
    const nested = `{ me { responsibleIssuer(service: "x\\u0007") { name } } }`;
    const res = await hub.as<Data>(demo.anna, nested);
    // Refused for the whole operation before any field runs, naming the argument.
    expectRefused(res, ['service']);
    expect(res.data).toBeUndefined();
    // A lone surrogate cannot even be written as a GraphQL literal: the document does not parse (its
    // HTTP status is the server's business, src/http), so no resolver ever sees one from a literal.
    const surrogate = await hub.as<Data>(demo.anna, '{ users(organisation: "\\ud800") { totalCount } }');
    expect(surrogate.data).toBeUndefined();
    expect(surrogate.errors![0].message).toMatch(/Syntax Error: Invalid Unicode escape sequence/);
    expect(await counts()).toEqual(before);
  });

  it('a bad id deep in a bulk order refuses the whole request: no one of the 1,000 people is ordered for', async () => {
    const before = await counts();
    const valid = staff.slice(0, 3).map((e) => people[e]);
    const many = [...valid, ...Array.from({ length: 996 }, (_, i) => `unknown-${i}`), 'bad\u0000'];
    expectRefused(await bulk({ people: many }), ['input', 'people', '999']);
    expectRefused(await bulk({ people: valid, subAreas: ['ok', 'x\u0001'] }), ['input', 'subAreas', '1']);
    expectRefused(await bulk({ people: valid, attachments: [{ kind: 'ORDER_FORM', file: null, subArea: '\u0000' }] }), ['input', 'attachments', '0', 'subArea']);
    expect(await counts()).toEqual(before);
  });

  it('query arguments: filters, ids and cursors are checked like mutation inputs', async () => {
    expectRefused(await hub.as<Data>(demo.anna, 'query($o: ID) { users(organisation: $o) { totalCount } }', { o: 'x\u0000' }), ['organisation']);
    expectRefused(await hub.as<Data>(demo.anna, 'query($t: ID) { auditEvents(target: $t) { totalCount } }', { t: '\u0000' }), ['target']);
    expectRefused(await hub.as<Data>(demo.anna, 'query($a: String) { users(after: $a) { totalCount } }', { a: 'abc\u0000' }), ['after']);
    expectRefused(await hub.as<Data>(demo.anna, 'query($ids: [ID!]!) { nodes(ids: $ids) { id } }', { ids: ['a', 'b', '\ud800'] }), ['ids', '2'], /lone surrogate/);
    expectRefused(await hub.as<Data>(demo.anna, 'query($id: ID!) { node(id: $id) { id } }', { id: 'n'.repeat(201) }), ['id'], /longer than 200 characters/);
    // In bounds, the same arguments answer as before.
    const fine = await hub.as<Data>(demo.anna, 'query($o: ID) { users(organisation: $o) { totalCount } }', { o: 'x'.repeat(200) });
    expect(fine.errors).toBeUndefined();
    expect(fine.data!.users.totalCount).toBe(0);
  });

  it('over-long text is refused with the limit in the message; text at the limit is taken', async () => {
    const before = await counts();
    expectRefused(await order({ person: people[staff[1]], justification: 'x'.repeat(500_000) }), ['input', 'justification'], /longer than 4,000 characters/);
    expectRefused(await order({ person: people[staff[1]], justification: 'x'.repeat(4001) }), ['input', 'justification'], /4,000/);
    expect(await counts()).toEqual(before);
    const atLimit = await order({ person: people[staff[1]], justification: 'x'.repeat(4000) });
    expectAccepted(atLimit, 'orderCreate');
    expect(atLimit.data!.orderCreate.userErrors).toEqual([]);
    expect((await counts()).orders).toBe(before.orders + 1);
  });

  it('line breaks and tabs are taken in multi-line text and refused in one-line text', async () => {
    const multi = await order({ person: people[staff[2]], justification: 'Rad ett\nrad två\r\n\tindrag' });
    expectAccepted(multi, 'orderCreate');
    expect(multi.data!.orderCreate.userErrors).toEqual([]);

    const me = async () => (await hub.db.orm.em.fork().findOneOrFail(User, { email: staff[3] })).givenName;
    const was = await me();
    const profile = (givenName: string) =>
      hub.as<Data>(staff[3], PROFILE, { input: { givenName, familyName: 'Person', email: staff[3], phone: '+46 8 123 456' } });
    for (const name of ['Ann\nOther', 'Ann\r\nOther', 'Ann\tOther']) {
      expectRefused(await profile(name), ['input', 'givenName'], /must be one line/);
    }
    expectRefused(await profile('A'.repeat(101)), ['input', 'givenName'], /longer than 100 characters/);
    expect(await me()).toBe(was);
    const ok = await profile('Ann Other');
    expectAccepted(ok, 'profileComplete');
    expect(await me()).toBe('Ann Other');
  });

  it('dates outside 1900-01-01 … 2199-12-31 (UTC) are refused, in inputs and in query arguments', async () => {
    const before = await counts();
    expectRefused(await order({ person: people[staff[4]], validFrom: '0001-01-01T00:00:00Z' }), ['input', 'validFrom'], /1900-01-01 through 2199-12-31/);
    expectRefused(await order({ person: people[staff[4]], validTo: '2200-01-01T00:00:00Z' }), ['input', 'validTo']);
    expectRefused(await order({ person: people[staff[4]], validFrom: '1900-01-01T00:00:00+01:00' }), ['input', 'validFrom']);
    const trend = 'query($from: DateTime!, $to: DateTime!) { reports { grantTrend(from: $from, to: $to) { month } } }';
    const early = await hub.as<Data>(demo.karin, trend, { from: '1899-12-31T23:59:59Z', to: '2025-01-01T00:00:00Z' });
    expectRefused(early, ['from']);
    expect(early.errors![0].path).toEqual(['reports', 'grantTrend']);
    expect(await counts()).toEqual(before);
    const last = await order({ person: people[staff[4]], validTo: '2199-12-31T23:59:59.999Z' });
    expectAccepted(last, 'orderCreate');
    expect(last.data!.orderCreate.userErrors).toEqual([]);
  });

  it('e-mail addresses and phone numbers are bounded by their scalars', async () => {
    const id = people[staff[5]];
    const longEmail = await hub.as<Data>(demo.maria, CONTACT, { id, input: { email: `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(60)}.se` } });
    expect(longEmail.status).toBeLessThan(500);
    expect(longEmail.errors![0].extensions!.code).toBe('BAD_USER_INPUT');
    expect(longEmail.errors![0].message).toMatch(/at most 254 characters/);
    const longPhone = await hub.as<Data>(demo.maria, CONTACT, { id, input: { phone: `+46 ${'1'.repeat(40)}` } });
    expect(longPhone.status).toBeLessThan(500);
    expect(longPhone.errors![0].extensions!.code).toBe('BAD_USER_INPUT');
  });
});
