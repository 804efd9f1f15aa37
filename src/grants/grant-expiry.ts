import type { Logger } from 'pino';
import { AuditEvent } from '../audit/audit-event.entity.js';
import type { Em, Orm } from '../db/orm.js';
import { execute, sql } from '../db/sql.js';

/**
 * Expires grants whose validTo has passed, in batches that skip rows another instance holds, with
 * one audit event per grant (actor: the system). Returns how many it expired.
 */
export async function expireGrants(em: Em, now = new Date(), batch = 500): Promise<number> {
  let total = 0;
  for (;;) {
    const expired = await em.transactional(async (tx) => {
      const rows = await execute<{ id: string; state: string; valid_to: Date; scope_id: string }>(
        tx,
        sql`update grants g set state = 'expired', ended_at = g.valid_to, end_reason = 'expired', updated_at = now()
          from (select id, state from grants where state in ('active', 'suspended') and valid_to <= ${now.toISOString()}::timestamptz
            order by valid_to limit ${batch} for update skip locked) due
          where g.id = due.id returning g.id, due.state, g.valid_to, g.scope_id`,
      );
      for (const r of rows) {
        tx.create(AuditEvent, {
          actor: null,
          actorIdentity: 'system:grant-expiry',
          action: 'grant.expire',
          targetType: 'Grant',
          targetId: r.id,
          organisation: r.scope_id,
          before: { state: r.state },
          after: { state: 'expired', endedAt: new Date(r.valid_to).toISOString() },
          reason: 'validTo passed',
          requestId: null,
        });
      }
      return rows.length;
    });
    total += expired;
    if (expired < batch) return total;
  }
}

/** Runs expireGrants on an interval; unref'd, and stop() waits for a run in flight. */
export class GrantExpiryJob {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;

  constructor(
    private readonly orm: Orm,
    private readonly log: Logger,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = expireGrants(this.orm.em.fork())
        .then((n) => n && this.log.info({ expired: n }, 'grants expired'))
        .catch((error: unknown) => this.log.error({ err: error }, 'grant expiry failed'))
        .finally(() => (this.running = null));
    }, this.intervalMs).unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}
