import type { Em } from '../db/orm.js';
import { OutboxMessage } from './outbox-message.entity.js';

export interface EmailToSend {
  recipient: string;
  subject: string;
  body: string;
  /** What it is about, for tracing (e.g. "order.approved"). */
  topic: string;
}

/** The subject column's width (outbox_messages.subject varchar(300)). */
const SUBJECT_MAX = 300;

/**
 * Queues an e-mail in the caller's transaction: it is sent only if the change it announces commits.
 * Nothing is flushed here. A bad recipient does not fail the decision: the worker refuses to send it and
 * keeps it as dead; an over-long subject (service and role names can reach 400 characters) is shortened.
 */
export function enqueueEmail(em: Em, email: EmailToSend): OutboxMessage {
  // Code points, as PostgreSQL counts them, so a cut never splits a surrogate pair.
  const subject = Array.from(email.subject.replace(/\s*[\r\n]+\s*/g, ' ').trim());
  return em.create(OutboxMessage, {
    recipient: email.recipient.trim(),
    subject: subject.length > SUBJECT_MAX ? `${subject.slice(0, SUBJECT_MAX - 1).join('')}…` : subject.join(''),
    body: email.body,
    topic: email.topic.slice(0, 64),
  });
}
