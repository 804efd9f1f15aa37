import type { Logger } from 'pino';
import { DevIssuer } from '../auth/dev-issuer.js';
import type { Config, TrustedIssuerConfig } from '../config.js';
import { migrateUp, type Orm } from '../db/orm.js';
import { openDatabase } from './database.js';
import { seedDemo } from '../demo/demo-seed.js';
import { startHub, type Hub } from './server.js';
import type { JwksOptions } from '../auth/remote-jwks.js';
import { createMailTransport } from '../notifications/mail-transport.js';
import { defaultOutboxOptions, OutboxWorker } from '../notifications/outbox-worker.js';
import { expireGrants } from '../grants/grant-expiry.js';
import { applyDueEmploymentEnds } from '../employments/employment-end.js';
import { applyDueMoves } from '../employments/employment-move.js';
import { PeriodicJob } from '../jobs/periodic-job.js';
import { maintainGrantSummaries } from '../reports/summaries.js';
import { ViewerCache } from '../auth/viewer-cache.js';
import { followAuthorizationChanges } from '../auth/authorization-feed.js';
import { pruneEvents } from '../events/event.repository.js';
import { WebhookWorker } from '../webhooks/webhook-worker.js';
import { pruneDeliveries } from '../webhooks/webhook.repository.js';

export interface App {
  hub: Hub;
  orm: Orm;
  devIssuer: DevIssuer | null;
  outbox: OutboxWorker;
  webhooks: WebhookWorker;
  /** Signed-in people's authorization facts, reused between requests while unchanged. */
  viewers: ViewerCache;
  /** Graceful stop: finish requests in flight, then close the database. */
  stop(): Promise<void>;
}

/** Opens the database, applies migrations, loads the demo on an empty database, and serves. */
export async function startApp(config: Config, log: Logger, overrides: { port?: number; host?: string; orm?: Orm; jwks?: Partial<JwksOptions> } = {}): Promise<App> {
  const orm = overrides.orm ?? (await openDatabase({ databaseUrl: config.databaseUrl, pgliteDataDir: config.dataDir, statementTimeoutMs: config.statementTimeoutMs, preparedStatements: config.preparedStatements }, log));
  const applied = await migrateUp(orm);
  if (applied.length) log.info({ applied }, 'migrations applied');

  const devIssuer = config.devIssuer ? await DevIssuer.loadOrCreate(config.dataDir, config.devIssuerUrl, config.tokenAudience) : null;
  const trustedIssuers: TrustedIssuerConfig[] = [...config.trustedIssuers, ...(devIssuer ? [devIssuer.trustedIssuer] : [])];
  if (devIssuer) log.warn({ issuer: devIssuer.issuer }, 'development issuer enabled: `npm run token -- <email>` signs tokens');

  if (config.seedDemo && devIssuer && (await seedDemo(orm.em.fork(), devIssuer.issuer))) log.info('demo dataset loaded');

  const viewers = new ViewerCache(config.viewerCacheMs);
  const feed = await followAuthorizationChanges(orm, viewers, log.child({ job: 'authorization-feed' }));
  const hub = await startHub({ config, orm, log, trustedIssuers, viewers, devIssuer, jwks: overrides.jwks, port: overrides.port, host: overrides.host });
  const transport = createMailTransport(config);
  const outbox = new OutboxWorker(orm, transport, log.child({ job: 'outbox' }), { ...defaultOutboxOptions, pollMs: config.outboxPollMs });
  const expiry = new PeriodicJob('grant expiry', async () => {
    const expired = await expireGrants(orm.em.fork());
    return expired ? { expired } : null;
  }, log.child({ job: 'grant-expiry' }), config.grantExpiryIntervalMs);
  const leavers = new PeriodicJob('employment moves and ends', async () => {
    const em = orm.em.fork();
    // Moves first: a move dated before an end is applied before it.
    const { moves, reviews } = await applyDueMoves(em);
    const applied = await applyDueEmploymentEnds(em);
    return applied || moves || reviews ? { applied, moves, reviews } : null;
  }, log.child({ job: 'employment-ends' }), config.grantExpiryIntervalMs);
  const webhooks = new WebhookWorker(orm, log.child({ job: 'webhooks' }), {
    pollMs: config.webhookPollMs,
    timeoutMs: config.webhookTimeoutMs,
    allowPrivateUrls: config.webhookAllowPrivateUrls,
  });
  const pruning = new PeriodicJob('event pruning', async () => {
    const pruned = await pruneEvents(orm.em.fork(), config.eventRetentionDays);
    const deliveries = await pruneDeliveries(orm.em.fork(), config.eventRetentionDays);
    return pruned || deliveries ? { pruned, deliveries } : null;
  }, log.child({ job: 'event-pruning' }), 3_600_000);
  const summaries = new PeriodicJob('report summaries', () => maintainGrantSummaries(orm.em.fork()), log.child({ job: 'report-summaries' }), config.summaryIntervalMs);
  if (config.jobs) {
    outbox.start();
    expiry.start();
    leavers.start();
    summaries.start();
    webhooks.start();
    pruning.start();
  }
  return {
    hub,
    orm,
    devIssuer,
    outbox,
    webhooks,
    viewers,
    async stop() {
      await hub.stop();
      await Promise.all([outbox.stop(), expiry.stop(), leavers.stop(), summaries.stop(), webhooks.stop(), pruning.stop(), feed.stop()]);
      if (!overrides.orm) await orm.close(true);
    },
  };
}
