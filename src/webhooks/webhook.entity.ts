import { defineEntity, p } from '@mikro-orm/core';
import { uuidv7 } from '../db/ids.js';
import { Client } from '../clients/client.entity.js';

export enum DisabledCause {
  /** The receiver answered 410 Gone: it wants no more webhooks (Standard Webhooks, "Delivery success and failure"). */
  RECEIVER_GONE = 'receiver_gone',
  /** The client, or an administrator of it, disabled it. */
  MANUAL = 'manual',
}

/**
 * A client's webhook: where its events go and which types. `cursorTx`/`cursorSeq` is how far the
 * fan-out has read the client's feed; `previousSecret` stays valid until `previousSecretUntil`
 * (rotation: both sign meanwhile).
 */
export const WebhookSubscriptionSchema = defineEntity({
  name: 'WebhookSubscription',
  tableName: 'webhook_subscriptions',
  properties: {
    id: p.uuid().primary().onCreate(() => uuidv7()),
    client: () => p.manyToOne(Client).index(),
    url: p.string().length(2000),
    eventTypes: p.array().$type<string[]>(),
    secret: p.string().length(100),
    previousSecret: p.string().length(100).nullable(),
    previousSecretUntil: p.datetime().nullable(),
    cursorTx: p.bigint(),
    cursorSeq: p.bigint(),
    disabledAt: p.datetime().nullable(),
    /** Why it stopped: its receiver answered 410 Gone, or someone who manages it disabled it. */
    disabledCause: p.enum(() => DisabledCause).nullable(),
    disabledReason: p.text().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export class WebhookSubscription extends WebhookSubscriptionSchema.class {}
WebhookSubscriptionSchema.setClass(WebhookSubscription);

export enum DeliveryState {
  PENDING = 'pending',
  DELIVERED = 'delivered',
  /** Gave up after the last retry: a dead letter, visible and replayable by the subscription's client. */
  DEAD = 'dead',
}

/** One event for one subscription: retried with back-off, in order per subject, claimed with a lease. */
export const WebhookDeliverySchema = defineEntity({
  name: 'WebhookDelivery',
  tableName: 'webhook_deliveries',
  properties: {
    id: p.uuid().primary().onCreate(() => uuidv7()),
    subscription: () => p.manyToOne(WebhookSubscription),
    eventId: p.uuid(),
    eventTx: p.bigint(),
    eventSeq: p.bigint(),
    subjectId: p.uuid(),
    state: p.enum(() => DeliveryState).default(DeliveryState.PENDING),
    attempts: p.integer().default(0),
    nextAttemptAt: p.datetime().onCreate(() => new Date()),
    lockedBy: p.string().length(100).nullable(),
    lockedUntil: p.datetime().nullable(),
    lastStatus: p.integer().nullable(),
    lastError: p.text().nullable(),
    deliveredAt: p.datetime().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
  uniques: [{ name: 'webhook_deliveries_once', properties: ['subscription', 'eventId'] }],
  indexes: [
    { name: 'webhook_deliveries_due_idx', expression: `create index "webhook_deliveries_due_idx" on "webhook_deliveries" ("next_attempt_at") where "state" = 'pending'` },
    { name: 'webhook_deliveries_subject_idx', expression: `create index "webhook_deliveries_subject_idx" on "webhook_deliveries" ("subscription_id", "subject_id", "event_tx", "event_seq") where "state" = 'pending'` },
    { name: 'webhook_deliveries_state_idx', properties: ['subscription', 'state', 'createdAt'] },
  ],
});
export class WebhookDelivery extends WebhookDeliverySchema.class {}
WebhookDeliverySchema.setClass(WebhookDelivery);
