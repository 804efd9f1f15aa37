import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import type { Logger } from 'pino';

/**
 * How many hub processes share the port: `--workers N|auto` on the command line (`npm run
 * start:compiled` passes auto: one per core), else WORKERS, else 1 (one process, no cluster).
 * PGlite is one process's embedded database: without DATABASE_URL, auto is 1 and more is refused.
 */
export function workerCount(argv: string[], env: NodeJS.ProcessEnv, sharedDatabase: boolean): number {
  const at = argv.indexOf('--workers');
  const raw = (at >= 0 ? argv[at + 1] : undefined) ?? argv.find((a) => a.startsWith('--workers='))?.slice(10) ?? env.WORKERS ?? '1';
  if (raw === 'auto') return sharedDatabase ? availableParallelism() : 1;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new Error(`--workers / WORKERS must be "auto" or a whole number from 1 to 64, not "${raw}"`);
  if (n > 1 && !sharedDatabase) throw new Error('several workers need PostgreSQL (DATABASE_URL): PGlite is embedded in one process');
  return n;
}

/**
 * The primary of a cluster: it serves nothing itself. The hub is stateless between requests (its
 * caches are exact: the viewer cache follows LISTEN, verified tokens are keyed by their text, the
 * catalogue by its minute), so N processes on one port answer as one. The first worker starts alone
 * (it applies migrations and loads the demo) and is the only one running background jobs; the
 * others follow once it listens. A worker that dies is replaced; SIGTERM/SIGINT stop every worker
 * gracefully, then the primary.
 *
 * Rate limits without REDIS_URL are counted per process, as with several instances: a client's
 * keep-alive connection stays with one worker, its new connections may reach another.
 */
export function runPrimary(workers: number, log: Logger): void {
  let stopping = false;
  const roles = new Map<Worker, boolean>();
  const listened = new WeakSet<Worker>();
  const fork = (jobs: boolean): Worker => {
    const worker = cluster.fork({ HUB_WORKER: '1', ...(jobs ? {} : { JOBS: 'false', SEED_DEMO: 'false' }) });
    roles.set(worker, jobs);
    worker.once('listening', () => listened.add(worker));
    return worker;
  };
  const first = fork(true);
  first.once('listening', () => {
    for (let i = 1; i < workers; i++) fork(false);
  });
  cluster.on('exit', (worker, code, signal) => {
    const jobs = roles.get(worker) ?? false;
    roles.delete(worker);
    if (stopping) {
      if (roles.size === 0) process.exit(process.exitCode ?? 0);
      return;
    }
    // One that never came up (configuration, database) would fail again: stop with its code.
    if (!listened.has(worker)) {
      log.error({ pid: worker.process.pid, code, signal }, 'hub worker failed to start');
      stopping = true;
      for (const other of roles.keys()) other.process.kill('SIGTERM');
      process.exitCode = code || 1;
      if (roles.size === 0) process.exit(code || 1);
      return;
    }
    log.error({ pid: worker.process.pid, code, signal }, 'hub worker died: starting another');
    fork(jobs);
  });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      log.info({ signal, workers: roles.size }, 'stopping hub workers');
      for (const worker of roles.keys()) worker.process.kill('SIGTERM');
      if (roles.size === 0) process.exit(0);
    });
  }
}
