import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execute, sql } from '../../src/db/sql.js';
import { pruneDeliveries } from '../../src/webhooks/webhook.repository.js';
import { startTestHub, type TestHub } from '../support/hub.js';

const SUBSCRIBE = `mutation ($input: WebhookSubscriptionCreateInput!) { webhookSubscriptionCreate(input: $input) { subscription { id } userErrors { code } } }`;

/** Deliveries are kept as long as events (EVENT_RETENTION_DAYS): the hourly job deletes finished ones older than that. */
describe('webhook delivery retention', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub({ JOBS: 'false', EVENT_RETENTION_DAYS: '30' });
  });
  afterAll(() => hub.close());

  it('should delete delivered and dead deliveries older than the retention in batches, and keep pending and recent ones', async () => {
    const made = await hub.gql<{ webhookSubscriptionCreate: { subscription: { id: string }; userErrors: unknown[] } }>(
      SUBSCRIBE, { input: { url: 'https://hooks.example.org/sus', eventTypes: ['grant.activated'] } }, await hub.clientToken('sus-backend'));
    expect(made.data?.webhookSubscriptionCreate.userErrors).toEqual([]);
    const subscription = Buffer.from(made.data!.webhookSubscriptionCreate.subscription.id, 'base64url').toString().split(':')[1];
    const em = hub.app.orm.em.fork();
    // One delivery per (state, age in days): delivered ones dated by delivery, the others by creation.
    const cases = [['delivered', 40], ['delivered', 31], ['delivered', 29], ['dead', 40], ['dead', 2], ['pending', 40], ['pending', 1]] as const;
    for (const [state, age] of cases) {
      await execute(em, sql`insert into webhook_deliveries (id, subscription_id, event_id, event_tx, event_seq, subject_id, state, next_attempt_at, delivered_at, created_at)
        values (gen_random_uuid(), ${subscription}, gen_random_uuid(), 1, 1, gen_random_uuid(), ${state}, now(),
          ${state === 'delivered' ? sql`now() - ${age} * interval '1 day'` : sql`null`}, now() - ${age} * interval '1 day' - interval '1 hour')`);
    }
    const left = async () =>
      (await execute<{ state: string; age: number }>(em, sql`select state, floor(extract(epoch from now() - coalesce(delivered_at, created_at)) / 86400)::int as age
        from webhook_deliveries where subscription_id = ${subscription} order by state, age`)).map((r) => `${r.state} ${r.age}`);
    expect(await left()).toEqual(['dead 2', 'dead 40', 'delivered 29', 'delivered 31', 'delivered 40', 'pending 1', 'pending 40']);
    expect(await pruneDeliveries(em, hub.config.eventRetentionDays, 1)).toBe(3);
    expect(await left()).toEqual(['dead 2', 'delivered 29', 'pending 1', 'pending 40']);
    expect(await pruneDeliveries(em, hub.config.eventRetentionDays)).toBe(0);
  });
});
