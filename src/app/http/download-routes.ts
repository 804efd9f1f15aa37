import type { ServerResponse } from 'node:http';
import { GraphQLError } from 'graphql';
import { IdentityProviderUnavailable } from '../../auth/auth.errors.js';
import { serveDocument } from '../../documents/document.download.js';
import { InvalidArgument } from '../../domain/errors.js';
import type { Context } from '../../graphql/context.js';
import { errorBody, sendJson } from '../../http/request.js';
import { reportCsv } from '../../reports/report.csv.js';
import type { RequestScopes } from './request-scope.js';
import type { Route, RouteRequest } from './route.js';

/** Files and CSV exports: plain GETs with the same bearer token and the same scopes as the API. */
export function downloadRoutes(scopes: RequestScopes): Route[] {
  return [
    {
      name: 'document',
      matches: (method, path) => method === 'GET' && path.startsWith('/documents/'),
      async handle(request) {
        const ctx = await registeredContext(scopes, request);
        if (ctx) await serveDocument(ctx, request.res, request.path.slice('/documents/'.length));
      },
    },
    {
      name: 'report-csv',
      matches: (method, path) => method === 'GET' && path.startsWith('/reports/'),
      async handle(request) {
        const ctx = await registeredContext(scopes, request);
        if (ctx) await sendReport(ctx, request);
      },
    },
  ];
}

/** The request's context for a registered user, or null once the refusal is answered (401, or 503 while the IdP is down). */
async function registeredContext(scopes: RequestScopes, { res, auth, requestId }: RouteRequest): Promise<Context | null> {
  let ctx: Context;
  try {
    ctx = await scopes.context(auth, requestId);
  } catch (error) {
    if (error instanceof GraphQLError && error.originalError instanceof IdentityProviderUnavailable) {
      sendJson(res, 503, errorBody('IDENTITY_PROVIDER_UNAVAILABLE', error.message), { 'retry-after': String(error.originalError.retryAfterSeconds) });
      return null;
    }
    if (error instanceof GraphQLError) {
      sendJson(res, 401, { errors: [{ message: error.message, extensions: { code: 'UNAUTHENTICATED' } }] }, { 'www-authenticate': 'Bearer' });
      return null;
    }
    throw error;
  }
  if (ctx.viewer.user) return ctx;
  unregistered(res);
  return null;
}

function unregistered(res: ServerResponse): void {
  sendJson(res, 401, errorBody('UNAUTHENTICATED', 'A valid bearer token of a registered user is required.'), { 'www-authenticate': 'Bearer' });
}

async function sendReport(ctx: Context, { res, path, url }: RouteRequest): Promise<void> {
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
