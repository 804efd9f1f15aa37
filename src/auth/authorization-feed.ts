import pg from 'pg';
import type { EventSubscriber } from '@mikro-orm/core';
import type { Logger } from 'pino';
import type { Orm } from '../db/orm.js';
import type { ViewerCache } from './viewer-cache.js';
import { jobContext } from '../jobs/job-context.js';

/** The channel the authorization triggers notify (created in migrations/…_authorization_feed.ts). */
export const AUTHORIZATION_CHANNEL = 'hub_authorization';

export interface AuthorizationFeed {
  stop(): Promise<void>;
}

/**
 * Keeps a viewer cache in step with the database:
 * - every transaction this process commits (outside background jobs) drops it at once: its own
 *   writes are seen by the next request, whatever they touched;
 * - PostgreSQL: a dedicated connection LISTENs to the triggers' channel, so writes by other hub
 *   instances (or anyone else) drop it too; the cache is used only while that connection is up,
 *   and it reconnects with backoff;
 * - PGlite: the database lives inside this process, so the same channel is heard from the engine.
 */
export async function followAuthorizationChanges(orm: Orm, cache: ViewerCache, log: Logger): Promise<AuthorizationFeed> {
  // Background jobs commit every few seconds but never write what a viewer is built from (mail,
  // grant states, report summaries): their commits would otherwise empty the cache all the time.
  // The ORM's event manager cannot unregister a subscriber: a stopped feed's one does nothing.
  let subscribed = true;
  const unsubscribe = () => (subscribed = false);
  const subscriber: EventSubscriber = {
    afterTransactionCommit: () => {
      if (subscribed && !jobContext.getStore()) cache.invalidate();
    },
  };
  orm.em.getEventManager().registerSubscriber(subscriber);
  const url = orm.config.get('clientUrl');
  if (!url) {
    const pglite = (await (orm.em.getConnection() as unknown as { getNativeClient(): Promise<{ listen(channel: string, cb: () => void): Promise<() => Promise<void>> }> }).getNativeClient());
    const unlisten = await pglite.listen(AUTHORIZATION_CHANNEL, () => cache.invalidate());
    cache.setLive(true);
    return {
      async stop() {
        unsubscribe();
        cache.setLive(false);
        await unlisten().catch(() => undefined);
      },
    };
  }

  let client: pg.Client | null = null;
  let stopped = false;
  let retry: NodeJS.Timeout | null = null;
  let backoffMs = 250;
  const connect = async (): Promise<void> => {
    const next = new pg.Client({ connectionString: url, application_name: 'identity-hub authorization feed' });
    const lost = (error?: Error) => {
      if (client !== next) return;
      client = null;
      cache.setLive(false);
      if (stopped) return;
      log.warn({ err: error }, 'authorization feed lost; viewers are loaded on every request until it is back');
      retry = setTimeout(() => void connect(), backoffMs);
      retry.unref();
      backoffMs = Math.min(backoffMs * 2, 10_000);
    };
    next.on('error', lost);
    next.on('end', () => lost());
    next.on('notification', () => cache.invalidate());
    client = next;
    try {
      await next.connect();
      await next.query(`listen ${AUTHORIZATION_CHANNEL}`);
      if (client !== next || stopped) return;
      backoffMs = 250;
      cache.setLive(true);
    } catch (error) {
      lost(error as Error);
      await next.end().catch(() => undefined);
    }
  };
  await connect();
  return {
    async stop() {
      unsubscribe();
      stopped = true;
      if (retry) clearTimeout(retry);
      cache.setLive(false);
      const c = client;
      client = null;
      await c?.end().catch(() => undefined);
    },
  };
}
