import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { execute, sql } from '../../src/db/sql.js';
import { WebhookWorker } from '../../src/webhooks/webhook-worker.js';
import { startTestHub, type TestHub } from '../support/hub.js';
import { startReceiver } from './receiver.js';

const SUBSCRIBE = `mutation ($input: WebhookSubscriptionCreateInput!) { webhookSubscriptionCreate(input: $input) { secret userErrors { code } } }`;

async function subscribe(hub: TestHub, url: string): Promise<void> {
  const r = await hub.gql<{ webhookSubscriptionCreate: { userErrors: unknown[] } }>(SUBSCRIBE, { input: { url, eventTypes: ['grant.changed'] } }, await hub.clientToken('sus-backend'));
  expect(r.errors ?? r.data?.webhookSubscriptionCreate.userErrors).toEqual([]);
}

/** Events of SUS, one subject each, as the grant triggers would write them. */
async function emit(hub: TestHub, n: number): Promise<void> {
  await execute(hub.app.orm.em.fork(), sql`insert into events (type, subject_type, subject_id, service_id, data)
    select 'grant.changed', 'Grant', gen_random_uuid(), s.id, jsonb_build_object('n', i) from services s cross join generate_series(1, ${n}) i where s.code = 'SUS'`);
}

async function until(done: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!done() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
}

const ids = (received: { headers: Record<string, unknown> }[]) => received.map((r) => String(r.headers['webhook-id']));

// Several processes share one database only on PostgreSQL (DATABASE_URL).
describe.skipIf(!process.env.DATABASE_URL)('webhook workers on several instances', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  it('should never deliver one attempt twice with two hub processes polling', async () => {
    const a = await startTestHub({ WEBHOOK_POLL_MS: '20' });
    cleanup.push(() => a.close());
    const b = await startTestHub({ WEBHOOK_POLL_MS: '20' }, a);
    cleanup.push(() => b.close());
    const receiver = await startReceiver();
    cleanup.push(() => receiver.close());
    await subscribe(a, receiver.url);
    await emit(a, 80);
    await until(() => new Set(ids(receiver.received)).size >= 80, 30_000);
    await new Promise((r) => setTimeout(r, 500));
    expect(new Set(ids(receiver.received)).size).toBe(80);
    expect(receiver.received).toHaveLength(80);
    const rows = await execute<{ state: string; attempts: number }>(a.app.orm.em.fork(), sql`select state, attempts from webhook_deliveries`);
    expect(rows.every((r) => r.state === 'delivered' && Number(r.attempts) === 1)).toBe(true);
  }, 60_000);

  it('should lose nothing when the worker is killed with SIGKILL mid-delivery', async () => {
    const hub = await startTestHub({ JOBS: 'false' });
    cleanup.push(() => hub.close());
    let hold = true;
    let hung: (() => void) | null = null;
    const holding = new Promise<void>((resolve) => (hung = resolve));
    const receiver = await startReceiver(() => {
      if (!hold) return 200;
      hold = false;
      hung?.();
      return null;
    });
    cleanup.push(() => receiver.close());
    await subscribe(hub, receiver.url);
    await emit(hub, 5);

    const child = fork(fileURLToPath(new URL('./worker-child.ts', import.meta.url)), [hub.db.url!], { execArgv: ['--import', 'tsx'], stdio: 'ignore' });
    cleanup.push(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    await holding;
    child.kill('SIGKILL');
    await once(child, 'exit');
    expect(child.signalCode).toBe('SIGKILL');
    const first = ids(receiver.received)[0];

    const worker = new WebhookWorker(hub.app.orm, pino({ level: 'silent' }), { allowPrivateUrls: true, leaseMs: 3_000, timeoutMs: 2_500 });
    cleanup.push(() => worker.stop());
    for (let i = 0; i < 200 && new Set(ids(receiver.received)).size < 5; i++) {
      await worker.runOnce();
      await new Promise((r) => setTimeout(r, 100));
    }
    // The receiver deduplicates by webhook-id: five events, the interrupted one seen twice.
    expect(new Set(ids(receiver.received)).size).toBe(5);
    expect(ids(receiver.received).filter((i) => i === first)).toHaveLength(2);
    const rows = await execute<{ state: string }>(hub.app.orm.em.fork(), sql`select state from webhook_deliveries`);
    expect(rows.map((r) => r.state)).toEqual(Array(5).fill('delivered'));
  }, 60_000);
});
