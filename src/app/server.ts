import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { ApolloServer, HeaderMap, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
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
import { formatErrorFor } from '../graphql/errors.js';
import { createLoaders } from './loaders.js';
import { InvalidArgument } from '../domain/errors.js';
import { domainErrorsPlugin } from '../graphql/domain-errors.js';
import { RESPONSE_TOO_LARGE, ResponseBudget } from '../graphql/response-budget.js';
import { hubSchema } from './schema.js';
import { DEFAULT_LIMITS, queryLimitsPlugin } from '../http/limits.js';
import { RequestRateLimiter } from '../http/rate-limit.js';
import { requestErrorsPlugin } from '../http/request-errors.js';
import { readMultipartRequest } from '../http/multipart.js';
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

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new HttpError(413, 'PAYLOAD_TOO_LARGE', `Request body exceeds ${limit} bytes.`));
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Deeper than any operation of ours nests its variables; deeper JSON only overflows recursive code. */
const MAX_JSON_NESTING = 64;

/** Whether JSON text nests arrays and objects deeper than `max`, counted without parsing it. */
function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/** The same for a value already parsed (a multipart request's operations), walked without recursion. */
function valueNestsDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [current, depth] = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    if (depth + 1 > max) return true;
    for (const inner of Object.values(current)) stack.push([inner, depth + 1]);
  }
  return false;
}

const TOO_DEEP = `The request nests its JSON more than ${MAX_JSON_NESTING} levels deep.`;

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

function errorBody(code: string, message: string) {
  return { errors: [{ message, extensions: { code } }] };
}

/** Who a request's bearer token says it is: nobody without one, or why the token was refused. */
type Authentication = { identity: VerifiedIdentity | null; rejected: TokenRejected | IdentityProviderUnavailable | null };

/** The bearer token of a request: undefined when absent, an error when the header is malformed. */
function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (header === undefined) return undefined;
  const match = /^Bearer ([A-Za-z0-9._~+/=-]+)$/i.exec(header.trim());
  if (!match) throw new TokenRejected('malformed authorization header');
  return match[1];
}

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

  const sqlCountPlugin: ApolloServerPlugin<Context> = {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          const store = requestStore.getStore();
          if (config.exposeSqlCount && store) response.http.headers.set('x-sql-statements', String(store.sqlStatements));
        },
      };
    },
  };

  const apollo = new ApolloServer<Context>({
    schema: await hubSchema(),
    csrfPrevention: true,
    introspection: config.introspection,
    includeStacktraceInErrorResponses: false,
    allowBatchedHttpRequests: false,
    // Clients send whole documents; automatic persisted queries would only add a per-instance cache
    // and error paths (a wrong hash, an unknown version) that answered as server errors.
    persistedQueries: false,
    // main.ts owns SIGTERM/SIGINT (drain requests, stop jobs, close the database); Apollo's own handler
    // would stop the server first and leave our shutdown waiting on it.
    stopOnTerminationSignals: false,
    // Where introspection is off, error messages must not spell out the schema either.
    formatError: formatErrorFor(log, () => requestStore.getStore()?.requestId, { hideSuggestions: !config.introspection }),
    parseOptions: { maxTokens: DEFAULT_LIMITS.maxTokens },
    plugins: [
      queryLimitsPlugin<Context>(DEFAULT_LIMITS),
      requestErrorsPlugin<Context>(() => requestStore.getStore()),
      domainErrorsPlugin<Context>(),
      sqlCountPlugin,
      // The hub sends no cache hints (every answer depends on the viewer); without this Apollo wraps
      // every field resolver to collect them.
      ApolloServerPluginCacheControlDisabled(),
      config.landingPage ? ApolloServerPluginLandingPageLocalDefault({ embed: true }) : ApolloServerPluginLandingPageDisabled(),
    ],
    logger: {
      debug: (m) => log.debug(m),
      info: (m) => log.info(m),
      warn: (m) => log.warn(m),
      error: (m) => log.error(m),
    },
  });
  await apollo.start();

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
    requestStore.run(store, async () => {
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
