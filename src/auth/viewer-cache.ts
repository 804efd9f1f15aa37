import type { Em } from '../db/orm.js';
import { loadViewerFacts, viewerOf, type ViewerFacts } from '../identities/identity.service.js';
import { bindOnFirstSignIn } from '../identities/invitation.service.js';
import type { VerifiedIdentity } from './token-verifier.js';
import type { Viewer } from './viewer.js';

interface Entry {
  facts: ViewerFacts;
  /** Epoch time after which the entry must be loaded again. */
  expiresAt: number;
}

/** Entries kept at most; the oldest go first. */
const MAX_ENTRIES = 10_000;

/**
 * The authorization facts of signed-in people (user, administrator roles, orderer scopes), reused
 * between their requests so that a request costs its own statements and not one more for the viewer.
 *
 * Reuse is exact, not "fresh enough": an entry is dropped
 * - when anything it is built from changes: every write to those tables notifies the channel
 *   `hub_authorization` (statement triggers, delivered at commit to every hub instance), and every
 *   commit of this process outside background jobs drops it at once, so a client's next request sees
 *   its own change even before the notification arrives (authorization-feed.ts);
 * - when one of its facts changes by the clock (a placement, mandate, appointment or routine begins
 *   or ends), a moment the viewer statement returns;
 * - after `maxAgeMs` at the latest.
 * While the notification feed is down (PostgreSQL connection lost), nothing is reused.
 */
export class ViewerCache {
  private readonly entries = new Map<string, Entry>();
  private epoch = 0;
  private live = false;

  constructor(private readonly maxAgeMs: number) {}

  /** Whether changes are being received: entries are reused only while they are. */
  setLive(live: boolean): void {
    this.live = live;
    this.invalidate();
  }

  /** Something a viewer is built from changed: forget every entry, and any load in flight. */
  invalidate(): void {
    this.epoch++;
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  async viewerFor(em: Em, identity: VerifiedIdentity): Promise<Viewer> {
    const key = `${identity.issuer}\u0000${identity.subject}`;
    const now = Date.now();
    if (this.live && this.maxAgeMs > 0) {
      const hit = this.entries.get(key);
      if (hit && hit.expiresAt > now) return viewerOf(identity, hit.facts);
      if (hit) this.entries.delete(key);
    }
    // A change notified while the statement runs moves the epoch: its result is used once, not kept.
    const epoch = this.epoch;
    let facts = await loadViewerFacts(em, identity);
    // A joiner's first sign-in binds their identity when the token names them unambiguously.
    if (!facts.user && (await bindOnFirstSignIn(em, identity))) facts = await loadViewerFacts(em, identity);
    if (this.live && this.maxAgeMs > 0 && epoch === this.epoch) {
      const expiresAt = Math.min(now + this.maxAgeMs, facts.changesAt?.getTime() ?? Infinity);
      if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
      this.entries.set(key, { facts, expiresAt });
    }
    return viewerOf(identity, facts);
  }
}
