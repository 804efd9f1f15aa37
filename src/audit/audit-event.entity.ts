import { defineEntity, p } from '@mikro-orm/core';
import { uuidv7 } from '../db/ids.js';
import { Organisation } from '../organisations/organisation.entity.js';
import { User } from '../users/user.entity.js';

/**
 * One change in the domain, written in the same transaction as the change. `organisation` is the
 * organisation the target belongs to, so the trail can be scoped in SQL like everything else.
 */
export const AuditEventSchema = defineEntity({
  name: 'AuditEvent',
  tableName: 'audit_events',
  properties: {
    id: p.uuid().primary().onCreate(() => uuidv7()),
    occurredAt: p.datetime().onCreate(() => new Date()),
    actor: () => p.manyToOne(User).nullable(),
    /** issuer and subject of the signed-in identity, kept even if no user is bound. */
    actorIdentity: p.string().length(800).nullable(),
    action: p.string().length(64),
    targetType: p.string().length(64),
    targetId: p.uuid(),
    organisation: () => p.manyToOne(Organisation).nullable(),
    before: p.json<Record<string, unknown>>().nullable(),
    after: p.json<Record<string, unknown>>().nullable(),
    reason: p.text().nullable(),
    requestId: p.string().length(64).nullable(),
  },
  indexes: [
    { name: 'audit_events_target_idx', properties: ['targetId', 'occurredAt'] },
    { name: 'audit_events_organisation_idx', properties: ['organisation', 'occurredAt'] },
  ],
});
export class AuditEvent extends AuditEventSchema.class {}
AuditEventSchema.setClass(AuditEvent);
