/**
 * What every benchmark script shares: compiling the hub as production runs it, starting a compiled
 * server in a process group of its own, waiting for it, reading its peak RSS, and measuring one
 * request shape with autocannon (latencies from every response, not autocannon's histogram buckets).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { projectRoot } from '../db/orm.js';

/**
 * The hub's V8 heap settings, as in `npm run start:compiled`: without a cap V8 grows its heap freely
 * under load (430 MB at 50 connections); a larger young generation promotes less to the old one.
 */
export const HEAP_FLAGS = ['--max-old-space-size=192', '--max-semi-space-size=32'];

/** The environment of a benchmarked hub: production, measured rather than rate-limited, SQL counted. */
export function benchHubEnv(port: number, workers = '1'): Record<string, string> {
  return {
    WORKERS: workers,
    PORT: String(port),
    HOST: '127.0.0.1',
    NODE_ENV: 'production',
    DEV_ISSUER: 'true',
    EXPOSE_SQL_COUNT: 'true',
    LOG_LEVEL: 'warn',
    SEED_DEMO: 'false',
    // One benchmark identity sends thousands of requests a second: measured, not limited.
    RATE_LIMIT_PER_MINUTE: '0',
    RATE_LIMIT_ANONYMOUS_PER_MINUTE: '0',
  };
}

/** Compiles the sources to dist/ (`npm run build`), so the servers run as they would in production. */
export function build(): void {
  const result = spawnSync(process.execPath, [join(projectRoot, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: projectRoot, stdio: 'inherit' });
  if (result.status !== 0) throw new Error('npm run build failed');
}

/** Starts `dist/<script>` in its own process group (stopping it stops what it started), output to a file. */
export function startChild(script: string, env: Record<string, string>, logFile: string, flags: string[] = []): ChildProcess {
  const log = openSync(logFile, 'w');
  return spawn(process.execPath, [...flags, join(projectRoot, 'dist', script)], { cwd: projectRoot, env: { ...process.env, ...env }, stdio: ['ignore', log, log], detached: true });
}

/** Stops started children (their whole process groups) when this process exits. */
export function stopOnExit(children: () => ChildProcess[]): void {
  process.on('exit', () => {
    for (const child of children()) {
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        // already gone
      }
    }
  });
}

export async function waitFor(url: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not come up`);
}

/** A process and its descendants (a cluster's primary and its workers). */
export function tree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    try {
      const children = readFileSync(`/proc/${out[i]}/task/${out[i]}/children`, 'utf8').trim();
      if (children) out.push(...children.split(/\s+/).map(Number));
    } catch {
      // gone
    }
  }
  return out;
}

/** The largest peak RSS (VmHWM) of a process and its children, in bytes. */
export function peakRss(pid: number): number {
  return Math.max(
    ...tree(pid).map((p) => {
      try {
        return Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0) * 1024;
      } catch {
        return 0;
      }
    }),
  );
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export interface Measured {
  op: string;
  connections: number;
  requests: number;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  /** Responses with a status of 400 or more, plus connection errors and timeouts. */
  errors: number;
  sql: number | null;
}

export interface Load {
  name: string;
  url: string;
  method?: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  /** Expected status; anything else counts as an error (200 unless said). */
  status?: number;
}

/** Runs one request shape for `seconds` at `connections` and returns what it measured. */
export async function measure(load: Load, connections: number, seconds: number, sql: number | null = null): Promise<Measured> {
  const latencies: number[] = [];
  let errors = 0;
  const expected = load.status ?? 200;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      { url: load.url, connections, duration: seconds, method: load.method ?? 'POST', headers: load.headers, ...(load.body === undefined ? {} : { body: load.body }) },
      (error, res) => (error ? reject(error) : resolve(res)),
    );
    instance.on('response', (_client, status, _bytes, ms) => {
      latencies.push(ms);
      if (status !== expected) errors++;
    });
  });
  latencies.sort((a, b) => a - b);
  return {
    op: load.name,
    connections,
    requests: latencies.length,
    rps: Math.round(latencies.length / seconds),
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    errors: errors + result.errors + result.timeouts,
    sql,
  };
}

/** A latency for a table: one decimal below 100 ms, whole milliseconds above. */
export function ms(value: number): string {
  return Number.isNaN(value) ? '–' : value < 100 ? value.toFixed(1) : String(Math.round(value));
}

/** Replaces the text between two markers of a Markdown file, or inserts it before a heading (or at the end). */
export function replaceSection(old: string, start: string, end: string, section: string, before = '\n## Analysis'): string {
  const from = old.indexOf(start);
  const to = old.indexOf(end);
  if (from >= 0 && to > from) return old.slice(0, from) + section + old.slice(to + end.length);
  return old.includes(before) ? old.replace(before, `\n${section}\n${before}`) : `${old.trimEnd()}\n\n${section}\n`;
}
