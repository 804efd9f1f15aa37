import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { DevIssuer } from '../../src/auth/dev-issuer.js';

const root = join(import.meta.dirname, '..', '..');
let built: Promise<string> | undefined;

/**
 * Compiles the hub as `npm run build` does, into a folder of this test process (two test files
 * building into one folder at once would overwrite each other's output), once per process.
 */
export function buildOnce(): Promise<string> {
  built ??= (async () => {
    const outDir = join(root, '.test-build', String(process.pid));
    rmSync(outDir, { recursive: true, force: true });
    await promisify(execFile)(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json', '--outDir', outDir], { cwd: root });
    return outDir;
  })();
  return built;
}

export interface CompiledHub {
  url: string;
  pid: number;
  /** Its DATA_DIR (PGlite's files, the development issuer's key, staged uploads). */
  dataDir: string;
  child: ChildProcess;
  /** A development-issuer token for a demo user. */
  token(email: string, acr?: string): Promise<string>;
  /** The process's resident set now and at its peak (VmRSS, VmHWM), in bytes. */
  memory(): { rss: number; peak: number };
  /** Starts a new peak from now (the embedded PGlite's start-up peaks far above the server's own use). */
  resetPeak(): void;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  close(): Promise<void>;
}

/**
 * The compiled hub as production runs it (`npm run start:compiled`: 192 MB heap cap, 32 MB young
 * generation, NODE_ENV=production), in a child process of its own, with the demo dataset on a
 * database of its own (PGlite in a temporary DATA_DIR, or a fresh database on DATABASE_URL's server).
 */
export async function startCompiledHub(env: Record<string, string> = {}): Promise<CompiledHub> {
  const outDir = await buildOnce();
  const dataDir = mkdtempSync(join(tmpdir(), 'hub-compiled-'));
  let database: string | null = null;
  const childEnv: Record<string, string | undefined> = {
    ...process.env,
    NODE_ENV: 'production',
    DEV_ISSUER: 'true',
    DATA_DIR: dataDir,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    RATE_LIMIT_PER_MINUTE: '0',
    RATE_LIMIT_ANONYMOUS_PER_MINUTE: '0',
    ...env,
  };
  delete childEnv.DATABASE_URL;
  if (process.env.DATABASE_URL) {
    // An empty database of its own: the child migrates it and loads the demo, as `npm start` does.
    database = `hub_test_${process.pid}_${randomBytes(4).toString('hex')}`;
    await adminQuery(`create database "${database}"`);
    const url = new URL(process.env.DATABASE_URL);
    url.pathname = `/${database}`;
    childEnv.DATABASE_URL = url.toString();
  }
  const child = spawn(process.execPath, ['--max-old-space-size=192', '--max-semi-space-size=32', join(outDir, 'src', 'app', 'main.js')], {
    cwd: root,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const listening = /"url":"([^"]+)"[^\n]*identity hub listening/.exec(output);
      if (listening) resolve(listening[1]);
    });
    child.on('exit', (code) => reject(new Error(`the compiled hub exited with ${code}:\n${output}`)));
  });
  const issuer = await DevIssuer.loadOrCreate(dataDir, 'https://dev-issuer.hub.local', 'identity-hub');
  const { demoUsers, demoRegistrationNumber } = await import('../../src/demo/demo-data.js');
  return {
    url,
    pid: child.pid!,
    dataDir,
    child,
    async token(email, acr) {
      const user = demoUsers.find((u) => u.email === email);
      return issuer.sign({ sub: email, email, acr: acr ?? user?.assuranceLevel ?? 'substantial', registration_number: user ? demoRegistrationNumber(user.employer) : undefined });
    },
    memory() {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
      return { rss: kib('VmRSS'), peak: kib('VmHWM') };
    },
    resetPeak() {
      writeFileSync(`/proc/${child.pid}/clear_refs`, '5');
    },
    output: () => output,
    async close() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      rmSync(dataDir, { recursive: true, force: true });
      if (database) await adminQuery(`drop database if exists "${database}" with (force)`);
    },
  };
}

async function adminQuery(statement: string): Promise<void> {
  const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(statement);
  } finally {
    await admin.end();
  }
}
