import type { ServerResponse } from 'node:http';
import { GraphQLError } from 'graphql';
import { IdentityProviderUnavailable } from '../../auth/auth.errors.js';
import { ScimUsers, USER_RESOURCE_TYPE, USER_SCHEMAS } from '../../employments/employment.scim.js';
import { GROUP_RESOURCE_TYPE, GROUP_SCHEMAS, ScimGroups, scimGrants } from '../../grants/grant.scim.js';
import { requestStore } from '../../db/request-context.js';
import type { Context } from '../../graphql/context.js';
import { HttpError, MAX_JSON_NESTING, nestsDeeperThan, readBody } from '../../http/request.js';
import { CORE_USER, resourceTypeResource, SCIM_LIMITS, schemaResource, serviceProviderConfig } from '../../scim/discovery.js';
import { holdsVersion, type ListQuery, listQuery, listResponse, project, projection, type ScimResource, searchParams } from '../../scim/resource.js';
import { ScimError, scimErrorOf } from '../../scim/scim-error.js';
import type { RequestScopes } from './request-scope.js';
import type { Route, RouteRequest } from './route.js';

export const SCIM_PATH = '/scim/v2';
const CONTENT_TYPE = 'application/scim+json; charset=utf-8';
const BULK_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
const BULK_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:BulkResponse';

const RESOURCE_TYPES = [USER_RESOURCE_TYPE, GROUP_RESOURCE_TYPE];
const SCHEMAS = [...USER_SCHEMAS, ...GROUP_SCHEMAS];

/** One SCIM operation's answer, before it is written (a request, or one operation of a Bulk). */
interface Answer {
  status: number;
  body?: unknown;
  location?: string;
  version?: string;
}

interface Operation {
  method: string;
  /** Below /scim/v2, e.g. /Users/abc. */
  path: string;
  params: URLSearchParams;
  body: unknown;
  ifMatch?: string;
  ifNoneMatch?: string;
}

const resourceAnswer = (status: number, r: ScimResource, body: unknown = r): Answer => ({
  status,
  body,
  location: r.meta.location as string,
  version: r.meta.version as string,
});

/**
 * The SCIM 2.0 server (RFC 7643/7644) at /scim/v2: a thin edge over the same services as GraphQL.
 * Only machine clients call it, with a client-credentials bearer token; every failure is a SCIM
 * Error with its status and scimType.
 */
export function scimRoutes(scopes: RequestScopes): Route[] {
  return [
    {
      name: 'scim',
      matches: (_method, path) => path === SCIM_PATH || path.startsWith(`${SCIM_PATH}/`),
      handle: (request) => handle(scopes, request),
    },
  ];
}

function send(res: ServerResponse, answer: Answer): void {
  if (res.headersSent) return;
  const headers: Record<string, string> = { 'cache-control': 'private, no-store' };
  if (answer.version) headers.etag = answer.version;
  if (answer.location && answer.status === 201) headers.location = answer.location;
  if (answer.body === undefined) {
    res.writeHead(answer.status, headers);
    res.end();
    return;
  }
  res.writeHead(answer.status, { 'content-type': CONTENT_TYPE, ...headers });
  res.end(JSON.stringify(answer.body));
}

const errorAnswer = (e: ScimError): Answer => ({ status: e.status, body: e.body });

async function handle(scopes: RequestScopes, { req, res, url, path, auth, requestId }: RouteRequest): Promise<void> {
  let ctx: Context;
  try {
    ctx = await scopes.context(auth, requestId);
  } catch (error) {
    if (error instanceof GraphQLError && error.originalError instanceof IdentityProviderUnavailable) {
      res.setHeader('retry-after', String(error.originalError.retryAfterSeconds));
      return send(res, errorAnswer(new ScimError(503, null, error.message)));
    }
    if (error instanceof GraphQLError) {
      const status = (error.extensions.http as { status?: number } | undefined)?.status ?? 401;
      if (status !== 403) res.setHeader('www-authenticate', 'Bearer realm="scim"');
      return send(res, errorAnswer(new ScimError(status === 403 ? 403 : 401, null, error.message)));
    }
    throw error;
  }
  const base = `${url.protocol}//${req.headers.host ?? 'localhost'}${SCIM_PATH}`;
  try {
    if (!ctx.viewer.identity) {
      res.setHeader('www-authenticate', 'Bearer realm="scim"');
      throw new ScimError(401, null, 'A client-credentials bearer token is required.');
    }
    if (!ctx.viewer.client) throw new ScimError(403, null, 'Only a machine client (a client-credentials token) uses SCIM.');
    const method = req.method ?? 'GET';
    let body: unknown = undefined;
    if (method === 'POST' || method === 'PUT' || method === 'PATCH') {
      const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
      if (type !== 'application/scim+json' && type !== 'application/json') {
        req.resume();
        throw new ScimError(415, null, 'Send the body as application/scim+json.');
      }
      const bulk = path === `${SCIM_PATH}/Bulk`;
      const text = await readBody(req, bulk ? SCIM_LIMITS.bulkMaxPayloadSize : SCIM_LIMITS.maxPayloadSize).catch((error: unknown) => {
        if (error instanceof HttpError && error.status === 413) throw new ScimError(413, null, error.message);
        throw error;
      });
      if (nestsDeeperThan(text, MAX_JSON_NESTING)) throw ScimError.badRequest('invalidSyntax', `The body nests JSON more than ${MAX_JSON_NESTING} levels deep.`);
      try {
        body = JSON.parse(text);
      } catch {
        throw ScimError.badRequest('invalidSyntax', 'The body is not JSON.');
      }
    }
    const header = (name: string) => {
      const v = req.headers[name];
      return typeof v === 'string' ? v : undefined;
    };
    const op: Operation = { method, path: path.slice(SCIM_PATH.length) || '/', params: url.searchParams, body, ifMatch: header('if-match'), ifNoneMatch: header('if-none-match') };
    const answer = op.path === '/Bulk' ? await bulk(ctx, base, op) : await perform(ctx, base, op);
    if (ctx.config.exposeSqlCount) res.setHeader('x-sql-statements', String(requestStore.getStore()?.sqlStatements ?? 0));
    send(res, answer);
  } catch (error) {
    const scim = scimErrorOf(error);
    if (!scim) throw error;
    send(res, errorAnswer(scim));
  }
}

/** One operation: discovery, Users or Groups. */
async function perform(ctx: Context, base: string, op: Operation): Promise<Answer> {
  const [, collection, id, more] = op.path.split('/');
  if (more !== undefined) throw new ScimError(404, null, 'No such SCIM endpoint.');
  const users = () => new ScimUsers(ctx, base, [scimGrants]);
  const get = op.method === 'GET';
  // POST …/.search (RFC 7644 3.4.3): the GET of the same query, with the query in the body.
  if (id === '.search' || collection === '.search') {
    if (op.method !== 'POST' || (collection === '.search' && id !== undefined)) throw new ScimError(405, null, 'A search takes POST.');
    const query = listQuery(searchParams(op.body));
    if (collection === 'Users') return { status: 200, body: await users().list(query) };
    if (collection === 'Groups') return { status: 200, body: await new ScimGroups(ctx, base).list(query) };
    if (collection === '.search') return { status: 200, body: await searchAll(ctx, base, query) };
    throw new ScimError(404, null, 'No such SCIM endpoint.');
  }
  switch (collection) {
    case 'ServiceProviderConfig':
      if (!get || id) break;
      return { status: 200, body: serviceProviderConfig(base) };
    case 'ResourceTypes': {
      if (!get) break;
      const all = RESOURCE_TYPES.map((r) => resourceTypeResource(r, base));
      if (!id) return { status: 200, body: listResponse(all, all.length, 1) };
      const one = all.find((r) => r.id === id);
      if (!one) throw new ScimError(404, null, 'No such resource type.');
      return { status: 200, body: one };
    }
    case 'Schemas': {
      if (!get) break;
      const all = SCHEMAS.map((s) => schemaResource(s, base));
      if (!id) return { status: 200, body: listResponse(all, all.length, 1) };
      const one = all.find((s) => s.id === id);
      if (!one) throw new ScimError(404, null, 'No such schema.');
      return { status: 200, body: one };
    }
    case 'Users':
      if (!id) {
        if (get) return { status: 200, body: await users().list(listQuery(op.params)) };
        if (op.method === 'POST') return resourceAnswer(201, await users().create(op.body));
        break;
      }
      switch (op.method) {
        case 'GET': {
          const r = await users().get(id);
          if (holdsVersion(op.ifNoneMatch, r.meta.version as string)) return { status: 304, version: r.meta.version as string };
          return resourceAnswer(200, r, projectOne(r, op));
        }
        case 'PUT':
          return resourceAnswer(200, await users().replace(id, op.body, op.ifMatch));
        case 'PATCH':
          return resourceAnswer(200, await users().patch(id, op.body, op.ifMatch));
        case 'DELETE':
          await users().remove(id, op.ifMatch);
          return { status: 204 };
      }
      break;
    case 'Groups': {
      const groups = new ScimGroups(ctx, base);
      if (!get) throw new ScimError(403, null, 'Groups are read-only: roles are granted in the hub.');
      if (!id) return { status: 200, body: await groups.list(listQuery(op.params)) };
      const g = await groups.get(id, projection(op.params));
      if (holdsVersion(op.ifNoneMatch, g.meta.version as string)) return { status: 304, version: g.meta.version as string };
      return resourceAnswer(200, g, projectOne(g, op));
    }
    default:
      throw new ScimError(404, null, 'No such SCIM endpoint.');
  }
  throw new ScimError(405, null, `${op.method} is not allowed here.`);
}

/**
 * POST /.search: every resource type the client reads (an organisation's client Users, a service's
 * client Users then Groups), each filtered and sorted as its own list would be, as one list paged
 * by startIndex across them. A type the filter's attributes do not fit matches nothing; a sortBy a
 * type lacks leaves that type in its default order. Cursors page one resource type at a time.
 */
async function searchAll(ctx: Context, base: string, query: ListQuery) {
  if (query.cursor !== null) throw ScimError.badRequest('invalidValue', 'A search of every resource type pages by startIndex; page by cursor with /Users/.search or /Groups/.search.');
  const kinds = [
    { fits: ScimUsers.fits(query.filter, query.sortBy), list: (q: ListQuery) => new ScimUsers(ctx, base, [scimGrants]).list(q) },
    ...(ctx.viewer.client?.serviceId ? [{ fits: ScimGroups.fits(query.filter, query.sortBy), list: (q: ListQuery) => new ScimGroups(ctx, base).list(q) }] : []),
  ].filter((k, i, all) => k.fits.filter || (i === 0 && !all.some((o) => o.fits.filter)));
  const queries = kinds.map((k) => ({ ...query, sortBy: k.fits.sortBy ? query.sortBy : null }));
  const totals = await Promise.all(kinds.map((k, i) => k.list({ ...queries[i], count: 0 }).then((r) => r.totalResults)));
  const resources: Record<string, unknown>[] = [];
  let skip = query.startIndex - 1;
  let wanted = query.count;
  for (const [i, kind] of kinds.entries()) {
    if (skip >= totals[i]) {
      skip -= totals[i];
      continue;
    }
    const take = Math.min(wanted, totals[i] - skip);
    if (take > 0) resources.push(...(await kind.list({ ...queries[i], startIndex: skip + 1, count: take })).Resources);
    wanted -= take;
    skip = 0;
  }
  return listResponse(resources, totals.reduce((a, b) => a + b, 0), query.startIndex);
}

function projectOne(r: ScimResource, op: Operation): unknown {
  const p = projection(op.params);
  return p.attributes.length || p.excludedAttributes.length ? projectWith(r, p) : r;
}

const projectWith = (r: ScimResource, p: { attributes: string[]; excludedAttributes: string[] }) => project(r, p, r.schemas[0] ?? CORE_USER);

/**
 * POST /Bulk (RFC 7644 3.7): operations in order, each its own transaction, `bulkId:` references
 * resolved to the ids created before them, stopping after `failOnErrors` errors.
 */
async function bulk(ctx: Context, base: string, op: Operation): Promise<Answer> {
  if (op.method !== 'POST') throw new ScimError(405, null, 'Bulk takes POST.');
  const request = op.body as { schemas?: unknown; failOnErrors?: unknown; Operations?: unknown } | null;
  if (!request || !Array.isArray(request.schemas) || !request.schemas.includes(BULK_REQUEST) || !Array.isArray(request.Operations)) {
    throw ScimError.badRequest('invalidSyntax', `A Bulk body has schemas [${BULK_REQUEST}] and Operations.`);
  }
  if (request.Operations.length > SCIM_LIMITS.bulkMaxOperations) throw new ScimError(413, null, `A Bulk request has at most ${SCIM_LIMITS.bulkMaxOperations} operations.`);
  const failOnErrors = request.failOnErrors;
  if (failOnErrors !== undefined && (typeof failOnErrors !== 'number' || !Number.isInteger(failOnErrors) || failOnErrors < 1)) {
    throw ScimError.badRequest('invalidValue', 'failOnErrors is a whole number from 1.');
  }
  const created = new Map<string, string>();
  const results: Record<string, unknown>[] = [];
  let errors = 0;
  for (const raw of request.Operations as Record<string, unknown>[]) {
    if (failOnErrors !== undefined && errors >= failOnErrors) break;
    const method = typeof raw?.method === 'string' ? raw.method.toUpperCase() : '';
    const bulkId = typeof raw?.bulkId === 'string' ? raw.bulkId : undefined;
    const echo = { method, ...(bulkId ? { bulkId } : {}) };
    let answer: Answer;
    try {
      if (!['POST', 'PUT', 'PATCH', 'DELETE'].includes(method)) throw ScimError.badRequest('invalidSyntax', 'A Bulk operation\'s method is POST, PUT, PATCH or DELETE.');
      if (method === 'POST' && !bulkId) throw ScimError.badRequest('invalidSyntax', 'A Bulk POST carries a bulkId.');
      if (typeof raw.path !== 'string' || !raw.path.startsWith('/') || raw.path.startsWith('/Bulk')) throw ScimError.badRequest('invalidPath', 'A Bulk operation\'s path is a resource path such as /Users.');
      const path = resolveBulkIds(raw.path, created) as string;
      const data = resolveBulkIds(raw.data, created);
      answer = await perform(ctx, base, {
        method,
        path,
        params: new URLSearchParams(),
        body: data,
        ifMatch: typeof raw.version === 'string' ? raw.version : undefined,
      });
      if (bulkId && answer.location) created.set(bulkId, answer.location.split('/').pop()!);
    } catch (error) {
      const scim = scimErrorOf(error);
      if (!scim) throw error;
      answer = errorAnswer(scim);
    }
    if (answer.status >= 400) errors++;
    results.push({
      ...echo,
      ...(answer.location ? { location: answer.location } : {}),
      ...(answer.version ? { version: answer.version } : {}),
      status: String(answer.status),
      ...(answer.status >= 400 ? { response: answer.body } : {}),
    });
  }
  return { status: 200, body: { schemas: [BULK_RESPONSE], Operations: results } };
}

/** Replaces every "bulkId:<id>" (a whole string, or a path segment) with the id it created; an unknown one is an error. */
function resolveBulkIds(value: unknown, created: Map<string, string>): unknown {
  if (typeof value === 'string') {
    return value.replace(/bulkId:([A-Za-z0-9._~-]+)/g, (_m, id: string) => {
      const resolved = created.get(id);
      if (!resolved) throw ScimError.badRequest('invalidValue', `bulkId:${id} names no resource created before it in this request.`);
      return resolved;
    });
  }
  if (Array.isArray(value)) return value.map((v) => resolveBulkIds(v, created));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveBulkIds(v, created)]));
  return value;
}
