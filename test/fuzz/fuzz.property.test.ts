import 'reflect-metadata';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { check, normalise, serverErrorOf, type Violation } from './checks.js';
import { errorsOf, send, type Answer } from './client.js';
import { startFuzzHub, type FuzzHub } from './fuzz-hub.js';
import { brokenInvariants, changesSince, textStatistics } from './integrity.js';
import { graphqlRequest } from './operations.js';
import { IdPool } from './pools.js';
import { rawRequest } from './raw.js';
import { describeRequest, noRequest, squeeze, type FuzzRequest } from './request.js';
import { seedWorld } from './seed-world.js';
import { weighted, type Gen } from './values.js';

/**
 * Schema-driven fuzzing over real HTTP: random queries and mutations built from the committed
 * schema (random root fields, sub-selections, aliases, fragments, arguments as literals and as
 * variables, hostile strings, wrong types, real and forged ids), multipart uploads, and raw HTTP
 * hostility, sent as random demo people and as nobody. Every answer must keep the rules of
 * ./checks.ts; between batches the server must be healthy and its memory bounded; at the end the
 * database must keep the invariants of ./integrity.ts.
 *
 * A full run reports every distinct failure at once, each with the run that first showed it. Replay
 * one with FUZZ_SEED=<seed> FUZZ_PATH=<run>: that run alone, which fast-check then shrinks. Runs
 * change the server's state, so a failure that needs what earlier runs made replays only with the
 * whole run: FUZZ_SEED=<seed> FUZZ_RUNS=<run + 1>. FUZZ_RUNS widens a run, FUZZ_TIME_LIMIT_MS bounds it.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261201);
const PATH = process.env.FUZZ_PATH || undefined;
const RUNS = Number(process.env.FUZZ_RUNS ?? 5000);
const TIME_LIMIT_MS = Number(process.env.FUZZ_TIME_LIMIT_MS ?? 240_000);
/** A replay shrinks its failure with at most this many more requests (shrinking through `gen` can go on for long). */
const SHRINK_RUNS = Number(process.env.FUZZ_SHRINK_RUNS ?? 300);
/** A CI run must make at least this many requests; fewer means the time budget cut it short. */
const MIN_REQUESTS = 2000;
const BATCH = 100;
const REQUEST_TIMEOUT_MS = 15_000;
/**
 * The hub runs in this process (so the checks can read its database, PGlite included), so the RSS
 * measured is the server's plus the runner's and PGlite's. The bound is on growth over the RSS after
 * set-up: a request that makes the process balloon by this much is a denial of service.
 */
const RSS_GROWTH_MB = Number(process.env.FUZZ_RSS_GROWTH_MB ?? 768);

interface Failure {
  rule: string;
  /** Runs that showed it; the first one is the one to replay. */
  runs: number[];
  /** Whether one run replays it, or only the whole run does (the database's state, the memory, the health checks). */
  replayable: boolean;
  labels: Set<string>;
  status: number;
  code: string;
  server: string;
  request: string;
  detail: string;
}

function nextRequest(g: Gen, pool: IdPool): FuzzRequest {
  const kind = weighted(g, [
    [55, 'query'],
    [33, 'mutation'],
    [12, 'raw'],
  ] as const);
  return kind === 'raw' ? rawRequest(g, pool) : graphqlRequest(g, pool, kind);
}

/** A value from an answer as text for a label: a string as it is, anything else as JSON. */
const textOf = (value: unknown): string => (typeof value === 'string' ? value : (JSON.stringify(value) ?? 'undefined'));

/** The codes of every userErrors list in an answer's data. */
function userErrorCodes(data: unknown, key = ''): string[] {
  if (Array.isArray(data)) {
    if (key === 'userErrors') return data.map((e) => textOf((e as { code?: unknown } | null)?.code ?? '(no code asked for)'));
    return data.flatMap((item) => userErrorCodes(item, key));
  }
  if (data && typeof data === 'object') return Object.entries(data).flatMap(([k, v]) => userErrorCodes(v, k));
  return [];
}

const count = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
const table = (title: string, map: Map<string, number>) =>
  `${title}:\n${[...map].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([k, n]) => `  ${String(n).padStart(5)}  ${k}`).join('\n')}`;

describe('schema-driven fuzzing over HTTP', () => {
  let hub: FuzzHub;
  let pool: IdPool;
  let since: Date;
  let fuzzStart: Date;
  let baselineRss = 0;
  let peakRss = 0;
  const failures = new Map<string, Failure>();
  const coverage = {
    fields: new Map<string, number>(),
    statuses: new Map<string, number>(),
    codes: new Map<string, number>(),
    kinds: new Map<string, number>(),
    userErrors: new Map<string, number>(),
  };
  const totals = { runs: 0, requests: 0, skipped: 0, started: 0, slowest: [] as { ms: number; label: string; run: number }[] };
  /** The request being answered, to blame for an exception nothing caught (the hub runs in this process). */
  let current: { run: number; req: FuzzRequest } | null = null;
  let recent: string[] = [];
  const uncaught: { run: number; req: FuzzRequest | null; error: string }[] = [];
  const onUncaught = (error: unknown) => {
    uncaught.push({ run: current?.run ?? -1, req: current?.req ?? null, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
  };

  beforeAll(async () => {
    process.on('uncaughtException', onUncaught);
    process.on('unhandledRejection', onUncaught);
    hub = await startFuzzHub({ JOBS: 'false' });
    // Demo rows were written by the seeder (no audit trail); everything after this instant went through the API.
    since = new Date();
    await seedWorld(hub);
    pool = await IdPool.load(hub.db);
    baselineRss = peakRss = process.memoryUsage().rss;
    totals.started = Date.now();
    fuzzStart = new Date();
  });

  afterAll(async () => {
    await hub?.close();
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onUncaught);
  });

  function record(run: number, req: FuzzRequest, answer: Answer | null, violation: Violation, replayable = true): void {
    const errors = answer ? errorsOf(answer.body) : [];
    const code = textOf(errors.find((e) => e.extensions?.code === 'INTERNAL_SERVER_ERROR')?.extensions?.code ?? errors[0]?.extensions?.code ?? '');
    const server = answer ? serverErrorOf(hub.logsFor(answer.requestId)) : '';
    // One bug, many requests: known by what the server logged, else by the error's message, else by the request's kind.
    const message = errors.find((e) => e.extensions?.code === code)?.message;
    const key =
      answer && !answer.failure
        ? [violation.rule, answer.status, code, server ? normalise(server) : message ? normalise(textOf(message).split('\n')[0]) : req.label].join(' | ')
        : [violation.rule, normalise(violation.detail.split(';')[0])].join(' | ');
    const known = failures.get(key);
    if (known) {
      known.runs.push(run);
      known.labels.add(req.label);
      return;
    }
    failures.set(key, {
      rule: violation.rule,
      runs: [run],
      replayable,
      labels: new Set([req.label]),
      status: answer?.status ?? 0,
      code,
      server,
      request: describeRequest(req),
      detail: violation.detail,
    });
  }

  /** Between batches: the server answers its health checks, and its memory has not run away. */
  async function checkpoint(run: number): Promise<void> {
    for (const path of ['/healthz', '/readyz']) {
      const res = await fetch(new URL(path, hub.url), { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) }).catch((e: Error) => e);
      if (res instanceof Error || res.status !== 200) {
        const status = res instanceof Error ? 0 : res.status;
        record(run, noRequest(`health ${path}`, 'GET', path), null, { rule: `${path} is not 200 after a batch`, detail: res instanceof Error ? res.message : `HTTP ${status}` }, false);
      }
    }
    const rss = process.memoryUsage().rss;
    peakRss = Math.max(peakRss, rss);
    if (rss - baselineRss > RSS_GROWTH_MB * 1024 * 1024) {
      const detail = `${Math.round(baselineRss / 2 ** 20)} MB after set-up, ${Math.round(rss / 2 ** 20)} MB after run ${run}`;
      record(run, noRequest('memory'), null, { rule: `RSS grew by more than ${RSS_GROWTH_MB} MB`, detail }, false);
    }
  }

  it('no request gets a 5xx or an internal error, the server stays up and small, and the database stays consistent', async () => {
    const deadline = Date.now() + TIME_LIMIT_MS;
    const property = fc.asyncProperty(fc.gen(), async (g) => {
      if (Date.now() > deadline || (PATH && totals.runs > SHRINK_RUNS)) {
        totals.skipped++;
        return;
      }
      const run = PATH ? Number(PATH.split(':')[0]) : totals.runs;
      totals.runs++;
      const req = nextRequest(g, pool);
      current = { run, req };
      const answers = await send(hub, req, `fz${run}`, REQUEST_TIMEOUT_MS);
      totals.requests += answers.length;
      const found: { answer: Answer; violation: Violation }[] = [];
      for (const answer of answers) {
        count(coverage.kinds, req.label.split(' ')[0] + (req.label.includes('(') ? ` ${req.label.slice(req.label.indexOf('('))}` : ''));
        for (const field of req.fields.length ? req.fields : [req.label]) count(coverage.fields, field);
        count(coverage.statuses, String(answer.status));
        const codes = new Set(errorsOf(answer.body).map((e) => textOf(e.extensions?.code ?? '(no code)')));
        for (const code of codes.size ? codes : ['(no errors)']) count(coverage.codes, code);
        for (const code of userErrorCodes((answer.body as { data?: unknown } | undefined)?.data)) count(coverage.userErrors, code);
        totals.slowest = [...totals.slowest, { ms: answer.ms, label: req.label, run }].sort((a, b) => b.ms - a.ms).slice(0, 5);
        pool.learn(answer.body);
        for (const violation of check(req, answer)) found.push({ answer, violation });
      }
      for (const { answer, violation } of found) {
        // A connection left broken by an earlier request shows up here: say what came before.
        if (violation.rule === 'no answer') violation.detail += `; the runs before: ${recent.join(', ')}`;
        record(run, req, answer, violation);
      }
      recent = [...recent.slice(-2), `${run} ${req.label}`];
      if (run % BATCH === BATCH - 1) await checkpoint(run);
      if (PATH && found.length) {
        const server = found.map((f) => serverErrorOf(hub.logsFor(f.answer.requestId))).filter(Boolean).join('\n');
        throw new Error(`${found.map((f) => `${f.violation.rule}: ${f.violation.detail}`).join('\n')}\n${server ? `server: ${server}\n` : ''}${describeRequest(req)}`);
      }
    });
    // With a path, fast-check would go on from that run to the end: one run is the replay.
    const details = await fc.check(property, { seed: SEED, path: PATH, numRuns: PATH ? 1 : RUNS });
    await checkpoint(totals.runs);

    for (const broken of await brokenInvariants(hub.db, since)) {
      record(totals.runs, noRequest('integrity'), null, { rule: `integrity: ${broken.name}`, detail: JSON.stringify(broken.rows) }, false);
    }
    for (const line of hub.strayErrors()) {
      record(totals.runs, noRequest('log'), null, { rule: 'an error logged outside any request', detail: serverErrorOf([line]) }, false);
    }
    for (const { run, req, error } of uncaught) {
      const detail = `${error} (while answering run ${run} or just after it)`;
      record(run, req ?? noRequest('unknown'), null, { rule: 'an exception nothing caught (it would stop a server process)', detail }, req !== null);
    }
    const text = await textStatistics(hub.db);
    const changes = await changesSince(hub.db, fuzzStart);

    const seconds = (Date.now() - totals.started) / 1000;
    console.info(
      [
        `fuzz: ${totals.runs} runs, ${totals.requests} requests in ${seconds.toFixed(1)} s (${hub.db.kind}), seed ${SEED}${PATH ? `, path ${PATH}` : ''}` +
          `${totals.skipped ? `, ${totals.skipped} runs skipped past the time budget of ${TIME_LIMIT_MS} ms${PATH ? ` or the shrink budget of ${SHRINK_RUNS} runs` : ''}` : ''}`,
        `memory: RSS ${Math.round(baselineRss / 2 ** 20)} MB after set-up, peak ${Math.round(peakRss / 2 ** 20)} MB`,
        `slowest: ${totals.slowest.map((s) => `${Math.round(s.ms)} ms (run ${s.run}, ${s.label})`).join('; ')}`,
        `stored text: longest ${text.longest.length} characters in ${text.longest.where}; control characters in ${text.controls.join(', ') || 'none'}`,
        table('requests by kind', coverage.kinds),
        table('operations by root field', coverage.fields),
        table('answers by HTTP status', coverage.statuses),
        table('answers by error code', coverage.codes),
        table('userErrors by code', coverage.userErrors),
        table('changes that went through (audit events by action)', changes),
      ].join('\n'),
    );
    const report = [...failures.values()].map(
      (f, i) =>
        `#${i + 1} ${f.rule} (HTTP ${f.status}${f.code ? `, ${f.code}` : ''}) — ${f.runs.length}× in ${[...f.labels].slice(0, 6).join(', ')}${f.labels.size > 6 ? ', …' : ''}\n` +
        `   replay: FUZZ_SEED=${SEED} ${f.replayable ? `FUZZ_PATH=${f.runs[0]}` : `FUZZ_RUNS=${RUNS} (the whole run)`}\n` +
        (f.server ? `   server logged: ${squeeze(f.server, 400)}\n` : '') +
        `   ${squeeze(f.detail, 400)}\n` +
        `   ${f.request.split('\n').join('\n   ')}`,
    );
    if (report.length) console.error(`fuzz: ${failures.size} distinct failures\n\n${report.join('\n\n')}`);

    if (details.failed) {
      const cause = details.errorInstance instanceof Error ? (details.errorInstance.stack ?? details.errorInstance.message) : String(details.errorInstance);
      throw new Error(`FUZZ_SEED=${details.seed} FUZZ_PATH=${details.counterexamplePath?.split(':')[0]}\n${cause}\n\n${fc.defaultReportMessage(details)}`);
    }
    if (!PATH) expect(totals.requests, `a full run makes at least ${MIN_REQUESTS} requests; the time budget cut this one short`).toBeGreaterThanOrEqual(Math.min(MIN_REQUESTS, RUNS));
    expect(failures.size, 'distinct failures, each listed above with its replay').toBe(0);
  }, 600_000);
});
