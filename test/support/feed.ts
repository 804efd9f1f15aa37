import type { TestHub } from './hub.js';

/**
 * Waits until every event stored so far is readable in the feed. The feed reads only transactions
 * older than every one still running on the server (in any database of it), so while other test
 * files' transactions run on the same PostgreSQL server, a fresh event can be held back briefly:
 * a test that reads the feed, or runs the webhook worker, right after a write waits for this first.
 */
export async function feedSettled(hub: TestHub, timeoutMs = 60_000): Promise<void> {
  const conn = hub.db.orm.em.fork().getConnection();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [row] = await conn.execute<{ settled: boolean }[]>(
      'select coalesce(max(tx_id), 0) < pg_snapshot_xmin(pg_current_snapshot())::text::bigint as settled from events',
    );
    if (row.settled) return;
    if (Date.now() > deadline) throw new Error(`the feed did not settle within ${timeoutMs} ms: a transaction on the server stayed open`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

