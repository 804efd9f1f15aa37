import 'reflect-metadata';
import { ConfigError, loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import cluster from 'node:cluster';
import { runPrimary, workerCount } from './cluster.js';
import { startApp, type App } from './start.js';

let config;
try {
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`configuration error: ${error.message}`);
    process.exit(2);
  }
  throw error;
}
const log = createLogger(config.logLevel);

const settings = config;
let workers = 1;
try {
  workers = workerCount(process.argv.slice(2), process.env, Boolean(settings.databaseUrl));
} catch (error) {
  console.error(`configuration error: ${(error as Error).message}`);
  process.exit(2);
}
if (workers > 1 && cluster.isPrimary) runPrimary(workers, log);
else await serve();

async function serve(): Promise<void> {
  // Signals are handled from the first moment: one that arrives while the hub is starting stops it as
  // soon as it has started (the default action would kill it mid-migration).
  let stopping: NodeJS.Signals | null = null;
  let started: App | null = null;
  function shutdown(app: App, signal: NodeJS.Signals): void {
    log.info({ signal }, 'shutting down: finishing requests in flight');
    app.stop().then(
      () => {
        log.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  }
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = signal;
      if (started) shutdown(started, signal);
    });
  }

  started = await startApp(settings, log);
  log.info({ url: started.hub.url, database: settings.databaseUrl ? 'postgresql' : `pglite:${settings.dataDir}`, pid: process.pid }, 'identity hub listening');
  if (stopping) shutdown(started, stopping);
  else if (!settings.production && cluster.isPrimary) console.log(`\n  Identity hub ready at ${started.hub.url}\n  Try: npm run token -- anna.registrar@stockholm.se\n`);
}
