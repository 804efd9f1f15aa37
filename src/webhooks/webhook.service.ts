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
import { DeliveryState, DisabledCause, WebhookDelivery, WebhookSubscription } from './webhook.entity.js';
import { WebhookRepository } from './webhook.repository.js';

/** How long the previous secret still signs after a rotation, so receivers can switch without losing a webhook. */
export const ROTATION_OVERLAP_MS = 24 * 3600 * 1000;
const MAX_SUBSCRIPTIONS = 10;

const newSecret = () => `whsec_${randomBytes(24).toString('base64')}`;

export interface SubscriptionInput {
  url: string;
  eventTypes: string[];
}

/**
 * A client's webhook subscriptions, dead letters and replays. The client itself (signed in with its
 * client-credentials token) creates them and rotates their secrets; it and the people who administer
 * it (Policy.manageableWebhookSubscriptions) see them, their dead letters, replay, disable and
 * enable. Anyone else's subscription is absent (NOT_FOUND, as for an unknown id). Each change is one
 * transaction with its audit event.
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
      const { subscription } = await this.managed(tx, id);
      const secret = newSecret();
      subscription.previousSecret = subscription.secret;
      subscription.previousSecretUntil = new Date(this.actor.now().getTime() + ROTATION_OVERLAP_MS);
      subscription.secret = secret;
      this.audit(tx, 'webhook.rotate-secret', subscription, client.organisationId, { previousSecretUntil: subscription.previousSecretUntil.toISOString() });
      return { subscription, secret };
    });
  }

  /** Stops a subscription (cause MANUAL): nothing more is queued or sent until it is enabled again. */
  async disable(id: string, reason: string | null): Promise<WebhookSubscription> {
    const why = reason?.trim() ? Problems.reason(reason) : null;
    return this.actor.em.transactional(async (tx) => {
      const { subscription, organisationId } = await this.managed(tx, id);
      if (subscription.disabledAt) throw Problems.single(ProblemCode.INVALID_STATE, ['id'], 'The subscription is already disabled.');
      subscription.disabledAt = this.actor.now();
      subscription.disabledCause = DisabledCause.MANUAL;
      subscription.disabledReason = why;
      this.audit(tx, 'webhook.disable', subscription, organisationId, { disabledAt: subscription.disabledAt.toISOString(), disabledCause: DisabledCause.MANUAL }, why);
      return subscription;
    });
  }

  /**
   * Starts a disabled subscription again (after a 410 Gone, or a manual stop): it goes on from where
   * it stopped, the delivery the receiver refused first, then what happened meanwhile (within the
   * feed's retention), in order per subject.
   */
  async enable(id: string, reason: string): Promise<WebhookSubscription> {
    const why = Problems.reason(reason);
    return this.actor.em.transactional(async (tx) => {
      const { subscription, organisationId } = await this.managed(tx, id);
      if (!subscription.disabledAt) throw Problems.single(ProblemCode.INVALID_STATE, ['id'], 'The subscription is not disabled.');
      const before = { disabledAt: subscription.disabledAt.toISOString(), disabledCause: subscription.disabledCause ?? null, disabledReason: subscription.disabledReason ?? null };
      subscription.disabledAt = null;
      subscription.disabledCause = null;
      subscription.disabledReason = null;
      this.audit(tx, 'webhook.enable', subscription, organisationId, { disabledAt: null }, why, before);
      return subscription;
    });
  }

  /** Sends a dead letter again: pending now, attempts from zero, behind nothing but earlier pending ones of its subject. */
  async replay(deliveryId: string): Promise<WebhookDelivery> {
    const id = idOfType(deliveryId, 'WebhookDelivery');
    return this.actor.em.transactional(async (tx) => {
      const delivery = id ? await new WebhookRepository(tx, this.actor.policy).deliveryForUpdate(id) : null;
      if (!delivery) throw Problems.notFound(['id'], 'webhook delivery');
      if (delivery.state !== DeliveryState.DEAD) throw Problems.single(ProblemCode.INVALID_STATE, ['id'], 'Only a dead letter can be replayed.');
      delivery.state = DeliveryState.PENDING;
      delivery.attempts = 0;
      delivery.nextAttemptAt = this.actor.now();
      delivery.lastError = null;
      const organisationId = await new WebhookRepository(tx, this.actor.policy).organisationOf(delivery.subscription.id);
      audit(tx, this.actor.viewer, this.actor.requestId, { action: 'webhook.replay', targetType: 'WebhookDelivery', targetId: delivery.id, organisationId, after: { state: 'pending' } });
      return delivery;
    });
  }

  /** The signed-in client's subscriptions, newest first. */
  subscriptions(request: PageRequest): Promise<Page<WebhookSubscription>> {
    this.actor.policy.requireClient();
    return fetchPage(this.actor.em, WebhookSubscription, this.repo().subscriptionList(), request);
  }

  countSubscriptions(): Promise<number> {
    this.actor.policy.requireClient();
    return countRows(this.actor.em, this.repo().subscriptionList());
  }

  private repo(): WebhookRepository {
    return new WebhookRepository(this.actor.em, this.actor.policy);
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

  /** A subscription the viewer manages, locked, with the organisation its client acts for; NOT_FOUND otherwise. */
  private async managed(tx: Actor['em'], globalId: string): Promise<{ subscription: WebhookSubscription; organisationId: string | null }> {
    if (!this.actor.viewer.client) this.actor.policy.requireUser();
    const id = idOfType(globalId, 'WebhookSubscription');
    const repo = new WebhookRepository(tx, this.actor.policy);
    const subscription = id ? await repo.subscriptionForUpdate(id) : null;
    if (!subscription) throw Problems.notFound(['id'], 'webhook subscription');
    return { subscription, organisationId: await repo.organisationOf(subscription.id) };
  }

  private audit(tx: Actor['em'], action: string, s: WebhookSubscription, organisationId: string | null, after: Record<string, unknown>, reason: string | null = null, before: Record<string, unknown> | null = null): void {
    audit(tx, this.actor.viewer, this.actor.requestId, { action, targetType: 'WebhookSubscription', targetId: s.id, organisationId, after, reason, before });
  }
}
