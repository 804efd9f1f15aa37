import type { Em } from '../db/orm.js';
import type { Viewer } from '../auth/viewer.js';
import { AuditEvent } from './audit-event.entity.js';

export interface AuditEntry {
  action: string;
  targetType: string;
  targetId: string;
  /** The organisation the target belongs to: what scopes the event. */
  organisationId: string | null;
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
  reason?: string | null;
  /** Who acted when the viewer has no user yet: a person registering themself becomes one in this change. */
  actorId?: string;
}

/**
 * Records a change. Call it with the EntityManager of the change's own transaction, so the event
 * is committed with the change or not at all.
 */
export function audit(em: Em, viewer: Viewer, requestId: string, entry: AuditEntry): AuditEvent {
  return em.create(AuditEvent, {
    actor: entry.actorId ?? viewer.user?.id ?? null,
    actorIdentity: viewer.identity ? `${viewer.identity.issuer}#${viewer.identity.subject}` : null,
    action: entry.action,
    targetType: entry.targetType,
    targetId: entry.targetId,
    organisation: entry.organisationId,
    before: entry.before ?? null,
    after: entry.after ?? null,
    reason: entry.reason ?? null,
    requestId,
  });
}
