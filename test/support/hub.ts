import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startApp, type App } from '../../src/app/start.js';
import type { JwksOptions } from '../../src/auth/remote-jwks.js';
import { loadConfig, type Config } from '../../src/config.js';
import { demoUsers } from '../../src/demo/demo-data.js';
import { createTestDatabase, shareDatabase, type TestDatabase } from './database.js';

export interface GraphQLResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  data?: T;
  errors?: { message: string; path?: string[]; extensions?: Record<string, unknown> }[];
}

export interface TestHub {
  app: App;
  db: TestDatabase;
  config: Config;
  url: string;
  /** A development-issuer token for a demo user, optionally with another assurance level. */
  token(email: string, claims?: { acr?: string; ttlSeconds?: number; sub?: string; registration_number?: string }): Promise<string>;
  /** A development-issuer client-credentials token (`client_id` = name, no person), as `npm run token -- --client` signs it. */
  clientToken(name: string): Promise<string>;
  /** POSTs a GraphQL operation as JSON. */
  gql<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>, token?: string): Promise<GraphQLResponse<T>>;
  /**
   * POSTs an operation as a GraphQL multipart request (files at variable paths such as
   * "input.agreementDocument"), the way browsers and Apollo clients upload.
   */
  upload<T = Record<string, unknown>>(
    token: string | null,
    query: string,
    variables: Record<string, unknown>,
    files: Record<string, { bytes: Buffer | Uint8Array; filename: string; type?: string }>,
  ): Promise<GraphQLResponse<T>>;
  /** Same, signed in as a demo user. */
  as<T = Record<string, unknown>>(email: string, query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse<T>>;
  close(): Promise<void>;
}

/**
 * Starts the real hub over real HTTP on its own database, with the demo dataset loaded. With
 * `sharing`, starts a second server process-alike on the same PostgreSQL database and data directory;
 * `jwks` shortens the JWKS waits (back-off, cool-down, timeout) so outage tests take seconds.
 */
export async function startTestHub(env: Record<string, string> = {}, sharing?: TestHub, options: { jwks?: Partial<JwksOptions> } = {}): Promise<TestHub> {
  const dataDir = sharing ? sharing.config.dataDir : mkdtempSync(join(tmpdir(), 'hub-test-'));
  // Suites send hundreds of requests a minute as one person; the rate-limit tests turn the limits on.
  const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', RATE_LIMIT_PER_MINUTE: '0', RATE_LIMIT_ANONYMOUS_PER_MINUTE: '0', ...env });
  const db = sharing ? await shareDatabase(sharing.db) : await createTestDatabase();
  const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const app = await startApp(config, log, { orm: db.orm, port: 0, host: '127.0.0.1', jwks: options.jwks });
  const tokens = new Map<string, string>();

  async function token(email: string, claims: Parameters<TestHub['token']>[1] = {}): Promise<string> {
    const key = JSON.stringify([email, claims]);
    if (tokens.has(key)) return tokens.get(key)!;
    const user = demoUsers.find((u) => u.email === email);
    const { demoRegistrationNumber } = await import('../../src/demo/demo-data.js');
    const signed = await app.devIssuer!.sign(
      {
        sub: claims.sub ?? email,
        email,
        acr: claims.acr ?? user?.assuranceLevel ?? 'substantial',
        registration_number: claims.registration_number ?? (user ? demoRegistrationNumber(user.employer) : undefined),
      },
      claims.ttlSeconds,
    );
    tokens.set(key, signed);
    return signed;
  }

  async function clientToken(name: string): Promise<string> {
    const key = JSON.stringify(['client', name]);
    if (!tokens.has(key)) tokens.set(key, await app.devIssuer!.sign({ sub: `client:${name}`, client_id: name }));
    return tokens.get(key)!;
  }

  async function gql<T>(query: string, variables?: Record<string, unknown>, bearer?: string): Promise<GraphQLResponse<T>> {
    const res = await fetch(app.hub.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as { data?: T; errors?: GraphQLResponse['errors'] };
    return { status: res.status, headers: res.headers, data: body.data ?? undefined, errors: body.errors };
  }

  async function upload<T>(
    bearer: string | null,
    query: string,
    variables: Record<string, unknown>,
    files: Record<string, { bytes: Buffer | Uint8Array; filename: string; type?: string }>,
  ): Promise<GraphQLResponse<T>> {
    const form = new FormData();
    const paths = Object.keys(files);
    const vars = structuredClone(variables);
    for (const path of paths) {
      const keys = path.split('.');
      let target = vars;
      for (const key of keys.slice(0, -1)) target = target[key] as Record<string, unknown>;
      target[keys[keys.length - 1]] = null;
    }
    form.append('operations', JSON.stringify({ query, variables: vars }));
    form.append('map', JSON.stringify(Object.fromEntries(paths.map((p, i) => [String(i), [`variables.${p}`]]))));
    paths.forEach((p, i) => {
      const f = files[p];
      form.append(String(i), new Blob([new Uint8Array(f.bytes)], { type: f.type ?? 'application/octet-stream' }), f.filename);
    });
    const res = await fetch(app.hub.url, {
      method: 'POST',
      headers: { 'apollo-require-preflight': 'true', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
      body: form,
    });
    const body = (await res.json()) as { data?: T; errors?: GraphQLResponse['errors'] };
    return { status: res.status, headers: res.headers, data: body.data ?? undefined, errors: body.errors };
  }

  return {
    app,
    db,
    upload,
    config,
    url: app.hub.url,
    token,
    clientToken,
    gql,
    async as<T>(email: string, query: string, variables?: Record<string, unknown>) {
      return gql<T>(query, variables, await token(email));
    },
    async close() {
      await app.stop();
      await db.drop();
      if (!sharing) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const demo = {
  anna: 'anna.registrar@stockholm.se',
  erik: 'erik.analyst@arbetsformedlingen.se',
  mette: 'mette.specialist@specialcenter-nord.dk',
  lars: 'lars.admin@boerneklinikken.dk',
  karin: 'karin.admin@forsakringskassan.se',
  maria: 'maria.manager@stockholm.se',
  jonas: 'jonas.issuer@arbetsformedlingen.se',
  sofie: 'sofie.viso@sbst.dk',
} as const;
