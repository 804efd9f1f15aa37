import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditEvent } from '../../src/audit/audit-event.entity.js';
import { User } from '../../src/users/user.entity.js';
import { demo, startTestHub, type TestHub } from '../support/hub.js';

const UPDATE = `mutation($id: ID!, $input: UserContactUpdateInput!) {
  userContactUpdate(id: $id, input: $input) { user { id email phone } userErrors { code field message } }
}`;

interface Payload {
  userContactUpdate: { user: { id: string; email: string | null; phone: string | null } | null; userErrors: { code: string; field: string[] | null; message: string }[] };
}

describe('userContactUpdate', () => {
  let hub: TestHub;
  let annaId: string;
  let metteId: string;
  beforeAll(async () => {
    hub = await startTestHub();
    annaId = (await hub.as<{ me: { id: string } }>(demo.anna, '{ me { id } }')).data!.me.id;
    metteId = (await hub.as<{ me: { id: string } }>(demo.mette, '{ me { id } }')).data!.me.id;
  });
  afterAll(() => hub.close());

  const snapshot = async (email: string) => {
    const em = hub.db.orm.em.fork();
    const user = await em.findOneOrFail(User, { email });
    const events = await em.count(AuditEvent, { targetId: user.id });
    return { email: user.email, phone: user.phone, updatedAt: user.updatedAt.getTime(), events };
  };

  it('should change your own phone and record who, what and the request in the audit trail', async () => {
    const res = await hub.as<Payload>(demo.anna, UPDATE, { id: annaId, input: { phone: '+46 70 123 45 67' } });
    expect(res.data!.userContactUpdate).toEqual({ user: { id: annaId, email: demo.anna, phone: '+46 70 123 45 67' }, userErrors: [] });
    const trail = await hub.as<{ auditEvents: { totalCount: number; nodes: { action: string; before: object; after: object; requestId: string; actor: { id: string } }[] } }>(
      demo.anna,
      'query($t: ID) { auditEvents(target: $t) { totalCount nodes { action before after requestId actor { id } } } }',
      { t: annaId },
    );
    const events = trail.data!.auditEvents;
    expect(events.totalCount).toBe(1);
    expect(events.nodes[0]).toMatchObject({
      action: 'user.contactUpdate',
      before: { phone: '+46 8 508 000 01' },
      after: { phone: '+46 70 123 45 67' },
      actor: { id: annaId },
    });
    expect(events.nodes[0].requestId).toBe(res.headers.get('x-request-id'));
  });

  it('should write no audit event when nothing changes', async () => {
    const before = await snapshot(demo.anna);
    const res = await hub.as<Payload>(demo.anna, UPDATE, { id: annaId, input: { email: before.email } });
    expect(res.data!.userContactUpdate.userErrors).toEqual([]);
    expect((await snapshot(demo.anna)).events).toBe(before.events);
  });

  it("should answer another tenant's user exactly like a missing one, and change nothing", async () => {
    const before = await snapshot(demo.mette);
    const outsider = await hub.as<Payload>(demo.anna, UPDATE, { id: metteId, input: { phone: '+46 70 000 00 00' } });
    const missing = await hub.as<Payload>(demo.anna, UPDATE, { id: 'VXNlcjowMTkwMDAwMC0wMDAwLTcwMDAtODAwMC0wMDAwMDAwMDAwMDA', input: { phone: '+46 70 000 00 00' } });
    expect(outsider.data).toEqual(missing.data);
    expect(outsider.data!.userContactUpdate).toEqual({ user: null, userErrors: [{ code: 'NOT_FOUND', field: ['id'], message: 'No user with this id.' }] });
    expect(await snapshot(demo.mette)).toEqual(before);
  });

  it('should treat an id of another type as not found', async () => {
    const grantId = (await hub.as<{ me: { grants: { nodes: { id: string }[] } } }>(demo.anna, '{ me { grants { nodes { id } } } }')).data!.me.grants.nodes[0].id;
    const res = await hub.as<Payload>(demo.anna, UPDATE, { id: grantId, input: { phone: '+46 70 000 00 00' } });
    expect(res.data!.userContactUpdate.userErrors[0].code).toBe('NOT_FOUND');
  });

  it('should refuse an invalid e-mail address or phone number with BAD_USER_INPUT and change nothing', async () => {
    const before = await snapshot(demo.anna);
    for (const input of [{ email: 'not an address' }, { phone: 'call me maybe' }, { email: 42 }]) {
      const res = await hub.as<Payload>(demo.anna, UPDATE, { id: annaId, input });
      expect(res.errors?.[0].extensions?.code, JSON.stringify(input)).toBe('BAD_USER_INPUT');
      expect(res.data ?? null).toBeNull();
    }
    expect(await snapshot(demo.anna)).toEqual(before);
  });

  it('should require a signed-in registered user', async () => {
    const anonymous = await hub.gql<Payload>(UPDATE, { id: annaId, input: { phone: '+46 70 000 00 00' } });
    expect(anonymous.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    const unregistered = await hub.gql<Payload>(UPDATE, { id: annaId, input: { phone: '+46 70 000 00 00' } }, await hub.token('stranger@example.com'));
    expect(unregistered.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });

  it("should not show another tenant's audit trail", async () => {
    const res = await hub.as<{ auditEvents: { totalCount: number } }>(demo.mette, 'query($t: ID) { auditEvents(target: $t) { totalCount } }', { t: annaId });
    expect(res.data!.auditEvents.totalCount).toBe(0);
    const all = await hub.as<{ auditEvents: { totalCount: number } }>(demo.mette, '{ auditEvents { totalCount } }');
    expect(all.data!.auditEvents.totalCount).toBe(0);
  });
});
