import { pino } from 'pino';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execute, sql } from '../../src/db/sql.js';
import { fromGlobalId } from '../../src/domain/global-id.js';
import { WebhookWorker } from '../../src/webhooks/webhook-worker.js';
import { loadDemoDirectory, MANDATE_GRANT } from '../delegation/queries.js';
import { pdf } from '../support/files.js';
import { demo, startTestHub, type TestHub } from '../support/hub.js';
import { headersOf, startReceiver } from './receiver.js';

const SUBSCRIBE = `mutation ($input: WebhookSubscriptionCreateInput!) { webhookSubscriptionCreate(input: $input) { subscription { id } secret userErrors { code } } }`;
const ENABLE = `mutation ($id: ID!, $reason: String!) { webhookSubscriptionEnable(id: $id, input: { reason: $reason }) { subscription { id disabledAt disabledCause } userErrors { code } } }`;
const DISABLE = `mutation ($id: ID!) { webhookSubscriptionDisable(id: $id, input: { reason: "maintenance window" }) { subscription { id disabledAt disabledCause disabledReason } userErrors { code } } }`;
const REPLAY = `mutation ($id: ID!) { webhookDeliveryReplay(id: $id) { delivery { state } userErrors { code } } }`;
const CLIENT_HOOKS = `{ clients(first: 20) { totalCount nodes { id name webhookSubscriptions(first: 10) { totalCount nodes { id url disabledAt disabledCause disabledReason
  deliveries(first: 10) { totalCount nodes { id eventId state attempts lastStatus } } } } } } }`;
const UNKNOWN_SUBSCRIPTION = Buffer.from('WebhookSubscription:00000000-0000-7000-8000-000000000000').toString('base64url');
const UNKNOWN_DELIVERY = Buffer.from('WebhookDelivery:00000000-0000-7000-8000-000000000000').toString('base64url');

interface Hooks {
  clients: {
    totalCount: number;
    nodes: {
      id: string;
      name: string;
      webhookSubscriptions: {
        totalCount: number;
        nodes: { id: string; disabledAt: string | null; disabledCause: string | null; disabledReason: string | null; deliveries: { totalCount: number; nodes: { id: string; eventId: string; state: string; attempts: number; lastStatus: number }[] } }[];
      };
    }[];
  };
}

describe('webhook subscriptions: 410 Gone, and the people who administer a client', () => {
  let hub: TestHub;
  let worker: WebhookWorker;

  async function subscribe(client: string, url: string, eventTypes: string[]) {
    const r = await hub.gql<{ webhookSubscriptionCreate: { subscription: { id: string }; secret: string; userErrors: unknown[] } }>(
      SUBSCRIBE, { input: { url, eventTypes } }, await hub.clientToken(client));
    expect(r.errors ?? r.data?.webhookSubscriptionCreate.userErrors).toEqual([]);
    return r.data!.webhookSubscriptionCreate;
  }
  /** Events as the triggers write them: of SUS's grants (a service's client hears them), one subject each. */
  async function emitSus(n: number): Promise<void> {
    await execute(hub.app.orm.em.fork(), sql`insert into events (type, subject_type, subject_id, service_id, data)
      select 'grant.changed', 'Grant', gen_random_uuid(), s.id, jsonb_build_object('n', i) from services s cross join generate_series(1, ${n}) i where s.code = 'SUS'`);
  }
  /** Events of Arbetsförmedlingen's subtree (its organisation client hears them). */
  async function emitAf(n: number): Promise<void> {
    await execute(hub.app.orm.em.fork(), sql`insert into events (type, subject_type, subject_id, scope_path, data)
      select 'organisation.changed', 'Organisation', o.id, o.path, jsonb_build_object('n', i) from organisations o cross join generate_series(1, ${n}) i
      where o.id = (select organisation_id from clients where name = 'af-hr')`);
  }
  /** Runs the worker until `done` holds (on PostgreSQL a new event is read once no older transaction runs) or `tries` runs. */
  async function runUntil(done: () => boolean, tries = 40): Promise<void> {
    for (let i = 0; i < tries && !done(); i++) {
      await worker.runOnce();
      if (!done()) await new Promise((r) => setTimeout(r, 25));
    }
  }
  const deliveriesOf = async (subscription: string) =>
    Number((await execute<{ n: number }>(hub.app.orm.em.fork(), sql`select count(*)::int as n from webhook_deliveries where subscription_id = ${fromGlobalId(subscription)!.id}`))[0].n);

  beforeAll(async () => {
    hub = await startTestHub({ JOBS: 'false' });
    worker = new WebhookWorker(hub.app.orm, pino({ level: 'silent' }), { allowPrivateUrls: true, maxAttempts: 5, backoffBaseMs: 1, backoffMaxMs: 1, leaseMs: 5_000, timeoutMs: 2_000 });
    // Arbetsförmedlingen becomes SUS issuer with Jonas as its administrator: he then administers its client af-hr.
    const ids: Record<string, string> = {};
    const orgs: Record<string, string> = {};
    const services = await loadDemoDirectory(hub, ids, orgs);
    const mandate = await hub.upload<{ issuerMandateGrant: { userErrors: unknown[] } }>(
      await hub.token(demo.karin),
      MANDATE_GRANT,
      { input: { service: services.SUS, organisation: orgs['Arbetsförmedlingen'], agreementReference: 'FK-AF-1', agreementSignatory: 'GD', agreementDocument: null,
        supportEmail: 'sus-support@arbetsformedlingen.se', administrators: [ids.jonas], thresholdOverrideReason: 'Avtal' } },
      { 'input.agreementDocument': { bytes: pdf('Överenskommelse'), filename: 'avtal.pdf' } },
    );
    expect(mandate.data?.issuerMandateGrant.userErrors).toEqual([]);
  });
  afterAll(async () => {
    await worker.stop();
    await hub.close();
  });

  it('should disable a subscription at once when its receiver answers 410 Gone, audited, and go on from there when re-enabled', async () => {
    const answers = [404, 410];
    const receiver = await startReceiver(() => answers.shift() ?? 200);
    try {
      const { subscription, secret } = await subscribe('sus-backend', receiver.url, ['grant.changed']);
      await emitSus(3);
      // 404 is an ordinary failure: retried with back-off, the subscription stays on.
      await runUntil(() => receiver.received.length >= 2);
      const firstId = String(receiver.received[0].headers['webhook-id']);
      const goneId = String(receiver.received[1].headers['webhook-id']);
      // The second POST of the batch met 410: the batch's third delivery is not sent, nothing more is.
      // (404 on the first, 410 on the second, the third is handed back unsent.)
      expect(receiver.received).toHaveLength(2);
      await emitSus(2);
      await runUntil(() => receiver.received.length > 2, 10);
      const queued = await deliveriesOf(subscription.id);
      expect(receiver.received).toHaveLength(2);
      expect(await deliveriesOf(subscription.id), 'nothing is queued for a disabled subscription').toBe(queued);

      // The administrator of the client (SUS's authority) sees why; the audit trail names the worker.
      const seen = await hub.as<Hooks>(demo.karin, CLIENT_HOOKS);
      const sus = seen.data!.clients.nodes.find((c) => c.name === 'sus-backend')!;
      const sub = sus.webhookSubscriptions.nodes.find((s) => s.id === subscription.id)!;
      expect(sub).toMatchObject({ disabledCause: 'RECEIVER_GONE', disabledReason: expect.stringContaining('410 Gone') as unknown });
      expect(sub.disabledAt).toBeTruthy();
      const trail = await hub.as<{ auditEvents: { nodes: { action: string; actor: unknown; reason: string }[] } }>(
        demo.karin, 'query ($id: ID!) { auditEvents(target: $id, first: 10) { nodes { action actor { id } reason } } }', { id: subscription.id });
      const actions = trail.data!.auditEvents.nodes;
      expect(actions.map((a) => a.action).sort()).toEqual(['webhook.disable', 'webhook.subscribe']);
      expect(actions.find((a) => a.action === 'webhook.disable')).toMatchObject({ actor: null, reason: expect.stringContaining('410 Gone') as unknown });
      const hidden = await hub.as<{ auditEvents: { nodes: unknown[] } }>(demo.sofie, 'query ($id: ID!) { auditEvents(target: $id, first: 10) { nodes { action } } }', { id: subscription.id });
      expect(hidden.data?.auditEvents.nodes).toEqual([]);

      // An outsider (another service's authority, another client) cannot enable it: NOT_FOUND as for an unknown id.
      for (const [who, token] of [['sofie', await hub.token(demo.sofie)], ['vias-backend', await hub.clientToken('vias-backend')]] as const) {
        const refused = await hub.gql(ENABLE, { id: subscription.id, reason: 'x' }, token);
        const unknown = await hub.gql(ENABLE, { id: UNKNOWN_SUBSCRIPTION, reason: 'x' }, token);
        expect(refused.data, who).toEqual({ webhookSubscriptionEnable: { subscription: null, userErrors: [{ code: 'NOT_FOUND' }] } });
        expect(refused.data, who).toEqual(unknown.data);
      }
      const enabled = await hub.as<{ webhookSubscriptionEnable: { subscription: { disabledAt: string | null; disabledCause: string | null }; userErrors: unknown[] } }>(
        demo.karin, ENABLE, { id: subscription.id, reason: 'receiver is back' });
      expect(enabled.data?.webhookSubscriptionEnable).toEqual({ subscription: { id: subscription.id, disabledAt: null, disabledCause: null }, userErrors: [] });
      const again = await hub.as<{ webhookSubscriptionEnable: { userErrors: { code: string }[] } }>(demo.karin, ENABLE, { id: subscription.id, reason: 'twice' });
      expect(again.data?.webhookSubscriptionEnable.userErrors).toEqual([{ code: 'INVALID_STATE' }]);

      await runUntil(() => receiver.received.length >= 7);
      const ids = receiver.received.map((r) => String(r.headers['webhook-id']));
      // It goes on from where it stopped: the retried and the refused events again, the unsent one and the two of the pause.
      expect(ids).toHaveLength(7);
      expect(new Set(ids.slice(2)).size).toBe(5);
      expect(ids.slice(2)).toEqual(expect.arrayContaining([firstId, goneId]));
      const last = receiver.received[receiver.received.length - 1];
      expect(new Webhook(secret).verify(last.body, headersOf(last))).toMatchObject({ type: 'grant.changed' });
      const states = await execute<{ state: string }>(hub.app.orm.em.fork(), sql`select state from webhook_deliveries where subscription_id = ${fromGlobalId(subscription.id)!.id}`);
      expect(states.map((s) => s.state)).toEqual(Array(5).fill('delivered'));
    } finally {
      await receiver.close();
    }
  });

  it("should show an organisation client's subscriptions and dead letters to its issuer administrator only, who may replay, disable and enable", async () => {
    let failing = true;
    const receiver = await startReceiver(() => (failing ? 500 : 200));
    try {
      const { subscription } = await subscribe('af-hr', receiver.url, ['organisation.changed']);
      await emitAf(1);
      await runUntil(() => receiver.received.length >= 5);
      await worker.runOnce();
      expect(receiver.received).toHaveLength(5);

      const jonas = await hub.as<Hooks>(demo.jonas, CLIENT_HOOKS);
      expect(jonas.errors).toBeUndefined();
      const af = jonas.data!.clients.nodes.find((c) => c.name === 'af-hr')!;
      expect(af.webhookSubscriptions.totalCount).toBe(1);
      const letters = af.webhookSubscriptions.nodes[0].deliveries;
      expect(letters.totalCount).toBe(1);
      expect(letters.nodes[0]).toMatchObject({ state: 'DEAD', attempts: 5, lastStatus: 500, eventId: String(receiver.received[0].headers['webhook-id']) });

      // node(id:) answers what the lists answer: to the client's administrator and to the client itself.
      const NODE = 'query ($id: ID!) { node(id: $id) { id ... on WebhookSubscription { url } ... on WebhookDelivery { state } } }';
      expect((await hub.as(demo.jonas, NODE, { id: subscription.id })).data).toEqual({ node: { id: subscription.id, url: receiver.url } });
      expect((await hub.as(demo.jonas, NODE, { id: letters.nodes[0].id })).data).toEqual({ node: { id: letters.nodes[0].id, state: 'DEAD' } });
      expect((await hub.gql(NODE, { id: subscription.id }, await hub.clientToken('af-hr'))).data).toEqual({ node: { id: subscription.id, url: receiver.url } });
      // Outsiders: other organisations' and services' administrators, and another organisation's client.
      for (const email of [demo.karin, demo.sofie]) {
        const theirs = await hub.as<Hooks>(email, CLIENT_HOOKS);
        expect(theirs.data!.clients.nodes.map((c) => c.name), email).not.toContain('af-hr');
        for (const id of [af.id, subscription.id, letters.nodes[0].id]) expect((await hub.as(email, 'query ($id: ID!) { node(id: $id) { id } }', { id })).data, email).toEqual({ node: null });
      }
      for (const id of [subscription.id, letters.nodes[0].id]) expect((await hub.gql('query ($id: ID!) { node(id: $id) { id } }', { id }, await hub.clientToken('stockholm-hr'))).data).toEqual({ node: null });
      const outsiders = [await hub.token(demo.karin), await hub.token(demo.sofie), await hub.clientToken('stockholm-hr')];
      for (const token of outsiders) {
        for (const [query, id, unknown] of [[REPLAY, letters.nodes[0].id, UNKNOWN_DELIVERY], [DISABLE, subscription.id, UNKNOWN_SUBSCRIPTION]] as const) {
          const refused = await hub.gql<Record<string, { userErrors: { code: string }[] }>>(query, { id }, token);
          const missing = await hub.gql(query, { id: unknown }, token);
          expect(Object.values(refused.data!)[0].userErrors).toEqual([{ code: 'NOT_FOUND' }]);
          expect(refused.data).toEqual(missing.data);
        }
      }
      const untouched = await execute<{ state: string; disabled_at: unknown }>(hub.app.orm.em.fork(), sql`select d.state, s.disabled_at from webhook_deliveries d
        join webhook_subscriptions s on s.id = d.subscription_id where s.id = ${fromGlobalId(subscription.id)!.id}`);
      expect(untouched).toEqual([{ state: 'dead', disabled_at: null }]);

      failing = false;
      const replayed = await hub.as(demo.jonas, REPLAY, { id: letters.nodes[0].id });
      expect(replayed.data).toEqual({ webhookDeliveryReplay: { delivery: { state: 'PENDING' }, userErrors: [] } });
      await runUntil(() => receiver.received.length >= 6);
      expect(receiver.received).toHaveLength(6);
      expect(receiver.received[5].headers['webhook-id']).toBe(letters.nodes[0].eventId);

      const disabled = await hub.as<{ webhookSubscriptionDisable: unknown }>(demo.jonas, DISABLE, { id: subscription.id });
      expect(disabled.data?.webhookSubscriptionDisable).toMatchObject({ subscription: { disabledCause: 'MANUAL', disabledReason: 'maintenance window' }, userErrors: [] });
      await emitAf(1);
      await runUntil(() => receiver.received.length > 6, 10);
      expect(receiver.received).toHaveLength(6);
      // The client itself sees the same and may enable it again; the event of the pause then arrives.
      const own = await hub.gql<{ viewerClient: Hooks['clients']['nodes'][number] }>(
        '{ viewerClient { name webhookSubscriptions(first: 5) { totalCount nodes { id disabledCause deliveries(first: 5) { totalCount } } } } }', undefined, await hub.clientToken('af-hr'));
      expect(own.data?.viewerClient.webhookSubscriptions).toEqual({ totalCount: 1, nodes: [{ id: subscription.id, disabledCause: 'MANUAL', deliveries: { totalCount: 0 } }] });
      const enabled = await hub.gql(ENABLE, { id: subscription.id, reason: 'done' }, await hub.clientToken('af-hr'));
      expect(enabled.data).toMatchObject({ webhookSubscriptionEnable: { userErrors: [] } });
      await runUntil(() => receiver.received.length >= 7);
      expect(receiver.received).toHaveLength(7);
    } finally {
      await receiver.close();
    }
  });

  it('should read the subscriptions of a page of clients in as many statements whatever its size', async () => {
    const count = async (first: number) => {
      const res = await fetch(hub.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await hub.token(demo.karin)}` },
        body: JSON.stringify({ query: `{ clients(first: ${first}) { nodes { name webhookSubscriptions(first: 5) { totalCount nodes { id deliveries(first: 5) { totalCount nodes { id } } } } } } }` }),
      });
      const body = (await res.json()) as { data: { clients: { nodes: unknown[] } } };
      return { n: body.data.clients.nodes.length, statements: res.headers.get('x-sql-statements') };
    };
    const register = `mutation ($input: ClientRegisterInput!) { clientRegister(input: $input) { userErrors { code } } }`;
    const services = await hub.as<{ services: { nodes: { id: string; code: string }[] } }>(demo.karin, '{ services(first: 10) { nodes { id code } } }');
    const sus = services.data!.services.nodes.find((s) => s.code === 'SUS')!.id;
    await hub.as(demo.karin, register, { input: { name: 'sus-second', service: sus, credentials: [{ issuer: hub.app.devIssuer!.issuer, clientId: 'sus-second' }] } });
    await subscribe('sus-second', 'http://127.0.0.1:9/none', ['grant.ended']);
    await count(50);
    const one = await count(1);
    const all = await count(50);
    expect(one.n).toBe(1);
    expect(all.n).toBeGreaterThan(1);
    expect(all.statements).toBe(one.statements);
  });
});
