import 'reflect-metadata';
import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { startApp } from './app.js';

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
const app = await startApp(config, log);
log.info({ url: app.hub.url, database: config.databaseUrl ? 'postgresql' : `pglite:${config.dataDir}` }, 'identity hub listening');
if (!config.production) console.log(`\n  Identity hub ready at ${app.hub.url}\n  Try: npm run token -- anna.registrar@stockholm.se\n`);

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
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
  });
}
