/**
 * `npm run bench:console` times the console in Chromium against the scale dataset: it compiles the
 * hub, serves it on DATABASE_URL without background jobs, signs in as the authority's administrator
 * through the development issuer's page, and loads the dashboard and the issuer inbox several times,
 * each from a fresh page load to the performance mark the page sets once its data is shown.
 * Read-only: it refuses a database that the hub would have to migrate first.
 */
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { loadConfig } from '../config.js';
import { openDatabase } from '../app/database.js';
import { pendingMigrations } from '../db/orm.js';
import { benchHubEnv, build, HEAP_FLAGS, startChild, stopOnExit, waitFor } from './bench-process.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '4450' },
    runs: { type: 'string', default: '5' },
    chromium: { type: 'string', default: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium' },
  },
});
const config = loadConfig();
if (!config.databaseUrl) throw new Error('DATABASE_URL names the scale database (seeded with `npm run seed:scale`).');
const actorsFile = join(config.dataDir, 'scale-actors.json');
const authority = existsSync(actorsFile) ? String((JSON.parse(readFileSync(actorsFile, 'utf8')) as Record<string, unknown>).authority) : 'karin.admin@forsakringskassan.se';
const RUNS = Number(values.runs);
const PAGES = [
  { name: 'dashboard', path: 'dashboard', mark: 'console:dashboard-shown' },
  { name: 'issuer inbox', path: 'decide', mark: 'console:inbox-shown' },
];

// The hub migrates on start: on a database behind this checkout that would be a write.
const orm = await openDatabase({ databaseUrl: config.databaseUrl, pgliteDataDir: config.dataDir, statementTimeoutMs: 0 });
const pending = await pendingMigrations(orm);
await orm.close();
if (pending.length) {
  console.error(`refusing: the hub would apply ${pending.length} migration(s) to this database first (${pending.join(', ')}); time a checkout the database is migrated to.`);
  process.exit(1);
}

build();

const port = Number(values.port);
const origin = `http://127.0.0.1:${port}`;
// The server's log goes to the temporary directory: nothing is written beside the scale data.
const logFile = join(tmpdir(), `bench-console-server-${process.pid}.log`);
const hub = startChild('src/app/main.js', { ...benchHubEnv(port), JOBS: 'false', EXPOSE_SQL_COUNT: 'false' }, logFile, HEAP_FLAGS);
/** The median of the loads after the first (the first also warms the hub's caches and the database's). */
function median(values: number[]): number {
  const rest = values.slice(1).sort((a, b) => a - b);
  return rest.length ? rest[Math.floor(rest.length / 2)] : values[0];
}

stopOnExit(() => [hub]);
await waitFor(`${origin}/readyz`, hub);

const browser = await chromium.launch({ executablePath: values.chromium, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
try {
  const context = await browser.newContext({ locale: 'en-GB' });
  context.setDefaultTimeout(120_000);
  const page = await context.newPage();
  await page.goto(`${origin}/console/`);
  await page.getByRole('button', { name: /Local development sign-in/ }).click();
  await page.waitForURL(/\/dev-issuer\/authorize/);
  await page.check(`input[name=user][value="${authority}"]`);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('header .who').waitFor();

  console.log(`console timing on ${new URL(config.databaseUrl).pathname.slice(1)} as ${authority}, ${RUNS} loads each (ms from navigation start to the page's data shown)`);
  console.log('| page | first load | median of the rest | min | max | of which GraphQL (median of the rest) |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const p of PAGES) {
    const times: number[] = [];
    const api: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      await page.goto('about:blank');
      // The token stays in the tab's sessionStorage: each load is a whole page load, signed in.
      await page.goto(`${origin}/console/#/${p.path}`);
      const handle = await page.waitForFunction((mark) => performance.getEntriesByName(mark)[0]?.startTime ?? null, p.mark, { timeout: 120_000 });
      times.push(Math.round(Number(await handle.jsonValue())));
      // The longest GraphQL request of the load: how much of it the hub and the database took.
      api.push(Math.round(await page.evaluate(() => Math.max(0, ...performance.getEntriesByType('resource').filter((e) => e.name.endsWith('/graphql')).map((e) => e.duration)))));
    }
    console.log(`| ${p.name} | ${times[0]} | ${median(times)} | ${Math.min(...times)} | ${Math.max(...times)} | ${median(api)} |`);
  }
  await context.close();
} finally {
  await browser.close();
}
process.exit(0);
