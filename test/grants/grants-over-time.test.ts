import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditEvent } from '../../src/audit/audit-event.entity.js';
import { expireGrants } from '../../src/grants/grant-expiry.js';
import { Grant, GrantState } from '../../src/grants/grant.entity.js';
import { toGlobalId } from '../../src/domain/global-id.js';
import { pdf } from '../support/files.js';
import { demo, startTestHub, type TestHub } from '../support/hub.js';
import { APPOINTMENT_APPROVE, APPOINTMENT_REQUEST, ORGS, SERVICES, type AppointmentPayload, type UserErrors } from '../delegation/queries.js';

/** The fields these tests read from the API's answers (each answer holds only what its query asked). */
interface Data {
  me: { grants: { totalCount: number; nodes: { id: string }[] } };
  services: { nodes: { id: string; code: string }[] };
  organisations: { nodes: { id: string; name: string }[] };
  ordererAppointmentRequest: AppointmentPayload;
  grantSuspend: GrantPayload;
  grantResume: GrantPayload;
  grantRenew: GrantPayload;
  grantRevoke: GrantPayload;
  auditEvents: { nodes: { action: string; reason: string | null }[] };
}

/** FIELDS, as the tests read them after a success. */
interface GrantPayload extends UserErrors {
  grant: { id: string; state: string; validTo: string | null; suspendReason: string | null; endReason: string | null; usable: boolean };
}
const FIELDS = 'grant { id state validTo suspendReason endReason usable } userErrors { code field message }';
const REVOKE = `mutation($id: ID!, $reason: String!) { grantRevoke(id: $id, input: { reason: $reason }) { ${FIELDS} } }`;
const SUSPEND = `mutation($id: ID!, $reason: String!) { grantSuspend(id: $id, input: { reason: $reason }) { ${FIELDS} } }`;
const RESUME = `mutation($id: ID!, $reason: String!) { grantResume(id: $id, input: { reason: $reason }) { ${FIELDS} } }`;
const RENEW = `mutation($id: ID!, $validTo: DateTime!) { grantRenew(id: $id, input: { validTo: $validTo }) { ${FIELDS} } }`;

describe('grants over time', () => {
  let hub: TestHub;
  let anna: string;
  const karin = () => hub.token(demo.karin, { acr: 'high' });
  const codes = (p: { userErrors: { code: string }[] }) => p.userErrors.map((e) => e.code);

  beforeAll(async () => {
    hub = await startTestHub({ JOBS: 'false' });
    anna = (await hub.as<Data>(demo.anna, '{ me { grants { nodes { id } } } }')).data!.me.grants.nodes[0].id;
    // Maria becomes orderer: she sees Anna's grant but may not change it.
    const sus = ((await hub.gql<Data>(SERVICES)).data!.services.nodes as { id: string; code: string }[]).find((s) => s.code === 'SUS')!.id;
    const scope = ((await hub.as<Data>(demo.maria, ORGS)).data!.organisations.nodes as { id: string; name: string }[]).find((o) => o.name === 'Stockholms stad')!.id;
    const req = await hub.upload<Data>(await hub.token(demo.maria), APPOINTMENT_REQUEST, { input: { service: sus, scope, requestForm: null } }, { 'input.requestForm': { bytes: pdf(), filename: 'f.pdf' } });
    await hub.gql(APPOINTMENT_APPROVE, { id: req.data!.ordererAppointmentRequest.ordererAppointment.id }, await karin());
  });
  afterAll(() => hub.close());

  it('suspend, resume, renew and revoke by the responsible issuer, each audited with its reason', async () => {
    const suspended = (await hub.gql<Data>(SUSPEND, { id: anna, reason: 'Tjänstledig' }, await karin())).data!.grantSuspend;
    expect(suspended.grant).toMatchObject({ state: 'SUSPENDED', suspendReason: 'Tjänstledig', usable: false });
    expect(codes((await hub.gql<Data>(SUSPEND, { id: anna, reason: 'again' }, await karin())).data!.grantSuspend)).toEqual(['INVALID_STATE']);
    const resumed = (await hub.gql<Data>(RESUME, { id: anna, reason: 'Tillbaka' }, await karin())).data!.grantResume;
    expect(resumed.grant).toMatchObject({ state: 'ACTIVE', suspendReason: null, usable: true });
    const later = new Date(Date.now() + 400 * 86_400_000).toISOString();
    // An open-ended grant has nothing to extend: any date would shorten it.
    expect(codes((await hub.gql<Data>(RENEW, { id: anna, validTo: later }, await karin())).data!.grantRenew)).toEqual(['DATE_ORDER']);
    const grantId = Buffer.from(anna, 'base64url').toString().split(':')[1];
    await hub.db.orm.em.getConnection().execute(`update grants set valid_to = now() + interval '30 days' where id = '${grantId}'`);
    expect((await hub.gql<Data>(RENEW, { id: anna, validTo: later }, await karin())).data!.grantRenew.grant.validTo).toBe(later);
    const earlier = new Date(Date.now() + 10 * 86_400_000).toISOString();
    expect(codes((await hub.gql<Data>(RENEW, { id: anna, validTo: earlier }, await karin())).data!.grantRenew)).toEqual(['DATE_ORDER']);
    expect(codes((await hub.gql<Data>(REVOKE, { id: anna, reason: ' ' }, await karin())).data!.grantRevoke)).toEqual(['REQUIRED']);
    const trail = await hub.as<Data>(demo.karin, 'query($t: ID) { auditEvents(target: $t) { nodes { action reason } } }', { t: anna });
    expect(trail.data!.auditEvents.nodes).toEqual([
      { action: 'grant.suspend', reason: 'Tjänstledig' },
      { action: 'grant.resume', reason: 'Tillbaka' },
      { action: 'grant.renew', reason: null },
    ]);
  });

  it('outsiders change nothing: another issuer gets NOT_FOUND as for a missing id, the holder and an orderer FORBIDDEN', async () => {
    const before = await hub.db.orm.em.fork().findOneOrFail(Grant, Buffer.from(anna, 'base64url').toString().split(':')[1]);
    const other = await hub.gql<Data>(REVOKE, { id: anna, reason: 'x' }, await hub.token(demo.sofie, { acr: 'high' }));
    const missing = await hub.gql<Data>(REVOKE, { id: toGlobalId('Grant', '01900000-0000-7000-8000-000000000000'), reason: 'x' }, await hub.token(demo.sofie, { acr: 'high' }));
    expect(other.data).toEqual(missing.data);
    expect(codes(other.data!.grantRevoke)).toEqual(['NOT_FOUND']);
    for (const email of [demo.anna, demo.maria]) {
      const res = await hub.gql<Data>(REVOKE, { id: anna, reason: 'x' }, await hub.token(email, { acr: 'high' }));
      expect(res.errors?.[0].extensions?.code, email).toBe('FORBIDDEN');
    }
    expect((await hub.gql<Data>(REVOKE, { id: anna, reason: 'x' })).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    const after = await hub.db.orm.em.fork().findOneOrFail(Grant, before.id);
    expect(after.state).toBe(before.state);
    expect(after.updatedAt).toEqual(before.updatedAt);
  });

  it('revoked is final', async () => {
    const revoked = (await hub.gql<Data>(REVOKE, { id: anna, reason: 'Slutat' }, await karin())).data!.grantRevoke;
    expect(revoked.grant).toMatchObject({ state: 'REVOKED', endReason: 'Slutat', usable: false });
    expect(codes((await hub.gql<Data>(RESUME, { id: anna, reason: 'x' }, await karin())).data!.grantResume)).toEqual(['INVALID_STATE']);
  });

  it('the expiry job ends grants past validTo once, with an audit event each, also when two run at once', async () => {
    const em = hub.db.orm.em.fork();
    const erikGrant = await em.findOneOrFail(Grant, { user: { email: demo.erik } });
    const metteGrant = await em.findOneOrFail(Grant, { user: { email: demo.mette } });
    await em.nativeUpdate(Grant, { id: { $in: [erikGrant.id, metteGrant.id] } }, { validTo: new Date(Date.now() - 1000) });
    await em.nativeUpdate(Grant, { id: metteGrant.id }, { state: GrantState.SUSPENDED });
    const [a, b] = await Promise.all([expireGrants(hub.db.orm.em.fork()), expireGrants(hub.db.orm.em.fork())]);
    expect(a + b).toBe(2);
    expect(await expireGrants(hub.db.orm.em.fork())).toBe(0);
    const fresh = hub.db.orm.em.fork();
    expect((await fresh.findOneOrFail(Grant, erikGrant.id)).state).toBe(GrantState.EXPIRED);
    expect(await fresh.count(AuditEvent, { action: 'grant.expire' })).toBe(2);
    const active = await hub.as<Data>(demo.erik, '{ me { grants(state: ACTIVE) { totalCount } } }');
    expect(active.data!.me.grants.totalCount).toBe(0);
  });
});
