import { GraphQLError } from 'graphql';
import { IdentityProviderUnavailable } from '../../auth/auth.errors.js';
import { AccessDenied, InvalidArgument } from '../../domain/errors.js';
import { requestStore } from '../../db/request-context.js';
import { eventFeed } from '../../events/event.service.js';
import { checkAccess } from '../../grants/access-check.service.js';
import type { Context } from '../../graphql/context.js';
import { errorBody, sendJson } from '../../http/request.js';
import type { RequestScopes } from './request-scope.js';
import type { Route, RouteRequest } from './route.js';

/** The machine clients' plain GETs: the event feed and the access check, with the same scope as GraphQL. */
export function provisioningRoutes(scopes: RequestScopes): Route[] {
  return [
    {
      name: 'events',
      matches: (method, path) => method === 'GET' && path === '/events',
      handle: (request) =>
        asClient(scopes, request, async (ctx) => {
          const params = request.url.searchParams;
          const limit = params.get('limit');
          if (limit !== null && !/^\d{1,4}$/.test(limit)) throw new InvalidArgument('`limit` must be a whole number from 0 to 1000.', 'limit');
          const first = limit === null ? 100 : Number(limit);
          if (first > 1000) throw new InvalidArgument('`limit` must be a whole number from 0 to 1000.', 'limit');
          const types = params.getAll('type');
          const page = await eventFeed(ctx, { after: params.get('after'), first, types: types.length ? types : null });
          return { events: page.events, endCursor: page.endCursor, hasMore: page.hasNextPage };
        }),
    },
    {
      name: 'access-check',
      matches: (method, path) => method === 'GET' && path === '/access-check',
      handle: (request) =>
        asClient(scopes, request, async (ctx) => {
          const p = request.url.searchParams;
          const answer = await checkAccess(ctx, { id: p.get('id'), email: p.get('email'), issuer: p.get('issuer'), subject: p.get('subject') });
          if (!answer) return { status: 404, body: errorBody('NOT_FOUND', 'No such person.') };
          return answer;
        }),
    },
  ];
}

/** Runs a client's request: 401 without a usable token, 403 for a suspended client or a person, 400 for bad arguments. */
async function asClient(scopes: RequestScopes, { res, auth, requestId }: RouteRequest, work: (ctx: Context) => Promise<unknown>): Promise<void> {
  let ctx: Context;
  try {
    ctx = await scopes.context(auth, requestId);
  } catch (error) {
    if (error instanceof GraphQLError && error.originalError instanceof IdentityProviderUnavailable) {
      return sendJson(res, 503, errorBody('IDENTITY_PROVIDER_UNAVAILABLE', error.message), { 'retry-after': String(error.originalError.retryAfterSeconds) });
    }
    if (error instanceof GraphQLError) {
      const status = (error.extensions.http as { status?: number } | undefined)?.status ?? 401;
      if (status === 403) return sendJson(res, 403, { errors: [{ message: error.message, extensions: { code: 'FORBIDDEN', reason: error.extensions.reason } }] });
      return sendJson(res, 401, errorBody('UNAUTHENTICATED', error.message), { 'www-authenticate': 'Bearer' });
    }
    throw error;
  }
  try {
    const result = await work(ctx);
    // What the bench counts (EXPOSE_SQL_COUNT), as on /graphql and /scim/v2.
    const headers: Record<string, string> = { 'cache-control': 'private, no-store', ...(ctx.config.exposeSqlCount ? { 'x-sql-statements': String(requestStore.getStore()?.sqlStatements ?? 0) } : {}) };
    const shaped = result as { status?: number; body?: unknown };
    if (shaped && typeof shaped.status === 'number' && 'body' in shaped) return sendJson(res, shaped.status, shaped.body, headers);
    sendJson(res, 200, result, headers);
  } catch (error) {
    // A cursor older than the retention: what followed it is gone (as Kubernetes answers a watch too old), start over.
    if (error instanceof InvalidArgument && error.reason === 'CURSOR_EXPIRED') return sendJson(res, 410, { errors: [{ message: error.message, extensions: { code: 'CURSOR_EXPIRED' } }] });
    if (error instanceof InvalidArgument) return sendJson(res, 400, { errors: [{ message: error.message, extensions: { code: 'BAD_USER_INPUT' } }] });
    if (error instanceof AccessDenied) {
      if (error.kind === 'UNAUTHENTICATED') return sendJson(res, 401, errorBody('UNAUTHENTICATED', error.message), { 'www-authenticate': 'Bearer' });
      return sendJson(res, 403, { errors: [{ message: error.message, extensions: { code: 'FORBIDDEN', reason: error.reason } }] });
    }
    throw error;
  }
}
