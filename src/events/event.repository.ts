import type { Policy } from '../auth/policy.js';
import type { Em } from '../db/orm.js';
import { execute, Sql, sql } from '../db/sql.js';
import { InvalidArgument } from '../domain/errors.js';
import { toGlobalId } from '../domain/global-id.js';

/** An event as every edge hands it out: the feed, GET /events and webhook bodies. */
export interface FeedEvent {
  /** Stable: the webhook-id of its deliveries, so a receiver deduplicates by it. */
  id: string;
  type: string;
  subject: { type: string; id: string };
  occurredAt: Date;
  data: Record<string, unknown>;
  /** Where the event lies in the feed: `after` this resumes behind it. */
  cursor: string;
}

export interface FeedPage {
  events: FeedEvent[];
  /** The cursor to resume from: the last event's, or the one asked with when nothing new came. */
  endCursor: string | null;
  hasNextPage: boolean;
}

/** A feed position: the writing transaction's id and the event's sequence number. */
export interface FeedPosition {
  tx: string;
  seq: string;
}

export function encodeFeedCursor(p: FeedPosition): string {
  return Buffer.from(`${p.tx}:${p.seq}`, 'utf8').toString('base64url');
}

export function decodeFeedCursor(cursor: string, arg = 'after'): FeedPosition {
  const match = /^(\d{1,19}):(\d{1,19})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) throw new InvalidArgument(`\`${arg}\` is not a cursor of the event feed.`, arg);
  return { tx: match[1], seq: match[2] };
}

interface Row {
  id: string;
  tx_id: string;
  seq: string;
  type: string;
  subject_type: string;
  subject_id: string;
  occurred_at: Date | string;
  data: Record<string, unknown> | string;
}

/**
 * Only transactions older than every one still in progress: an event becomes readable once nothing
 * that could commit later sorts before it, so a cursor never passes an event not yet committed.
 */
const SETTLED = Sql.raw('t.tx_id < pg_snapshot_xmin(pg_current_snapshot())::text::bigint');

/**
 * Reads the events a client may see after a position, oldest first, through the Policy's
 * readableEvents: the same scope for GraphQL, GET /events and the webhook fan-out.
 */
export async function readFeed(em: Em, policy: Policy, q: { after: FeedPosition | null; size: number; types?: string[] | null }): Promise<FeedPage> {
  if (q.after) {
    const [stale] = await execute<{ pruned_at: Date | string | null }>(
      em,
      sql`select h.pruned_at from event_horizon h where h.id = 1 and (${q.after.tx}::bigint, ${q.after.seq}::bigint) < (h.tx_id, h.seq)`,
    );
    if (stale) {
      throw new InvalidArgument(
        'The cursor is older than the events the hub keeps (EVENT_RETENTION_DAYS): some that followed it were deleted. Read the feed again from the start (no cursor) and reconcile.',
        'after',
        'CURSOR_EXPIRED',
      );
    }
  }
  const seek = q.after ? sql`and (t.tx_id, t.seq) > (${q.after.tx}::bigint, ${q.after.seq}::bigint)` : sql``;
  const types = q.types?.length ? sql`and t.type in (${q.types})` : sql``;
  const rows = await execute<Row>(
    em,
    sql`select t.id, t.tx_id::text as tx_id, t.seq::text as seq, t.type, t.subject_type, t.subject_id, t.occurred_at, t.data from events t
      where ${policy.readableEvents('t')} and ${SETTLED} ${seek} ${types}
      order by t.tx_id, t.seq limit ${q.size + 1}`,
  );
  const events = rows.slice(0, q.size).map(feedEvent);
  const last = events.length ? events[events.length - 1].cursor : q.after ? encodeFeedCursor(q.after) : null;
  return { events, endCursor: last, hasNextPage: rows.length > q.size };
}

function feedEvent(r: Row): FeedEvent {
  return {
    id: r.id,
    type: r.type,
    subject: { type: r.subject_type, id: toGlobalId(r.subject_type, r.subject_id) },
    occurredAt: new Date(r.occurred_at),
    data: typeof r.data === 'string' ? (JSON.parse(r.data) as Record<string, unknown>) : r.data,
    cursor: encodeFeedCursor({ tx: r.tx_id, seq: r.seq }),
  };
}

/** Events by id, unscoped: for the webhook worker, which delivers only what the fan-out scoped. */
export async function eventsById(em: Em, ids: string[]): Promise<Map<string, FeedEvent>> {
  if (ids.length === 0) return new Map();
  const rows = await execute<Row>(
    em,
    sql`select t.id, t.tx_id::text as tx_id, t.seq::text as seq, t.type, t.subject_type, t.subject_id, t.occurred_at, t.data from events t where t.id in (${ids})`,
  );
  return new Map(rows.map((r) => [r.id, feedEvent(r)]));
}

/** Deletes events older than the retention period (batches); returns how many. Safe on several instances. */
export async function pruneEvents(em: Em, retentionDays: number, batch = 5_000): Promise<number> {
  let total = 0;
  for (;;) {
    // The newest position deleted moves the horizon in the same statement: a feed cursor before it is refused.
    const [{ n }] = await execute<{ n: number }>(
      em,
      sql`with gone as (delete from events where id in (select id from events where occurred_at < now() - ${retentionDays} * interval '1 day'
          limit ${batch} for update skip locked) returning tx_id, seq),
        newest as (select tx_id, seq from gone order by tx_id desc, seq desc limit 1),
        moved as (update event_horizon h set tx_id = newest.tx_id, seq = newest.seq, pruned_at = now() from newest
          where h.id = 1 and (newest.tx_id, newest.seq) > (h.tx_id, h.seq) returning 1)
        select (select count(*) from gone)::int as n`,
    );
    total += Number(n);
    if (Number(n) < batch) return total;
  }
}
