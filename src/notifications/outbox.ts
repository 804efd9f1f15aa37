import type { Em } from '../db/orm.js';
import { OutboxMessage } from './outbox-message.entity.js';

export interface EmailToSend {
  recipient: string;
  subject: string;
  body: string;
  /** What it is about, for tracing (e.g. "order.approved"). */
  topic: string;
}

/** Queues an e-mail in the caller's transaction: it is sent only if the change it announces commits. */
export function enqueueEmail(em: Em, email: EmailToSend): OutboxMessage {
  return em.create(OutboxMessage, { ...email });
}
