import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { startApp, type App } from '../../src/app/start.js';
import { loadConfig } from '../../src/config.js';
import { demoRegistrationNumber, demoUsers } from '../../src/demo/demo-data.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

/** One line the server logged at warn or above, as pino wrote it. */
export interface LogLine {
  level: number;
  msg?: string;
  requestId?: string;
  err?: { type?: string; message?: string; stack?: string; code?: string };
  [key: string]: unknown;
}

export interface FuzzHub {
  app: App;
  db: TestDatabase;
  url: string;
  /** A development-issuer token: a demo user by e-mail (their registration number), or any subject. */
  token(email: string, claims?: { acr?: string; ttlSeconds?: number }): Promise<string>;
  /** What the server logged at warn or above about one request. */
  logsFor(requestId: string): LogLine[];
  /** Error lines logged outside any request (jobs, listeners). */
  strayErrors(): LogLine[];
  close(): Promise<void>;
}

/**
 * The test hub of test/support/hub.ts, in-process on its own database with the demo dataset, but
 * with its log kept in memory: a fuzz failure then carries the error the server logged for it.
 */
export async function startFuzzHub(env: Record<string, string> = {}): Promise<FuzzHub> {
  const dataDir = mkdtempSync(join(tmpdir(), 'hub-fuzz-'));
  const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', ...env });
  const db = await createTestDatabase();
  const byRequest = new Map<string, LogLine[]>();
  const stray: LogLine[] = [];
  const echo = process.env.TEST_LOG_LEVEL !== undefined;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of String(chunk).split('\n').filter(Boolean)) {
        if (echo) process.stdout.write(`${text}\n`);
        const line = JSON.parse(text) as LogLine;
        if (line.level < 40) continue;
        if (typeof line.requestId === 'string') byRequest.set(line.requestId, [...(byRequest.get(line.requestId) ?? []), line]);
        else if (line.level >= 50) stray.push(line);
      }
      done();
    },
  });
  const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'warn' }, sink);
  const app = await startApp(config, log, { orm: db.orm, port: 0, host: '127.0.0.1' });
  const tokens = new Map<string, string>();

  return {
    app,
    db,
    url: app.hub.url,
    async token(email, claims = {}) {
      const key = JSON.stringify([email, claims]);
      const cached = tokens.get(key);
      if (cached) return cached;
      const user = demoUsers.find((u) => u.email === email);
      const signed = await app.devIssuer!.sign(
        { sub: email, email, acr: claims.acr ?? user?.assuranceLevel ?? 'substantial', registration_number: user ? demoRegistrationNumber(user.employer) : undefined },
        claims.ttlSeconds,
      );
      // Expired tokens are made on purpose and change with the clock: never cached.
      if (claims.ttlSeconds === undefined || claims.ttlSeconds > 0) tokens.set(key, signed);
      return signed;
    },
    logsFor: (requestId) => byRequest.get(requestId) ?? [],
    strayErrors: () => [...stray],
    async close() {
      await app.stop();
      await db.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
