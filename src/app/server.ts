import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { GraphQLError } from 'graphql';
import type { Logger } from 'pino';
import type { DevIssuer } from '../auth/dev-issuer.js';
import { TokenVerifier, type TokenVerifierOptions } from '../auth/token-verifier.js';
import type { ViewerCache } from '../auth/viewer-cache.js';
import type { Config, TrustedIssuerConfig } from '../config.js';
import type { Orm } from '../db/orm.js';
import { requestStore, type RequestStore } from '../db/request-context.js';
import { RequestRateLimiter } from '../http/rate-limit.js';
import { errorBody, HttpError, sendJson } from '../http/request.js';
import { startApollo } from './apollo.js';
import { consoleRoutes } from './http/console-routes.js';
import { devIssuerRoutes } from './http/dev-issuer-routes.js';
import { downloadRoutes } from './http/download-routes.js';
import { GRAPHQL_PATH, graphqlRoute } from './http/graphql-route.js';
import { healthRoutes } from './http/health-routes.js';
import { provisioningRoutes } from './http/provisioning-routes.js';
import { RequestScopes } from './http/request-scope.js';
import { scimRoutes } from './http/scim-routes.js';
import type { Route } from './http/route.js';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

export interface Hub {
  server: Server;
  url: string;
  /** Stops taking requests, lets those in flight finish (up to the configured timeout), then closes. */
  stop(): Promise<void>;
}

export interface HubOptions {
  config: Config;
  orm: Orm;
  log: Logger;
  trustedIssuers: TrustedIssuerConfig[];
  /** Signed-in people's authorization facts, reused between requests while unchanged. */
  viewers: ViewerCache;
  /** How issuers' JWKS are fetched and kept (tests shorten the waits). */
  jwks?: TokenVerifierOptions['jwks'];
  /** The local development issuer, when on: the console's sign-in pages sign with it. */
  devIssuer?: DevIssuer | null;
  port?: number;
  host?: string;
}

/** The HTTP server: its routes (src/app/http), with the request id, token check, rate limit and error mapping every route shares. */
export async function startHub(options: HubOptions): Promise<Hub> {
  const { config, orm, log } = options;
  const verifier = new TokenVerifier(options.trustedIssuers, config.clockSkewSeconds, { log, jwks: options.jwks });
  const scopes = new RequestScopes({ config, orm, log, verifier, viewers: options.viewers, trustedIssuers: options.trustedIssuers });
  const rateLimiter = createRateLimiter(config, log);
  const apollo = await startApollo(config, log);
  const lifecycle = new Lifecycle(config.shutdownTimeoutMs);
  const routes: Route[] = [
    ...(await healthRoutes(orm, () => lifecycle.draining)),
    graphqlRoute(apollo, config, scopes),
    ...downloadRoutes(scopes),
    ...provisioningRoutes(scopes),
    ...scimRoutes(scopes),
    ...consoleRoutes(config, options.devIssuer?.trustedIssuer ?? null),
    ...(options.devIssuer ? devIssuerRoutes(options.devIssuer) : []),
  ];

  async function dispatch(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      return sendJson(res, 400, errorBody('BAD_REQUEST', 'The request target is not a valid URL.'));
    }
    const path = (req.url ?? '/').split('?')[0];
    const route = routes.find((r) => r.matches(req.method ?? 'GET', path));
    if (!route) return sendJson(res, 404, errorBody('NOT_FOUND', `Nothing here: the API is at ${GRAPHQL_PATH}.`));
    if (route.open) return route.handle({ req, res, url, path, requestId, auth: { identity: null, rejected: null } });
    if (lifecycle.draining) return sendJson(res, 503, errorBody('SERVICE_UNAVAILABLE', 'The server is shutting down.'), { connection: 'close' });
    // Counted before the body is read and before any database work.
    const auth = await scopes.authenticate(req);
    const admission = await rateLimiter.admit(req, auth.identity);
    if (!admission.admitted) {
      req.resume();
      return sendJson(res, 429, errorBody('RATE_LIMITED', `Too many requests: try again in ${admission.retryAfterSeconds} s.`), {
        'retry-after': String(admission.retryAfterSeconds),
      });
    }
    await route.handle({ req, res, url, path, requestId, auth });
  }

  const server = createServer((req, res) => {
    const started = process.hrtime.bigint();
    const incoming = req.headers['x-request-id'];
    const requestId = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    const store: RequestStore = { requestId, sqlStatements: 0 };
    res.setHeader('x-request-id', requestId);
    lifecycle.begin();
    res.on('close', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      log.info({ requestId, method: req.method, url: req.url, status: res.statusCode, ms, sqlStatements: store.sqlStatements }, 'request');
      lifecycle.end();
    });
    // Every failure is answered inside (the catch below); nothing is left for the promise to reject with.
    void requestStore.run(store, async () => {
      try {
        await dispatch(req, res, requestId);
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
  return {
    server,
    url: serverUrl(server),
    async stop() {
      if (!(await lifecycle.drain(server))) return;
      await apollo.stop();
      await rateLimiter.close();
    },
  };
}

function createRateLimiter(config: Config, log: Logger): RequestRateLimiter {
  return RequestRateLimiter.create(
    {
      perMinute: config.rateLimitPerMinute,
      anonymousPerMinute: config.rateLimitAnonymousPerMinute,
      redisUrl: config.rateLimitRedisUrl,
      trustProxyHops: config.trustProxyHops,
    },
    log.child({ component: 'rate-limit' }),
  );
}

function serverUrl(server: Server): string {
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host === '0.0.0.0' || host === '[::]' ? 'localhost' : host}:${address.port}${GRAPHQL_PATH}`;
}

/** Requests in flight, and the graceful stop: refuse new ones, let those in flight finish up to a timeout. */
class Lifecycle {
  draining = false;
  private inFlight = 0;
  private idle: (() => void) | null = null;

  constructor(private readonly timeoutMs: number) {}

  begin(): void {
    this.inFlight++;
  }

  end(): void {
    this.inFlight--;
    if (this.inFlight === 0) this.idle?.();
  }

  /** False when a stop is already under way. */
  async drain(server: Server): Promise<boolean> {
    if (this.draining) return false;
    this.draining = true;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    if (this.inFlight > 0) {
      await Promise.race([
        new Promise<void>((resolve) => (this.idle = resolve)),
        new Promise<void>((resolve) => setTimeout(resolve, this.timeoutMs).unref()),
      ]);
    }
    server.closeAllConnections();
    await closed;
    return true;
  }
}
