import type { Actor } from '../auth/actor.js';
import type { Em } from '../db/orm.js';
import { execute, sql } from '../db/sql.js';
import { decodeFeedCursor, readFeed, type FeedPage } from './event.repository.js';

/** The event types the hub writes (migration provisioning): what a subscription may ask for. */
export const EVENT_TYPES = [
  'grant.activated',
  'grant.suspended',
  'grant.resumed',
  'grant.changed',
  'grant.ended',
  'person.joined',
  'person.moved',
  'person.leaving',
  'person.left',
  'organisation.created',
  'organisation.moved',
  'organisation.changed',
  'mandate.granted',
  'mandate.changed',
  'mandate.ended',
] as const;

export interface NewEvent {
  type: string;
  subjectType: string;
  subjectId: string;
  /** The service it concerns (a service's clients see it). */
  serviceId?: string | null;
  /** The person it concerns (a service's clients see it while the person holds one of its grants). */
  personId?: string | null;
  /** The organisation the subject belongs to (its clients, and those above it, see it). */
  organisationId?: string | null;
  data: Record<string, unknown>;
}

/**
 * Writes an event in the caller's transaction: the one way in for changes no table trigger sees
 * (the triggers on grants, employments, users, organisations and mandates insert the same rows).
 * The events table's trigger stamps its id, order, transaction and time.
 */
export async function emitEvent(tx: Em, event: NewEvent): Promise<void> {
  await execute(
    tx,
    sql`insert into events (type, subject_type, subject_id, service_id, person_id, scope_path, data)
      values (${event.type}, ${event.subjectType}, ${event.subjectId}, ${event.serviceId ?? null}, ${event.personId ?? null},
        (select path from organisations where id = ${event.organisationId ?? null}), ${JSON.stringify(event.data)}::jsonb)`,
  );
}

/** The pull feed of the signed-in client: its events after a cursor, oldest first. */
export function eventFeed(actor: Actor, q: { after: string | null; first: number; types?: string[] | null }): Promise<FeedPage> {
  actor.policy.requireClient();
  return readFeed(actor.em, actor.policy, { after: q.after ? decodeFeedCursor(q.after) : null, size: q.first, types: q.types });
}
