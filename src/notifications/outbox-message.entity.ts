import { defineEntity, p } from '@mikro-orm/core';
import { uuidv7 } from '../db/ids.js';

export enum OutboxState {
  PENDING = 'pending',
  SENT = 'sent',
  /** Gave up after the last retry; kept for an operator to look at. */
  DEAD = 'dead',
}

/**
 * An e-mail to send, written in the same transaction as the decision it announces (transactional
 * outbox). Workers claim due messages with a lease, so several instances never send one twice.
 */
export const OutboxMessageSchema = defineEntity({
  name: 'OutboxMessage',
  tableName: 'outbox_messages',
  properties: {
    id: p.uuid().primary().onCreate(() => uuidv7()),
    state: p.enum(() => OutboxState).default(OutboxState.PENDING),
    recipient: p.string().length(254),
    subject: p.string().length(300),
    body: p.text(),
    /** What it is about, for tracing (e.g. "order.approved"). */
    topic: p.string().length(64),
    attempts: p.integer().default(0),
    nextAttemptAt: p.datetime().onCreate(() => new Date()),
    lockedBy: p.string().length(100).nullable(),
    lockedUntil: p.datetime().nullable(),
    lastError: p.text().nullable(),
    sentAt: p.datetime().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
  indexes: [{ name: 'outbox_messages_due_idx', properties: ['state', 'nextAttemptAt'] }],
});
export class OutboxMessage extends OutboxMessageSchema.class {}
OutboxMessageSchema.setClass(OutboxMessage);
