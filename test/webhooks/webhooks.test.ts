import { pino } from 'pino';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execute, sql } from '../../src/db/sql.js';
import { fromGlobalId } from '../../src/domain/global-id.js';
import { isPrivateAddress, webhookUrlProblem } from '../../src/webhooks/webhook-url.js';
import { WebhookWorker } from '../../src/webhooks/webhook-worker.js';
import { feedSettled } from '../support/feed.js';
import { startTestHub, type TestHub } from '../support/hub.js';
import { headersOf, startReceiver } from './receiver.js';

const KARIN = 'karin.admin@forsakringskassan.se';
const SUBSCRIBE = `mutation ($input: WebhookSubscriptionCreateInput!) { webhookSubscriptionCreate(input: $input) { subscription { id } secret userErrors { code field } } }`;
const DEAD = `{ webhookSubscriptions(first: 5) { nodes { id url deliveries(first: 10) { totalCount nodes { id eventId state attempts lastStatus } } } } }`;

describe('webhooks', () => {
  let hub: TestHub;
  let worker: WebhookWorker;

  async function grantOf(email: string): Promise<string> {
    const r = await hub.as<{ me: { grants: { nodes: { id: string }[] } } }>(email, '{ me { grants(first: 5) { nodes { id } } } }');
    return r.data!.me.grants.nodes[0].id;
  }
  async function change(verb: 'grantRevoke' | 'grantSuspend' | 'grantResume', id: string) {
    const r = await hub.as<Record<string, { userErrors: unknown[] }>>(KARIN, `mutation ($id: ID!) { ${verb}(id: $id, input: { reason: "test" }) { userErrors { code } } }`, { id });
    expect(r.data?.[verb].userErrors).toEqual([]);
  }
  async function subscribe(client: string, url: string, eventTypes: string[]) {
    const r = await hub.gql<{ webhookSubscriptionCreate: { subscription: { id: string }; secret: string; userErrors: unknown[] } }>(
      SUBSCRIBE, { input: { url, eventTypes } }, await hub.clientToken(client));
    expect(r.errors ?? r.data?.webhookSubscriptionCreate.userErrors).toEqual([]);
    return r.data!.webhookSubscriptionCreate;
  }

  beforeAll(async () => {
    hub = await startTestHub({ JOBS: 'false' });
    worker = new WebhookWorker(hub.app.orm, pino({ level: 'silent' }), { allowPrivateUrls: true, maxAttempts: 2, backoffBaseMs: 1, backoffMaxMs: 1, leaseMs: 5_000, timeoutMs: 2_000 });
  });

  /** One pass of the worker over every event written so far. */
  async function deliver(): Promise<void> {
    await feedSettled(hub);
    await worker.runOnce();
  }

  afterAll(async () => {
    await worker.stop();
    await hub.close();
  });

  it('should refuse loopback and private targets unless allowed', () => {
    expect(webhookUrlProblem('http://127.0.0.1:9/x', false)).toMatch(/https/);
    expect(webhookUrlProblem('https://127.0.0.1/x', false)).toMatch(/private/);
    expect(webhookUrlProblem('https://10.1.2.3/x', false)).toMatch(/private/);
    expect(webhookUrlProblem('https://[::1]/x', false)).toMatch(/private/);
    expect(webhookUrlProblem('https://localhost/x', false)).toMatch(/private/);
    expect(webhookUrlProblem('https://user:pw@example.org/x', false)).toMatch(/credentials/);
    expect(webhookUrlProblem('https://example.org/hooks', false)).toBeNull();
    expect(webhookUrlProblem('http://127.0.0.1:9/x', true)).toBeNull();
    for (const a of ['169.254.169.254', '::ffff:10.0.0.1', 'fd00::1', '100.64.0.1', '0.0.0.0']) expect(isPrivateAddress(a)).toBe(true);
    expect(isPrivateAddress('93.184.216.34')).toBe(false);
  });

  it('should sign deliveries so standardwebhooks verifies them, only to the subscribed client, across a secret rotation', async () => {
    const sus = await startReceiver();
    const vias = await startReceiver();
    try {
      const { secret, subscription } = await subscribe('sus-backend', sus.url, ['grant.ended', 'grant.suspended']);
      expect(secret).toMatch(/^whsec_/);
      await subscribe('vias-backend', vias.url, ['grant.ended', 'grant.suspended']);
      const outsider = await hub.gql<{ webhookSubscriptionRotateSecret: { userErrors: { code: string }[] } }>(
        'mutation ($id: ID!) { webhookSubscriptionRotateSecret(id: $id) { secret userErrors { code } } }', { id: subscription.id }, await hub.clientToken('vias-backend'));
      expect(outsider.data?.webhookSubscriptionRotateSecret.userErrors).toEqual([{ code: 'NOT_FOUND' }]);

      await change('grantRevoke', await grantOf('anna.registrar@stockholm.se'));
      await deliver();
      expect(sus.received).toHaveLength(1);
      const first = sus.received[0];
      const payload = new Webhook(secret).verify(first.body, headersOf(first)) as { type: string; data: { role: string } };
      expect(payload).toMatchObject({ type: 'grant.ended', data: { role: 'registrar' } });
      expect(() => new Webhook(`whsec_${Buffer.alloc(24, 1).toString('base64')}`).verify(first.body, headersOf(first))).toThrow();
      expect(vias.received).toHaveLength(0);

      const rotated = await hub.gql<{ webhookSubscriptionRotateSecret: { secret: string } }>(
        'mutation ($id: ID!) { webhookSubscriptionRotateSecret(id: $id) { secret userErrors { code } } }', { id: subscription.id }, await hub.clientToken('sus-backend'));
      const next = rotated.data!.webhookSubscriptionRotateSecret.secret;
      await change('grantSuspend', await grantOf('erik.analyst@arbetsformedlingen.se'));
      await deliver();
      expect(sus.received).toHaveLength(2);
      const second = sus.received[1];
      expect(new Webhook(next).verify(second.body, headersOf(second))).toMatchObject({ type: 'grant.suspended' });
      expect(new Webhook(secret).verify(second.body, headersOf(second))).toMatchObject({ type: 'grant.suspended' });
      expect(vias.received).toHaveLength(0);
    } finally {
      await sus.close();
      await vias.close();
    }
  });

  it('should keep per-subject order, make dead letters visible to their owner only, and replay them', async () => {
    let failing = true;
    const receiver = await startReceiver(() => (failing ? 500 : 200));
    try {
      const token = await hub.clientToken('vias-backend');
      const mine = await subscribe('vias-backend', receiver.url, ['grant.suspended', 'grant.resumed', 'grant.ended']);
      const grant = await grantOf('mette.specialist@specialcenter-nord.dk');
      const KARIN_VIAS = 'sofie.viso@sbst.dk';
      for (const verb of ['grantSuspend', 'grantResume', 'grantRevoke'] as const) {
        const r = await hub.as<Record<string, { userErrors: unknown[] }>>(KARIN_VIAS, `mutation ($id: ID!) { ${verb}(id: $id, input: { reason: "order" }) { userErrors { code } } }`, { id: grant });
        expect(r.data?.[verb].userErrors).toEqual([]);
      }
      // The first of the subject fails twice and dies; the later ones wait behind it until then.
      await deliver();
      expect(receiver.received.map((r) => (JSON.parse(r.body) as { type: string }).type)).toEqual(['grant.suspended']);
      await deliver();
      failing = false;
      await deliver();
      await deliver();
      const types = receiver.received.map((r) => (JSON.parse(r.body) as { type: string }).type);
      expect(types).toEqual(['grant.suspended', 'grant.suspended', 'grant.resumed', 'grant.ended']);

      const dead = await hub.gql<{ webhookSubscriptions: { nodes: { id: string; deliveries: { totalCount: number; nodes: { id: string; eventId: string; state: string; attempts: number; lastStatus: number }[] } }[] } }>(DEAD, {}, token);
      const letters = dead.data!.webhookSubscriptions.nodes.filter((n) => n.id === mine.subscription.id).flatMap((n) => n.deliveries.nodes);
      expect(dead.data!.webhookSubscriptions.nodes.find((n) => n.id === mine.subscription.id)).toMatchObject({ deliveries: { totalCount: 1 } });
      expect(letters).toHaveLength(1);
      expect(letters[0]).toMatchObject({ state: 'DEAD', attempts: 2, lastStatus: 500 });
      const foreign = await hub.gql<{ webhookSubscriptions: { nodes: { deliveries: { nodes: unknown[] } }[] } }>(DEAD, {}, await hub.clientToken('sus-backend'));
      expect(foreign.data!.webhookSubscriptions.nodes.flatMap((n) => n.deliveries.nodes)).toEqual([]);

      const replay = 'mutation ($id: ID!) { webhookDeliveryReplay(id: $id) { delivery { state } userErrors { code } } }';
      const refused = await hub.gql(replay, { id: letters[0].id }, await hub.clientToken('sus-backend'));
      expect(refused.data).toEqual({ webhookDeliveryReplay: { delivery: null, userErrors: [{ code: 'NOT_FOUND' }] } });
      const replayed = await hub.gql(replay, { id: letters[0].id }, token);
      expect(replayed.data).toEqual({ webhookDeliveryReplay: { delivery: { state: 'PENDING' }, userErrors: [] } });
      await deliver();
      const again = receiver.received[receiver.received.length - 1];
      expect(again.headers['webhook-id']).toBe(letters[0].eventId);
      const [row] = await execute<{ n: number }>(hub.app.orm.em.fork(), sql`select count(*)::int as n from webhook_deliveries where state = 'dead' and id = ${fromGlobalId(letters[0].id)!.id}`);
      expect(Number(row.n)).toBe(0);
    } finally {
      await receiver.close();
    }
  });
});

describe('webhooks in production settings', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub({ JOBS: 'false', WEBHOOK_ALLOW_PRIVATE_URLS: 'false' });
  });
  afterAll(() => hub.close());

  it('should refuse a subscription to a loopback or private address, and a person subscribing', async () => {
    const token = await hub.clientToken('sus-backend');
    for (const url of ['http://127.0.0.1:8080/hooks', 'https://127.0.0.1/hooks', 'https://10.0.0.7/hooks', 'https://[::1]/hooks']) {
      const r = await hub.gql<{ webhookSubscriptionCreate: { subscription: unknown; userErrors: { code: string; field: string[] }[] } }>(SUBSCRIBE, { input: { url, eventTypes: ['grant.ended'] } }, token);
      expect(r.data?.webhookSubscriptionCreate, url).toEqual({ subscription: null, secret: null, userErrors: [{ code: 'INVALID', field: ['input', 'url'] }] });
    }
    const unknownType = await hub.gql<{ webhookSubscriptionCreate: { userErrors: { code: string }[] } }>(SUBSCRIBE, { input: { url: 'https://hooks.example.org/x', eventTypes: ['grant.nope'] } }, token);
    expect(unknownType.data?.webhookSubscriptionCreate.userErrors.map((e) => e.code)).toEqual(['INVALID']);
    const person = await hub.as(KARIN, SUBSCRIBE, { input: { url: 'https://hooks.example.org/x', eventTypes: ['grant.ended'] } });
    expect(person.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'CLIENT_ONLY' });
  });
});
