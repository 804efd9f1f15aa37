import { randomBytes } from 'node:crypto';
import { audit } from '../audit/audit.service.js';
import type { Actor } from '../auth/actor.js';
import { countRows, fetchPage } from '../db/paginate.js';
import type { Page, PageRequest } from '../db/paging.js';
import { execute, sql } from '../db/sql.js';
import { ProblemCode } from '../domain/errors.js';
import { idOfType } from '../domain/global-id.js';
import { Problems } from '../domain/problems.js';
import { EVENT_TYPES } from '../events/event.service.js';
import { Client } from '../clients/client.entity.js';
import { webhookUrlProblem } from './webhook-url.js';
import { DeliveryState, WebhookDelivery, WebhookSubscription } from './webhook.entity.js';

/** How long the previous secret still signs after a rotation, so receivers can switch without losing a webhook. */
export const ROTATION_OVERLAP_MS = 24 * 3600 * 1000;
const MAX_SUBSCRIPTIONS = 10;

const newSecret = () => `whsec_${randomBytes(24).toString('base64')}`;

export interface SubscriptionInput {
  url: string;
  eventTypes: string[];
}

/**
 * A client's webhook subscriptions, dead letters and replays. Only the client itself (signed in with
 * its client-credentials token) manages them: another client's subscription is absent (NOT_FOUND, as
 * for an unknown id). Each change is one transaction with its audit event.
 */
export class WebhookService {
  constructor(
    private readonly actor: Actor,
    private readonly allowPrivateUrls: boolean,
  ) {}

  async create(input: SubscriptionInput): Promise<{ subscription: WebhookSubscription; secret: string }> {
    const client = this.actor.policy.requireClient();
    const types = this.checked(input);
    return this.actor.em.transactional(async (tx) => {
      const [{ n }] = await execute<{ n: number }>(tx, sql`select count(*)::int as n from webhook_subscriptions where client_id = ${client.id} and disabled_at is null`);
      if (Number(n) >= MAX_SUBSCRIPTIONS) throw Problems.single(ProblemCode.QUOTA_EXCEEDED, ['input'], `A client has at most ${MAX_SUBSCRIPTIONS} subscriptions.`);
      // From now on: events of transactions still running count as new, those already settled do not.
      const [start] = await execute<{ tx: string }>(tx, sql`select (pg_snapshot_xmin(pg_current_snapshot())::text::bigint - 1)::text as tx`);
      const secret = newSecret();
      const subscription = tx.create(WebhookSubscription, {
        client: tx.getReference(Client, client.id),
        url: input.url,
        eventTypes: types,
        secret,
        cursorTx: BigInt(start.tx),
        cursorSeq: 9223372036854775807n,
      });
      this.audit(tx, 'webhook.subscribe', subscription, client.organisationId, { url: input.url, eventTypes: types });
      return { subscription, secret };
    });
  }

  /** A new secret; the old one keeps signing (both signatures sent) for ROTATION_OVERLAP_MS. */
  async rotateSecret(id: string): Promise<{ subscription: WebhookSubscription; secret: string }> {
    const client = this.actor.policy.requireClient();
    return this.actor.em.transactional(async (tx) => {
      const subscription = await this.own(tx, id);
      const secret = newSecret();
      subscription.previousSecret = subscription.secret;
      subscription.previousSecretUntil = new Date(this.actor.now().getTime() + ROTATION_OVERLAP_MS);
      subscription.secret = secret;
      this.audit(tx, 'webhook.rotate-secret', subscription, client.organisationId, { previousSecretUntil: subscription.previousSecretUntil.toISOString() });
      return { subscription, secret };
    });
  }

  async disable(id: string): Promise<WebhookSubscription> {
    const client = this.actor.policy.requireClient();
    return this.actor.em.transactional(async (tx) => {
      const subscription = await this.own(tx, id);
      if (subscription.disabledAt) throw Problems.single(ProblemCode.INVALID_STATE, ['id'], 'The subscription is already disabled.');
      subscription.disabledAt = this.actor.now();
      this.audit(tx, 'webhook.disable', subscription, client.organisationId, { disabledAt: subscription.disabledAt.toISOString() });
      return subscription;
    });
  }

  /** Sends a dead letter again: pending now, attempts from zero, behind nothing but earlier pending ones of its subject. */
  async replay(deliveryId: string): Promise<WebhookDelivery> {
    const client = this.actor.policy.requireClient();
    const id = idOfType(deliveryId, 'WebhookDelivery');
    return this.actor.em.transactional(async (tx) => {
      const [row] = id
        ? await execute<Record<string, unknown>>(tx, sql`select d.* from webhook_deliveries d join webhook_subscriptions s on s.id = d.subscription_id
            where d.id = ${id} and s.client_id = ${client.id} for update of d`)
        : [];
      if (!row) throw Problems.notFound(['id'], 'webhook delivery');
      const delivery = tx.map(WebhookDelivery, row);
      if (delivery.state !== DeliveryState.DEAD) throw Problems.single(ProblemCode.INVALID_STATE, ['id'], 'Only a dead letter can be replayed.');
      delivery.state = DeliveryState.PENDING;
      delivery.attempts = 0;
      delivery.nextAttemptAt = this.actor.now();
      delivery.lastError = null;
      audit(tx, this.actor.viewer, this.actor.requestId, { action: 'webhook.replay', targetType: 'WebhookDelivery', targetId: delivery.id, organisationId: client.organisationId, after: { state: 'pending' } });
      return delivery;
    });
  }

  /** The client's subscriptions, newest first. */
  subscriptions(request: PageRequest): Promise<Page<WebhookSubscription>> {
    const client = this.actor.policy.requireClient();
    return fetchPage(this.actor.em, WebhookSubscription, { from: sql`webhook_subscriptions t`, where: sql`t.client_id = ${client.id}`, keys: ['t.created_at', 't.id'] }, request);
  }

  countSubscriptions(): Promise<number> {
    const client = this.actor.policy.requireClient();
    return countRows(this.actor.em, { from: sql`webhook_subscriptions t`, where: sql`t.client_id = ${client.id}` });
  }

  /** A subscription's deliveries in a state (dead letters by default), oldest first. */
  deliveries(subscriptionId: string, state: DeliveryState, request: PageRequest): Promise<Page<WebhookDelivery>> {
    return fetchPage(this.actor.em, WebhookDelivery, this.deliveryList(subscriptionId, state), request);
  }

  countDeliveries(subscriptionId: string, state: DeliveryState): Promise<number> {
    return countRows(this.actor.em, this.deliveryList(subscriptionId, state));
  }

  /** Deliveries of one of the signed-in client's own subscriptions. */
  private deliveryList(subscriptionId: string, state: DeliveryState) {
    const client = this.actor.policy.requireClient();
    const where = sql`t.subscription_id = ${subscriptionId} and t.state = ${state} and exists (select 1 from webhook_subscriptions s where s.id = t.subscription_id and s.client_id = ${client.id})`;
    return { from: sql`webhook_deliveries t`, where, keys: ['t.created_at', 't.id'] };
  }

  private checked(input: SubscriptionInput): string[] {
    const problems = new Problems();
    const urlProblem = webhookUrlProblem(input.url, this.allowPrivateUrls);
    if (urlProblem) problems.add(ProblemCode.INVALID, ['input', 'url'], urlProblem);
    const known = new Set<string>(EVENT_TYPES);
    const types = [...new Set(input.eventTypes)];
    if (types.length === 0) problems.add(ProblemCode.REQUIRED, ['input', 'eventTypes'], 'Name at least one event type.');
    types.forEach((t, i) => {
      if (!known.has(t)) problems.add(ProblemCode.INVALID, ['input', 'eventTypes', String(i)], `Unknown event type; one of ${EVENT_TYPES.join(', ')}.`);
    });
    problems.throwIfAny();
    return types;
  }

  private async own(tx: Actor['em'], globalId: string): Promise<WebhookSubscription> {
    const client = this.actor.policy.requireClient();
    const id = idOfType(globalId, 'WebhookSubscription');
    const [row] = id ? await execute<Record<string, unknown>>(tx, sql`select * from webhook_subscriptions where id = ${id} and client_id = ${client.id} for update`) : [];
    if (!row) throw Problems.notFound(['id'], 'webhook subscription');
    return tx.map(WebhookSubscription, row);
  }

  private audit(tx: Actor['em'], action: string, s: WebhookSubscription, organisationId: string | null, after: Record<string, unknown>): void {
    audit(tx, this.actor.viewer, this.actor.requestId, { action, targetType: 'WebhookSubscription', targetId: s.id, organisationId, after });
  }
}
