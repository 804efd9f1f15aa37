import fc from 'fast-check';
import { COLLECTIONS, SERVICES, type Collection, type Level, type Svc } from './model.js';

/**
 * Random worlds and random operations, as plain numbers and choices. Picks are indices taken modulo
 * whatever exists when they are resolved, so every shrunk value still means something.
 */

const pick = fc.nat(10_000);
const service = fc.constantFrom<Svc>(...SERVICES);
const rootKind = fc.constantFrom('agency', 'municipality', 'region', 'coordination_association', 'supplier') as fc.Arbitrary<RootKind>;
export type RootKind = 'agency' | 'municipality' | 'region' | 'coordination_association' | 'supplier';
export type PeriodShape = 'current' | 'ended' | 'future';
const period = fc.constantFrom<PeriodShape>('current', 'current', 'current', 'ended', 'future');

export const worldArb = fc.record({
  /** New roots; the demo dataset stays and is part of the model. */
  roots: fc.array(rootKind, { minLength: 2, maxLength: 4 }),
  /** The first `chain` units hang one below the other, so the tree is at least that deep. */
  chain: fc.integer({ min: 4, max: 5 }),
  units: fc.array(
    fc.record({
      parent: pick,
      /** Hang it under a demo organisation instead (an authority's subtree included). */
      underDemo: fc.oneof({ arbitrary: fc.constant(false), weight: 9 }, { arbitrary: fc.constant(true), weight: 1 }),
      /** Now and then a legal entity of its own below another (a supplier under a municipality). */
      kind: fc.oneof({ arbitrary: fc.constant<'unit'>('unit'), weight: 9 }, { arbitrary: rootKind, weight: 1 }),
    }),
    { minLength: 5, maxLength: 14 },
  ),
  users: fc.array(
    fc.record({
      employer: pick,
      atDemo: fc.oneof({ arbitrary: fc.constant(false), weight: 9 }, { arbitrary: fc.constant(true), weight: 1 }),
      placement: fc.option(fc.record({ org: pick, atDemo: fc.boolean(), period }), { freq: 2, nil: null }),
    }),
    { minLength: 6, maxLength: 14 },
  ),
  grants: fc.array(
    fc.record({ user: pick, service, state: fc.constantFrom<'active' | 'suspended' | 'revoked' | 'expired'>('active', 'active', 'suspended', 'revoked', 'expired') }),
    { minLength: 3, maxLength: 16 },
  ),
  mandates: fc.array(
    fc.record({
      org: pick,
      /** Inside the organisation of the mandate before it, same service: an issuer below an issuer. */
      nested: fc.oneof({ arbitrary: fc.constant(false), weight: 2 }, { arbitrary: fc.constant(true), weight: 1 }),
      atDemo: fc.oneof({ arbitrary: fc.constant(false), weight: 6 }, { arbitrary: fc.constant(true), weight: 1 }),
      service,
      status: fc.constantFrom<'active' | 'ended' | 'future' | 'expired'>('active', 'active', 'active', 'ended', 'future', 'expired'),
      admins: fc.array(
        fc.record({
          user: pick,
          /** Administrators are normally the organisation's own staff; not always. */
          inside: fc.oneof({ arbitrary: fc.constant(true), weight: 5 }, { arbitrary: fc.constant(false), weight: 1 }),
          removed: fc.oneof({ arbitrary: fc.constant(false), weight: 6 }, { arbitrary: fc.constant(true), weight: 1 }),
        }),
        { maxLength: 2 },
      ),
    }),
    { maxLength: 6 },
  ),
  /** Generated people who administer a service for its authority, beside the demo's. */
  authorityAdmins: fc.array(fc.record({ user: pick, service, removed: fc.boolean() }), { maxLength: 2 }),
  appointments: fc.array(
    fc.record({
      user: pick,
      scope: pick,
      /** Orderers normally order for a part of their own organisation; not always. */
      own: fc.oneof({ arbitrary: fc.constant(true), weight: 3 }, { arbitrary: fc.constant(false), weight: 1 }),
      service,
      /** The same person, service and scope as the appointment before it: overlapping requests. */
      twin: fc.oneof({ arbitrary: fc.constant(false), weight: 3 }, { arbitrary: fc.constant(true), weight: 1 }),
      state: fc.constantFrom<'requested' | 'approved' | 'rejected' | 'revoked'>('requested', 'requested', 'approved', 'approved', 'rejected', 'revoked'),
      period,
    }),
    { maxLength: 10 },
  ),
  /** Timestamps as PostgreSQL's now() writes them (microseconds), as rows loaded in bulk have. */
  microseconds: fc.oneof({ arbitrary: fc.constant(false), weight: 2 }, { arbitrary: fc.constant(true), weight: 1 }),
});
export type WorldShape = typeof worldArb extends fc.Arbitrary<infer T> ? T : never;

/**
 * Who calls: someone holding a kind of role (as the model has them at that step), any generated
 * person, a demo person, nobody, or a signed-in stranger.
 */
const actorOf = (weights: { authority: number; issuer: number; orderer: number; world: number }) =>
  fc.record({
    pool: fc.oneof(
      { arbitrary: fc.constant('authority' as const), weight: weights.authority },
      { arbitrary: fc.constant('issuer' as const), weight: weights.issuer },
      { arbitrary: fc.constant('orderer' as const), weight: weights.orderer },
      { arbitrary: fc.constant('world' as const), weight: weights.world },
      { arbitrary: fc.constant('demo' as const), weight: 1 },
      { arbitrary: fc.constant('anonymous' as const), weight: 1 },
      { arbitrary: fc.constant('unregistered' as const), weight: 1 },
    ),
    index: pick,
    level: fc.oneof(
      { arbitrary: fc.constant<Level>('high'), weight: 6 },
      { arbitrary: fc.constant<Level>('substantial'), weight: 3 },
      { arbitrary: fc.constant<Level>('low'), weight: 1 },
    ),
  });
export const actorArb = actorOf({ authority: 2, issuer: 3, orderer: 3, world: 4 });
/** Writers are mostly administrators: most writes by anyone else are refusals. */
const writerArb = actorOf({ authority: 5, issuer: 5, orderer: 2, world: 3 });
export type ActorPick = typeof actorArb extends fc.Arbitrary<infer T> ? T : never;

/**
 * Which object an operation targets: one of this world's, any in the database (demo included), one
 * the actor may see or change (per the model), an id that does not exist, or another type's id.
 */
const targetOf = (scoped: number) =>
  fc.record({
    source: fc.oneof(
      { arbitrary: fc.constant('world' as const), weight: 5 },
      { arbitrary: fc.constant('scoped' as const), weight: scoped },
      { arbitrary: fc.constant('any' as const), weight: 2 },
      { arbitrary: fc.constant('missing' as const), weight: 1 },
      { arbitrary: fc.constant('wrongType' as const), weight: 1 },
    ),
    index: pick,
    uuid: fc.uuid({ version: 7 }),
  });
export const targetArb = targetOf(4);
/** Writes aim more often at what the actor may change, or little but refusals would be seen. */
const writeTargetArb = targetOf(9);
export type TargetPick = typeof targetArb extends fc.Arbitrary<infer T> ? T : never;

const collection = fc.constantFrom<Collection>(...COLLECTIONS);

export const opArb = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('node' as const), actor: actorArb, of: collection, target: targetArb }), weight: 4 },
  {
    arbitrary: fc.record({ kind: fc.constant('nodes' as const), actor: actorArb, targets: fc.array(fc.record({ of: collection, target: targetArb }), { minLength: 1, maxLength: 8 }) }),
    weight: 2,
  },
  {
    // Federation's _entities: representations by global id, mostly naming the id's own type.
    arbitrary: fc.record({
      kind: fc.constant('entities' as const),
      actor: actorArb,
      targets: fc.array(
        fc.record({ of: collection, target: targetArb, named: fc.oneof({ arbitrary: fc.constant(null), weight: 5 }, { arbitrary: collection, weight: 1 }) }),
        { minLength: 1, maxLength: 8 },
      ),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('list' as const),
      actor: actorArb,
      of: collection,
      first: fc.integer({ min: 1, max: 6 }),
      backward: fc.oneof({ arbitrary: fc.constant(false), weight: 4 }, { arbitrary: fc.constant(true), weight: 1 }),
      /** 0: no filter; otherwise one of the list's filters, chosen when resolved. */
      filter: fc.oneof({ arbitrary: fc.constant(0), weight: 2 }, { arbitrary: fc.integer({ min: 1, max: 1000 }), weight: 1 }),
    }),
    weight: 4,
  },
  { arbitrary: fc.record({ kind: fc.constant('responsible' as const), actor: actorArb, target: targetArb }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('contact' as const), actor: writerArb, target: writeTargetArb }), weight: 2 },
  {
    arbitrary: fc.record({ kind: fc.constant('decide' as const), actor: writerArb, action: fc.constantFrom('approve' as const, 'reject' as const, 'revoke' as const), target: writeTargetArb }),
    weight: 3,
  },
  { arbitrary: fc.record({ kind: fc.constant('endMandate' as const), actor: writerArb, target: writeTargetArb }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('updateMandate' as const), actor: writerArb, target: writeTargetArb }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('endEmployment' as const), actor: writerArb, target: writeTargetArb }), weight: 2 },
  // A machine client's views: its event feed and an access check; `actor` is unused (clients are picked by `client`).
  { arbitrary: fc.record({ kind: fc.constant('client' as const), actor: actorArb, client: fc.nat(), target: targetArb }), weight: 2 },
  // A client's webhook subscription (made by the client on first use), read or stopped/started by anyone.
  {
    arbitrary: fc.record({
      kind: fc.constant('webhook' as const),
      actor: writerArb,
      client: fc.nat(),
      /** Prefer a client the actor administers (when there is one), or most steps would only be refusals. */
      theirs: fc.boolean(),
      action: fc.constantFrom('read' as const, 'toggle' as const),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('createOrg' as const),
      actor: writerArb,
      /** The parent of a new unit; unused for a legal entity (created at the top). */
      target: writeTargetArb,
      legal: fc.oneof({ arbitrary: fc.constant<RootKind | null>(null), weight: 3 }, { arbitrary: rootKind, weight: 1 }),
    }),
    weight: 2,
  },
  { arbitrary: fc.record({ kind: fc.constant('moveOrg' as const), actor: writerArb, target: writeTargetArb, parent: writeTargetArb }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('closeOrg' as const), actor: writerArb, target: writeTargetArb }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('userCreate' as const), actor: writerArb, employer: writeTargetArb }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('moveEmployment' as const), actor: writerArb, target: writeTargetArb, employer: writeTargetArb }), weight: 3 },
);
export type Op = typeof opArb extends fc.Arbitrary<infer T> ? T : never;
