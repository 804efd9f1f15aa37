import { AuditEvent } from '../audit/audit-event.entity.js';
import type { Em } from '../db/orm.js';
import { execute, sql } from '../db/sql.js';

/** Who the audit trail names for changes the hub makes by itself (`actor` stays null). */
export const GRANT_EXPIRY_ACTOR = 'system:grant-expiry';

interface ExpiredRow {
  id: string;
  employer_id: string;
  state: string;
  valid_to: Date | string;
  suspended_at: Date | string | null;
  suspend_reason: string | null;
}

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

/**
 * Expires the active and suspended grants whose validTo is at or before `now`: state EXPIRED, ended
 * at validTo, one audit event each (actor null: the system). Works in batches of `batch` rows, each
 * one transaction, skipping rows another transaction holds (a grant being changed, or another
 * instance's batch), so several instances may run it at once and each grant expires exactly once.
 * Returns how many grants it expired.
 */
export async function expireGrants(em: Em, now = new Date(), batch = 500): Promise<number> {
  let total = 0;
  for (;;) {
    const expired = await em.transactional(async (tx) => {
      // `due` keeps the row as it was, for the audit event's `before`.
      const rows = await execute<ExpiredRow>(
        tx,
        sql`update grants g set state = 'expired', ended_at = g.valid_to, end_reason = 'expired', updated_at = now()
          from (select d.id, d.state, d.suspended_at, d.suspend_reason, u.employer_id from grants d join users u on u.id = d.user_id
            where d.state in ('active', 'suspended') and d.valid_to <= ${now.toISOString()}::timestamptz
            order by d.valid_to, d.id limit ${batch} for update of d skip locked) due
          where g.id = due.id
          returning g.id, due.employer_id, due.state, g.valid_to, due.suspended_at, due.suspend_reason`,
      );
      for (const r of rows) {
        tx.create(AuditEvent, {
          actor: null,
          actorIdentity: GRANT_EXPIRY_ACTOR,
          action: 'grant.expire',
          targetType: 'Grant',
          targetId: r.id,
          organisation: r.employer_id,
          before: { state: r.state, suspendedAt: iso(r.suspended_at), suspendReason: r.suspend_reason },
          after: { state: 'expired', endedAt: iso(r.valid_to), endReason: 'expired', suspendedAt: iso(r.suspended_at), suspendReason: r.suspend_reason },
          reason: 'validTo passed',
          requestId: null,
        });
      }
      return rows.length;
    });
    total += expired;
    // A short batch means nothing due is left, or what is left is another transaction's.
    if (expired < batch) return total;
  }
}
