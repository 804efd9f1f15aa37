import type { Policy } from '../auth/policy.js';
import type { Em } from '../db/orm.js';
import { NestedPageLoader } from '../db/page-loader.js';
import { execute, sql } from '../db/sql.js';
import { DeliveryState, WebhookDelivery, WebhookSubscription } from './webhook.entity.js';

/**
 * Webhook subscriptions and deliveries through the viewer's policy (manageableWebhookSubscriptions):
 * a client's own, or those of the clients a person administers. Nothing here reads without it.
 */
export class WebhookRepository {
  constructor(
    private readonly em: Em,
    private readonly policy: Policy,
  ) {}

  /** Subscriptions the viewer manages, optionally of one client, newest first. */
  subscriptionList(clientId?: string) {
    const own = clientId ? sql` and t.client_id = ${clientId}` : sql``;
    return { from: sql`webhook_subscriptions t`, where: sql`${this.policy.manageableWebhookSubscriptions('t')}${own}`, keys: ['t.created_at', 't.id'] };
  }

  /** Deliveries in a state of subscriptions the viewer manages, oldest first. */
  deliveryList(state: DeliveryState, subscriptionId?: string) {
    const one = subscriptionId ? sql` and t.subscription_id = ${subscriptionId}` : sql``;
    const where = sql`t.state = ${state}${one} and exists (select 1 from webhook_subscriptions ws where ws.id = t.subscription_id and ${this.policy.manageableWebhookSubscriptions('ws')})`;
    return { from: sql`webhook_deliveries t`, where, keys: ['t.created_at', 't.id'] };
  }

  /** Pages of clients' subscriptions, batched across the clients of a page. */
  pagesByClient(): NestedPageLoader<WebhookSubscription, null> {
    return new NestedPageLoader(this.em, WebhookSubscription, () => ({ ...this.subscriptionList(), parentColumn: 't.client_id' }));
  }

  /** Pages of subscriptions' deliveries in a state, batched across the subscriptions of a page. */
  pagesBySubscription(): NestedPageLoader<WebhookDelivery, DeliveryState> {
    return new NestedPageLoader(this.em, WebhookDelivery, (state) => ({ ...this.deliveryList(state), parentColumn: 't.subscription_id' }));
  }

  /** Subscriptions among `ids` the viewer manages (node(id:)); the others are absent, as unknown ids are. */
  async subscriptionsVisible(ids: string[]): Promise<Map<string, WebhookSubscription>> {
    if (ids.length === 0) return new Map();
    const rows = await execute<Record<string, unknown>>(this.em, sql`select t.* from webhook_subscriptions t where t.id in (${ids}) and ${this.policy.manageableWebhookSubscriptions('t')}`);
    return new Map(rows.map((r) => [r.id as string, this.em.map(WebhookSubscription, r)]));
  }

  /** Deliveries among `ids` of subscriptions the viewer manages (node(id:)). */
  async deliveriesVisible(ids: string[]): Promise<Map<string, WebhookDelivery>> {
    if (ids.length === 0) return new Map();
    const rows = await execute<Record<string, unknown>>(
      this.em,
      sql`select d.* from webhook_deliveries d join webhook_subscriptions t on t.id = d.subscription_id where d.id in (${ids}) and ${this.policy.manageableWebhookSubscriptions('t')}`,
    );
    return new Map(rows.map((r) => [r.id as string, this.em.map(WebhookDelivery, r)]));
  }

  /** A subscription the viewer manages, locked for the transaction; null when not theirs. */
  async subscriptionForUpdate(id: string): Promise<WebhookSubscription | null> {
    const [row] = await execute<Record<string, unknown>>(
      this.em,
      sql`select t.* from webhook_subscriptions t where t.id = ${id} and ${this.policy.manageableWebhookSubscriptions('t')} for update of t`,
    );
    return row ? this.em.map(WebhookSubscription, row) : null;
  }

  /** A delivery of a subscription the viewer manages, locked; null when not theirs. */
  async deliveryForUpdate(id: string): Promise<WebhookDelivery | null> {
    const [row] = await execute<Record<string, unknown>>(
      this.em,
      sql`select d.* from webhook_deliveries d join webhook_subscriptions t on t.id = d.subscription_id
        where d.id = ${id} and ${this.policy.manageableWebhookSubscriptions('t')} for update of d`,
    );
    return row ? this.em.map(WebhookDelivery, row) : null;
  }

  /** The organisation a subscription's client acts for (what scopes its audit events); null for a service's client. */
  async organisationOf(subscriptionId: string): Promise<string | null> {
    const [row] = await execute<{ organisation_id: string | null }>(
      this.em,
      sql`select c.organisation_id from webhook_subscriptions s join clients c on c.id = s.client_id where s.id = ${subscriptionId}`,
    );
    return row?.organisation_id ?? null;
  }
}

/**
 * Deletes finished deliveries older than the retention period (batches), as the feed deletes its
 * events: delivered ones by when they were delivered, dead letters by when they were made (their
 * event is gone by then, so a replay could only fail). Pending ones stay. Safe on several instances.
 */
export async function pruneDeliveries(em: Em, retentionDays: number, batch = 5_000): Promise<number> {
  let total = 0;
  for (;;) {
    const rows = await execute(
      em,
      sql`delete from webhook_deliveries where id in (select id from webhook_deliveries
          where (state = 'delivered' and delivered_at < now() - ${retentionDays} * interval '1 day')
             or (state = 'dead' and created_at < now() - ${retentionDays} * interval '1 day')
          limit ${batch} for update skip locked) returning id`,
    );
    total += rows.length;
    if (rows.length < batch) return total;
  }
}
