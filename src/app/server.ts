import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { HeaderMap } from '@apollo/server';
import { GraphQLError } from 'graphql';
import type { Logger } from 'pino';
import { IdentityProviderUnavailable, TokenRejected } from '../auth/auth.errors.js';
import { identityProviderUnavailable, unauthenticated } from '../http/auth-errors.js';
import { Policy } from '../auth/policy.js';
import { TokenVerifier, type TokenVerifierOptions, type VerifiedIdentity } from '../auth/token-verifier.js';
import { Viewer } from '../auth/viewer.js';
import type { Config, TrustedIssuerConfig } from '../config.js';
import type { Orm } from '../db/orm.js';
import { execute, sql } from '../db/sql.js';
import { requestStore, type RequestStore } from '../db/request-context.js';
import type { ViewerCache } from '../auth/viewer-cache.js';
import type { Context } from '../graphql/context.js';
import { startApollo } from './apollo.js';
import { createLoaders } from './loaders.js';
import { InvalidArgument } from '../domain/errors.js';
import { RESPONSE_TOO_LARGE, ResponseBudget } from '../graphql/response-budget.js';
import { RequestRateLimiter } from '../http/rate-limit.js';
import { readMultipartRequest } from '../http/multipart.js';
import { bearerToken, errorBody, HttpError, MAX_JSON_NESTING, nestsDeeperThan, readBody, sendJson, TOO_DEEP, valueNestsDeeperThan } from '../http/request.js';
import { serveDocument } from '../documents/document.download.js';
import { reportCsv } from '../reports/report.csv.js';

const GRAPHQL_PATH = '/graphql';
const JSON_BODY_LIMIT = 1024 * 1024;
const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

export interface Hub {
  server: Server;
  url: string;
  /** Stops taking requests, lets those in flight finish (up to the configured timeout), then closes. */
  stop(): Promise<void>;
}

/** Who a request's bearer token says it is: nobody without one, or why the token was refused. */
type Authentication = { identity: VerifiedIdentity | null; rejected: TokenRejected | IdentityProviderUnavailable | null };

export async function startHub(options: {
  config: Config;
  orm: Orm;
  log: Logger;
  trustedIssuers: TrustedIssuerConfig[];
  /** Signed-in people's authorization facts, reused between requests while unchanged. */
  viewers: ViewerCache;
  /** How issuers' JWKS are fetched and kept (tests shorten the waits). */
  jwks?: TokenVerifierOptions['jwks'];
  port?: number;
  host?: string;
}): Promise<Hub> {
  const { config, orm, log } = options;
  const verifier = new TokenVerifier(options.trustedIssuers, config.clockSkewSeconds, { log, jwks: options.jwks });
  const rateLimiter = RequestRateLimiter.create(
    {
      perMinute: config.rateLimitPerMinute,
      anonymousPerMinute: config.rateLimitAnonymousPerMinute,
      redisUrl: config.rateLimitRedisUrl,
      trustProxyHops: config.trustProxyHops,
    },
    log.child({ component: 'rate-limit' }),
  );
  let draining = false;

  const apollo = await startApollo(config, log);

  /** Checks the bearer token (no database work: keys and verified tokens are held in memory). */
  async function authenticate(req: IncomingMessage): Promise<Authentication> {
    try {
      const token = bearerToken(req);
      return { identity: token ? await verifier.verify(token) : null, rejected: null };
    } catch (error) {
      if (error instanceof TokenRejected || error instanceof IdentityProviderUnavailable) return { identity: null, rejected: error };
      throw error;
    }
  }

  async function context(auth: Authentication, requestId: string): Promise<Context> {
    if (auth.rejected instanceof IdentityProviderUnavailable) throw identityProviderUnavailable(auth.rejected);
    if (auth.rejected) {
      log.info({ requestId, reason: auth.rejected.reason }, 'token rejected');
      const err = unauthenticated('The bearer token is invalid or expired.');
      err.extensions.http = { status: 401, headers: new HeaderMap([['www-authenticate', 'Bearer error="invalid_token"']]) };
      throw err;
    }
    const em = orm.em.fork();
    const viewer = auth.identity ? await options.viewers.viewerFor(em, auth.identity) : Viewer.anonymous();
    const policy = new Policy(viewer);
    const ctx: Context = {
      requestId,
      config,
      log: log.child({ requestId }),
      em,
      viewer,
      policy,
      trustedIssuers: options.trustedIssuers,
      budget: new ResponseBudget(config.responseMaxItems),
      now: () => new Date(),
      loaders: undefined as never,
    };
    ctx.loaders = createLoaders(em, policy, () => ctx);
    return ctx;
  }

  async function graphql(req: IncomingMessage, res: ServerResponse, url: URL, requestId: string, auth: Authentication): Promise<void> {
    const contentType = req.headers['content-type'] ?? '';
    let body: unknown = undefined;
    if (req.method === 'POST') {
      if (/^multipart\/form-data/i.test(contentType)) {
        body = await readMultipartRequest(req, res, config);
        if (body === null) return; // refused, and answered
        if (valueNestsDeeperThan(body, MAX_JSON_NESTING)) throw new HttpError(400, 'BAD_REQUEST', TOO_DEEP);
      } else {
        const raw = await readBody(req, JSON_BODY_LIMIT);
        if (/^application\/(graphql-response\+)?json/i.test(contentType) || /\+json/i.test(contentType)) {
          if (nestsDeeperThan(raw, MAX_JSON_NESTING)) throw new HttpError(400, 'BAD_REQUEST', TOO_DEEP);
          try {
            body = raw.length ? JSON.parse(raw) : undefined;
          } catch {
            throw new HttpError(400, 'BAD_REQUEST', 'The request body is not valid JSON.');
          }
        } else body = raw;
      }
    }
    if (nestsDeeperThan(url.searchParams.get('variables') ?? '', MAX_JSON_NESTING)) throw new HttpError(400, 'BAD_REQUEST', TOO_DEEP);
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    const response = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: url.search, body },
      context: () => context(auth, requestId),
    });
    const outHeaders: Record<string, string> = {};
    for (const [key, value] of response.headers) outHeaders[key] = value;
    let status = response.status ?? 200;
    // GraphQL over HTTP: a request error answered as application/json is 200 (the legacy media type
    // carries no status semantics); application/graphql-response+json keeps the 400.
    if (status === 400 && requestStore.getStore()?.requestError && /^application\/json/i.test(outHeaders['content-type'] ?? '')) status = 200;
    if (response.body.kind === 'complete') {
      let text = response.body.string;
      // Past the list-item budget, the last guard on what one answer may put on the wire.
      if (Buffer.byteLength(text) > config.responseMaxBytes) {
        status = 400;
        text = JSON.stringify(errorBody(RESPONSE_TOO_LARGE, `The answer would be larger than ${config.responseMaxBytes} bytes. Ask for smaller pages or fewer fields.`));
      }
      res.writeHead(status, outHeaders);
      res.end(text);
    } else {
      res.writeHead(status, outHeaders);
      for await (const chunk of response.body.asyncIterator) res.write(chunk);
      res.end();
    }
  }

  /** Files and CSV exports: plain GETs with the same bearer token and the same scopes as the API. */
  async function download(res: ServerResponse, path: string, url: URL, requestId: string, auth: Authentication): Promise<void> {
    let ctx: Context;
    try {
      ctx = await context(auth, requestId);
    } catch (error) {
      if (error instanceof GraphQLError && error.originalError instanceof IdentityProviderUnavailable) {
        return sendJson(res, 503, errorBody('IDENTITY_PROVIDER_UNAVAILABLE', error.message), { 'retry-after': String(error.originalError.retryAfterSeconds) });
      }
      if (error instanceof GraphQLError) return sendJson(res, 401, { errors: [{ message: error.message, extensions: { code: 'UNAUTHENTICATED' } }] }, { 'www-authenticate': 'Bearer' });
      throw error;
    }
    if (!ctx.viewer.user) return sendJson(res, 401, errorBody('UNAUTHENTICATED', 'A valid bearer token of a registered user is required.'), { 'www-authenticate': 'Bearer' });
    if (path.startsWith('/documents/')) return serveDocument(ctx, res, path.slice('/documents/'.length));
    const name = /^\/reports\/([a-z-]+)\.csv$/.exec(path)?.[1];
    try {
      const report = name ? await reportCsv(ctx, name, url.searchParams) : null;
      if (!report) return sendJson(res, 404, errorBody('NOT_FOUND', 'No such report.'));
      res.writeHead(200, {
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="${report.filename}"`,
        'cache-control': 'private, no-store',
      });
      res.end(`\ufeff${report.csv}`);
    } catch (error) {
      if (error instanceof InvalidArgument) return sendJson(res, 400, { errors: [{ message: error.message, extensions: { code: 'BAD_USER_INPUT' } }] });
      throw error;
    }
  }

  // The code's migrations, all applied at start; readiness checks they are still recorded as applied.
  const expectedMigrations = (await execute<{ n: number }>(orm.em.fork(), sql`select count(*)::int as n from mikro_orm_migrations`))[0].n;

  async function ready(): Promise<{ ok: boolean; detail: string }> {
    if (draining) return { ok: false, detail: 'shutting down' };
    try {
      const [row] = await execute<{ n: number }>(orm.em.fork(), sql`select count(*)::int as n from mikro_orm_migrations`);
      if (Number(row.n) < expectedMigrations) return { ok: false, detail: 'migrations not applied' };
    } catch {
      return { ok: false, detail: 'database unreachable or not migrated' };
    }
    return { ok: true, detail: 'ready' };
  }

  let inFlight = 0;
  let idle: (() => void) | null = null;

  const server = createServer((req, res) => {
    const started = process.hrtime.bigint();
    const incoming = req.headers['x-request-id'];
    const requestId = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    const store: RequestStore = { requestId, sqlStatements: 0 };
    res.setHeader('x-request-id', requestId);
    inFlight++;
    res.on('close', () => {
      inFlight--;
      log.info(
        {
          requestId,
          method: req.method,
          url: req.url,
          status: res.statusCode,
          ms: Number(process.hrtime.bigint() - started) / 1e6,
          sqlStatements: store.sqlStatements,
        },
        'request',
      );
      if (inFlight === 0 && idle) idle();
    });
    // Every failure is answered inside (the catch below); nothing is left for the promise to reject with.
    void requestStore.run(store, async () => {
      try {
        const path = (req.url ?? '/').split('?')[0];
        let url: URL;
        try {
          url = new URL(req.url ?? '/', 'http://localhost');
        } catch {
          return sendJson(res, 400, errorBody('BAD_REQUEST', 'The request target is not a valid URL.'));
        }
        if (path === '/healthz') return sendJson(res, 200, { status: 'ok' });
        if (path === '/readyz') {
          const state = await ready();
          return sendJson(res, state.ok ? 200 : 503, { status: state.ok ? 'ready' : 'unavailable', detail: state.detail });
        }
        const isDownload = req.method === 'GET' && (path.startsWith('/documents/') || path.startsWith('/reports/'));
        if (!isDownload && path !== GRAPHQL_PATH) return sendJson(res, 404, errorBody('NOT_FOUND', `Nothing here: the API is at ${GRAPHQL_PATH}.`));
        if (draining) {
          return sendJson(res, 503, errorBody('SERVICE_UNAVAILABLE', 'The server is shutting down.'), { connection: 'close' });
        }
        // Counted before the body is read and before any database work.
        const auth = await authenticate(req);
        const admission = await rateLimiter.admit(req, auth.identity);
        if (!admission.admitted) {
          req.resume();
          return sendJson(res, 429, errorBody('RATE_LIMITED', `Too many requests: try again in ${admission.retryAfterSeconds} s.`), {
            'retry-after': String(admission.retryAfterSeconds),
          });
        }
        if (isDownload) return await download(res, path, url, requestId, auth);
        await graphql(req, res, url, requestId, auth);
      } catch (error) {
        if (error instanceof HttpError) return sendJson(res, error.status, errorBody(error.code, error.message));
        if (error instanceof GraphQLError) return sendJson(res, 400, { errors: [error.toJSON()] });
        log.error({ err: error, requestId }, 'request failed');
        sendJson(res, 500, { errors: [{ message: 'Internal server error.', extensions: { code: 'INTERNAL_SERVER_ERROR', requestId } }] });
      }
    });
  });
  server.keepAliveTimeout = 5_000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 60_000;

  await new Promise<void>((resolve) => server.listen(options.port ?? config.port, options.host ?? config.host, resolve));
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host === '0.0.0.0' || host === '[::]' ? 'localhost' : host}:${address.port}${GRAPHQL_PATH}`;

  async function stop(): Promise<void> {
    if (draining) return;
    draining = true;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    if (inFlight > 0) {
      await Promise.race([
        new Promise<void>((resolve) => (idle = resolve)),
        new Promise<void>((resolve) => setTimeout(resolve, config.shutdownTimeoutMs).unref()),
      ]);
    }
    server.closeAllConnections();
    await closed;
    await apollo.stop();
    await rateLimiter.close();
  }

  return { server, url, stop };
}
