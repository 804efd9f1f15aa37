import type { Policy } from '../auth/policy.js';
import { countRows, fetchPage } from '../db/paginate.js';
import type { Em } from '../db/orm.js';
import { and, sql, execute } from '../db/sql.js';
import type { Page, PageRequest } from '../db/paging.js';
import { AuditEvent } from './audit-event.entity.js';

/** The audit trail, scoped like everything else. */
export class AuditRepository {
  constructor(
    private readonly em: Em,
    private readonly policy: Policy,
  ) {}

  private listQuery(targetId: string | null) {
    const conditions = [this.policy.readableAuditEvents('t')];
    if (targetId) conditions.push(sql`t.target_id = ${targetId}`);
    return { from: sql`audit_events t`, where: and(conditions), keys: ['t.occurred_at', 't.id'] };
  }

  page(targetId: string | null, request: PageRequest): Promise<Page<AuditEvent>> {
    return fetchPage(this.em, AuditEvent, this.listQuery(targetId), request);
  }

  count(targetId: string | null): Promise<number> {
    return countRows(this.em, this.listQuery(targetId));
  }

  async findVisible(ids: string[]): Promise<AuditEvent[]> {
    if (ids.length === 0) return [];
    const q = sql`select t.* from audit_events t where t.id in (${ids}) and ${this.policy.readableAuditEvents('t')}`;
    const rows = await execute<Record<string, unknown>>(this.em, q);
    return rows.map((r) => this.em.map(AuditEvent, r));
  }
}
