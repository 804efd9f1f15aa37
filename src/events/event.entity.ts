import { defineEntity, p } from '@mikro-orm/core';

/**
 * A change delivered to the services: written by hub_emit_event() (migration events) in the changing
 * transaction, by row triggers on grants, employments, users, organisations and issuer mandates, or by
 * emitEvent() for changes no table trigger sees. `txId` is the writing transaction's id and `seq` the
 * order within the hub: readers page by (txId, seq) and read only transactions older than every one in
 * progress, so a cursor never passes an event that commits later.
 */
export const HubEventSchema = defineEntity({
  name: 'HubEvent',
  tableName: 'events',
  properties: {
    id: p.uuid().primary(),
    /** From the sequence events_seq (hub_emit_event takes it); unique across the hub. */
    seq: p.bigint().unique('events_seq_unique'),
    txId: p.bigint(),
    type: p.string().length(64),
    subjectType: p.string().length(64),
    subjectId: p.uuid(),
    /** The service the change concerns (grants, mandates); null for people and organisations. */
    serviceId: p.uuid().nullable(),
    /** The person the change concerns, if any: a service's clients see the events of its grants' holders. */
    personId: p.uuid().nullable(),
    /** Path of the organisation the subject belonged to at the time: an organisation's clients see their subtree's. */
    scopePath: p.text().collation('C').nullable(),
    /**
     * Where the subject was just before the change that wrote the event, when that differs: a mover's
     * old employer, a moved organisation's old place. Its clients hear of the change too.
     */
    scopePathBefore: p.text().collation('C').nullable(),
    occurredAt: p.datetime(),
    data: p.json<Record<string, unknown>>(),
  },
  indexes: [
    { name: 'events_order_idx', properties: ['txId', 'seq'] },
    { name: 'events_service_idx', properties: ['serviceId', 'txId', 'seq'] },
    { name: 'events_person_idx', properties: ['personId'] },
    { name: 'events_scope_path_idx', expression: 'create index "events_scope_path_idx" on "events" ("scope_path" text_pattern_ops)' },
    {
      name: 'events_scope_path_before_idx',
      expression: 'create index "events_scope_path_before_idx" on "events" ("scope_path_before" text_pattern_ops) where "scope_path_before" is not null',
    },
    { name: 'events_occurred_at_idx', properties: ['occurredAt'] },
  ],
});
export class HubEvent extends HubEventSchema.class {}
HubEventSchema.setClass(HubEvent);

/**
 * The newest feed position the retention job deleted (one row): a cursor before it may have missed
 * events that no longer exist, so the feed refuses it (CURSOR_EXPIRED) instead of resuming silently.
 */
export const EventHorizonSchema = defineEntity({
  name: 'EventHorizon',
  tableName: 'event_horizon',
  properties: {
    id: p.integer().primary().autoincrement(false),
    txId: p.bigint(),
    seq: p.bigint(),
    prunedAt: p.datetime().nullable(),
  },
});
export class EventHorizon extends EventHorizonSchema.class {}
EventHorizonSchema.setClass(EventHorizon);
