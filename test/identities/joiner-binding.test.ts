import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/domain/global-id.js';
import { demo, startTestHub, type TestHub } from '../support/hub.js';
import { bodyOf, smtpServer } from '../support/smtp.js';
import { loadDemoDirectory } from '../delegation/queries.js';

interface UserErrors { userErrors: { code: string; field: string[] | null; message: string }[] }
interface Data {
  userCreate: UserErrors & { user: { id: string } | null };
  userInvitationSend: UserErrors & { user: { email: string } | null; expiresAt: string | null };
  identityBind: UserErrors & { user: { email: string } | null };
  session: { registered: boolean };
  me: { email: string } | null;
}

const CREATE = `mutation($input: UserCreateInput!) { userCreate(input: $input) { user { id } userErrors { code field message } } }`;
const INVITE = `mutation($id: ID!) { userInvitationSend(id: $id) { user { email } expiresAt userErrors { code field message } } }`;
const BIND = `mutation($code: String!) { identityBind(input: { code: $code }) { user { email } userErrors { code field message } } }`;
const WHO = '{ session { registered } me { email } }';
const STOCKHOLM = '212000-0142';
const codes = (p: UserErrors) => p.userErrors.map((e) => e.code);

describe('joiners bind their business e-ID: by a matching token, or by an invitation code', () => {
  let hub: TestHub;
  let smtp: Awaited<ReturnType<typeof smtpServer>>;
  const orgs: Record<string, string> = {};
  const sql = <T = Record<string, unknown>>(q: string) => hub.db.orm.em.getConnection().execute<T[]>(q);
  const join = async (email: string) => {
    const res = await hub.as<Data>(demo.karin, CREATE, { input: { givenName: 'Ny', familyName: 'Kollega', email, employerId: orgs['Socialförvaltningen'] } });
    expect(res.data!.userCreate.userErrors).toEqual([]);
    return res.data!.userCreate.user!.id;
  };
  const eid = (email: string, sub: string, registrationNumber?: string) => hub.token(email, { sub, registration_number: registrationNumber });
  const codeFor = async (to: string) => {
    for (let i = 0; i < 100; i++) {
      const mail = [...smtp.received].reverse().find((m) => m.to.includes(to));
      if (mail) return /code: ([A-Z0-9-]+)/.exec(bodyOf(mail.data))![1];
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no mail to ${to}`);
  };

  beforeAll(async () => {
    smtp = await smtpServer();
    hub = await startTestHub({ SMTP_URL: smtp.url, OUTBOX_POLL_MS: '50' });
    await loadDemoDirectory(hub, {}, orgs);
  });
  afterAll(async () => {
    await hub.close();
    await smtp.close();
  });

  it('the first sign-in whose e-mail and employer registration number match binds the identity, once', async () => {
    await join('nils@stockholm.se');
    const first = await hub.gql<Data>(WHO, {}, await eid('nils@stockholm.se', 'eid-nils', STOCKHOLM));
    expect(first.data).toEqual({ session: { registered: true }, me: { email: 'nils@stockholm.se' } });
    expect(await sql(`select action, actor_id is not null as by_person from audit_events where action = 'identity.bind'`)).toEqual([{ action: 'identity.bind', by_person: true }]);
    // Another e-ID with the same e-mail finds the person already bound: it stays unregistered.
    const second = await hub.gql<Data>(WHO, {}, await eid('nils@stockholm.se', 'eid-other', STOCKHOLM));
    expect(second.data).toEqual({ session: { registered: false }, me: null });
  });

  it('a token of another employer, or without a registration number, binds nothing', async () => {
    await join('ola@stockholm.se');
    for (const token of [await eid('ola@stockholm.se', 'eid-ola-1', '212000-1355'), await eid('ola@stockholm.se', 'eid-ola-2')]) {
      expect((await hub.gql<Data>(WHO, {}, token)).data).toEqual({ session: { registered: false }, me: null });
    }
    expect(await sql(`select count(*)::int as n from federated_identities f join users u on u.id = f.user_id where u.email = 'ola@stockholm.se'`)).toEqual([{ n: 0 }]);
  });

  it('outsiders invite nobody: another issuer and an unknown id get the same NOT_FOUND', async () => {
    const ola = (await sql<{ id: string }>(`select id from users where email = 'ola@stockholm.se'`))[0].id;
    const other = await hub.as<Data>(demo.sofie, INVITE, { id: toGlobalId('User', ola) });
    expect(other.data).toEqual((await hub.as<Data>(demo.sofie, INVITE, { id: toGlobalId('User', '01900000-0000-7000-8000-000000000000') })).data);
    expect(codes(other.data!.userInvitationSend)).toEqual(['NOT_FOUND']);
    expect(await sql('select count(*)::int as n from invitations')).toEqual([{ n: 0 }]);
    const bound = (await sql<{ id: string }>(`select id from users where email = 'nils@stockholm.se'`))[0].id;
    expect(codes((await hub.as<Data>(demo.karin, INVITE, { id: toGlobalId('User', bound) })).data!.userInvitationSend)).toEqual(['INVALID_STATE']);
  });

  it('an invitation code, mailed and stored only as a hash, binds the sign-in that presents it, once', async () => {
    const ola = toGlobalId('User', (await sql<{ id: string }>(`select id from users where email = 'ola@stockholm.se'`))[0].id);
    const sent = (await hub.as<Data>(demo.karin, INVITE, { id: ola })).data!.userInvitationSend;
    expect(sent.userErrors).toEqual([]);
    expect(new Date(sent.expiresAt!).getTime()).toBeGreaterThan(Date.now() + 13 * 86_400_000);
    const code = await codeFor('ola@stockholm.se');
    const stored = JSON.stringify(await sql('select * from invitations')) + JSON.stringify(await sql(`select after from audit_events where action = 'user.invite'`));
    expect(stored).not.toContain(code);
    expect(stored).not.toContain(code.replace(/-/g, ''));

    const token = await eid('ola@stockholm.se', 'eid-ola-1', '212000-1355');
    expect(codes((await hub.gql<Data>(BIND, { code: 'AAAA-BBBB-CCCC-DDDD' }, token)).data!.identityBind)).toEqual(['INVALID']);
    const bound = (await hub.gql<Data>(BIND, { code: code.toLowerCase() }, token)).data!.identityBind;
    expect(bound).toEqual({ user: { email: 'ola@stockholm.se' }, userErrors: [] });
    expect((await hub.gql<Data>(WHO, {}, token)).data).toEqual({ session: { registered: true }, me: { email: 'ola@stockholm.se' } });
    // Used once: another unbound sign-in presenting it gets the answer a wrong code gets; a bound one is told it is bound.
    const again = await hub.gql<Data>(BIND, { code }, await eid('ola@stockholm.se', 'eid-ola-2'));
    expect(again.data).toEqual((await hub.gql<Data>(BIND, { code: 'AAAA-BBBB-CCCC-DDDD' }, await eid('ola@stockholm.se', 'eid-ola-2'))).data);
    expect(codes((await hub.gql<Data>(BIND, { code }, token)).data!.identityBind)).toEqual(['INVALID_STATE']);
    expect((await hub.gql<Data>(BIND, { code })).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('an expired code binds nothing, and a new invitation replaces an unused one', async () => {
    const id = await join('per@stockholm.se');
    expect((await hub.as<Data>(demo.karin, INVITE, { id })).data!.userInvitationSend.userErrors).toEqual([]);
    const first = await codeFor('per@stockholm.se');
    smtp.received.length = 0;
    expect((await hub.as<Data>(demo.karin, INVITE, { id })).data!.userInvitationSend.userErrors).toEqual([]);
    const second = await codeFor('per@stockholm.se');
    const token = await eid('per@stockholm.se', 'eid-per');
    expect(codes((await hub.gql<Data>(BIND, { code: first }, token)).data!.identityBind)).toEqual(['INVALID']);
    // The clock passes the expiry (moved in the database, where the code's expiry is kept).
    await sql(`update invitations set expires_at = now() - interval '1 second' where used_at is null`);
    expect(codes((await hub.gql<Data>(BIND, { code: second }, token)).data!.identityBind)).toEqual(['INVALID']);
    expect(await sql(`select count(*)::int as n from federated_identities f join users u on u.id = f.user_id where u.email = 'per@stockholm.se'`)).toEqual([{ n: 0 }]);
  });
});
