import { createHash } from 'node:crypto';
import type { Actor } from '../auth/actor.js';
import { ScimError } from './scim-error.js';

export const LIST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
/** The largest page a list answers (ServiceProviderConfig filter.maxResults). */
export const MAX_RESULTS = 200;
export const DEFAULT_COUNT = 100;

export type ScimResource = Record<string, unknown> & { id: string; schemas: string[]; meta: Record<string, unknown> };

/**
 * What another concept adds to a resource (the grants concept to a User: roles and the hub
 * extension's grants), loaded for a whole page at once: per row id, attributes to merge in.
 */
export interface ScimExtension {
  load(actor: Actor, ids: string[]): Promise<Map<string, Record<string, unknown>>>;
}

/** The query parameters of a list (RFC 7644 3.4.2), checked. */
export interface ListQuery {
  filter: string | null;
  sortBy: string | null;
  descending: boolean;
  /** 1-based, as SCIM counts. */
  startIndex: number;
  count: number;
  attributes: string[];
  excludedAttributes: string[];
  /** RFC 9865: null pages by startIndex; '' asks for the first cursor page, any other value continues one. */
  cursor: string | null;
}

export const SEARCH_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';

const names = (v: string | null) => (v ? v.split(',').map((s) => s.trim()).filter(Boolean) : []);

function whole(params: URLSearchParams, name: string, fallback: number): number {
  const raw = params.get(name);
  if (raw === null || raw === '') return fallback;
  if (!/^-?\d{1,9}$/.test(raw)) throw ScimError.badRequest('invalidValue', `"${name}" is a whole number.`);
  return Number(raw);
}

export function listQuery(params: URLSearchParams): ListQuery {
  const order = params.get('sortOrder');
  if (order !== null && !/^(ascending|descending)$/i.test(order)) throw ScimError.badRequest('invalidValue', 'sortOrder is "ascending" or "descending".');
  const cursor = params.get('cursor');
  if (cursor !== null && params.get('startIndex') !== null) throw ScimError.badRequest('invalidValue', 'Page by startIndex or by cursor, not both.');
  return {
    cursor,
    filter: params.get('filter'),
    sortBy: params.get('sortBy'),
    descending: order?.toLowerCase() === 'descending',
    // RFC 7644 3.4.2.4: below 1 is read as 1, a negative count as 0.
    startIndex: Math.max(1, whole(params, 'startIndex', 1)),
    count: Math.min(MAX_RESULTS, Math.max(0, whole(params, 'count', DEFAULT_COUNT))),
    ...projection(params),
  };
}

export function projection(params: URLSearchParams): { attributes: string[]; excludedAttributes: string[] } {
  return { attributes: names(params.get('attributes')), excludedAttributes: names(params.get('excludedAttributes')) };
}

/** A resource's version: a weak ETag over everything it says, so any change to it changes the tag. */
export function versionOf(resource: Omit<ScimResource, 'meta'> & { meta: Record<string, unknown> }): string {
  const { meta, ...rest } = resource;
  const { version: _ignored, ...stableMeta } = meta;
  void _ignored;
  return `W/"${createHash('sha256').update(JSON.stringify({ ...rest, meta: stableMeta })).digest('base64url').slice(0, 22)}"`;
}

/** Adds meta.version to a resource. */
export function versioned<T extends ScimResource>(resource: T): T {
  return { ...resource, meta: { ...resource.meta, version: versionOf(resource) } };
}

/** The attribute paths of a resource as SCIM names them: `name.givenName`, or `urn:…:User:organization` in an extension. */
function splitPath(path: string, coreSchema: string): string[] {
  let lower = path.toLowerCase();
  const core = `${coreSchema.toLowerCase()}:`;
  if (lower.startsWith(core)) lower = lower.slice(core.length);
  if (lower.startsWith('urn:')) {
    if (isUrnOnly(lower)) return [lower];
    const colon = lower.lastIndexOf(':');
    return [lower.slice(0, colon), ...lower.slice(colon + 1).split('.')];
  }
  return lower.split('.');
}

/** `urn:…:2.0:User` (an extension's schema URN itself) versus `urn:…:2.0:User:organization`. */
const isUrnOnly = (lower: string) => /:\d+\.\d+:[a-z]+$/i.test(lower);

const ALWAYS = new Set(['id', 'schemas']);

function pick(value: Record<string, unknown>, paths: string[][]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    const lower = key.toLowerCase();
    const matching = paths.filter((p) => p[0] === lower);
    if (matching.length === 0) continue;
    if (matching.some((p) => p.length === 1) || inner === null || typeof inner !== 'object') out[key] = inner;
    else if (Array.isArray(inner)) out[key] = (inner as unknown[]).map((item: unknown) => (item && typeof item === 'object' ? pick(item as Record<string, unknown>, matching.map((p) => p.slice(1))) : item));
    else out[key] = pick(inner as Record<string, unknown>, matching.map((p) => p.slice(1)));
  }
  return out;
}

function drop(value: Record<string, unknown>, paths: string[][]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    const lower = key.toLowerCase();
    const matching = paths.filter((p) => p[0] === lower);
    if (matching.some((p) => p.length === 1) && !ALWAYS.has(lower)) continue;
    if (matching.length === 0 || inner === null || typeof inner !== 'object') out[key] = inner;
    else if (Array.isArray(inner)) out[key] = (inner as unknown[]).map((item: unknown) => (item && typeof item === 'object' ? drop(item as Record<string, unknown>, matching.map((p) => p.slice(1))) : item));
    else out[key] = drop(inner as Record<string, unknown>, matching.map((p) => p.slice(1)));
  }
  return out;
}

/** `attributes` / `excludedAttributes` (RFC 7644 3.4.2.5) applied to one resource; id and schemas always stay. */
export function project(resource: ScimResource, query: { attributes: string[]; excludedAttributes: string[] }, coreSchema: string): Record<string, unknown> {
  if (query.attributes.length) {
    const picked = pick(resource, [...query.attributes.map((a) => splitPath(a, coreSchema)), ['id'], ['schemas']]);
    return picked;
  }
  if (query.excludedAttributes.length) return drop(resource, query.excludedAttributes.map((a) => splitPath(a, coreSchema)));
  return resource;
}

/**
 * A POST …/.search body (RFC 7644 3.4.3) as the query parameters of the GET it stands for, so both
 * are read, checked and answered by one path.
 */
export function searchParams(body: unknown): URLSearchParams {
  const b = body as Record<string, unknown> | null;
  if (!b || typeof b !== 'object' || Array.isArray(b) || !Array.isArray(b.schemas) || !b.schemas.includes(SEARCH_REQUEST)) {
    throw ScimError.badRequest('invalidSyntax', `A search body has schemas [${SEARCH_REQUEST}].`);
  }
  const params = new URLSearchParams();
  for (const name of ['filter', 'sortBy', 'sortOrder', 'cursor']) {
    const v = b[name];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string') throw ScimError.badRequest('invalidValue', `"${name}" is a string.`);
    params.set(name, v);
  }
  for (const name of ['startIndex', 'count']) {
    const v = b[name];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'number' || !Number.isInteger(v)) throw ScimError.badRequest('invalidValue', `"${name}" is a whole number.`);
    params.set(name, String(v));
  }
  for (const name of ['attributes', 'excludedAttributes']) {
    const v = b[name];
    if (v === undefined || v === null) continue;
    const list = typeof v === 'string' ? [v] : v;
    if (!Array.isArray(list) || list.some((a) => typeof a !== 'string' || a.includes(','))) throw ScimError.badRequest('invalidValue', `"${name}" is a list of attribute names.`);
    params.set(name, list.join(','));
  }
  return params;
}

export function listResponse(resources: Record<string, unknown>[], totalResults: number, startIndex: number | null, cursors: { nextCursor?: string; previousCursor?: string } = {}) {
  // A cursor page (RFC 9865) says where it goes on, not where it starts.
  return {
    schemas: [LIST_SCHEMA],
    totalResults,
    ...(startIndex === null ? {} : { startIndex }),
    itemsPerPage: resources.length,
    ...cursors,
    Resources: resources,
  };
}

/** If-Match (RFC 7644 3.14): the change goes ahead only while the resource is still this version. */
export function requireVersion(ifMatch: string | undefined, current: string): void {
  if (ifMatch === undefined) return;
  const tags = ifMatch.split(',').map((t) => t.trim());
  if (tags.includes('*') || tags.includes(current)) return;
  throw new ScimError(412, null, 'The resource has changed since that version (If-Match).');
}

/** If-None-Match: whether the client already holds this version (answer 304). */
export function holdsVersion(ifNoneMatch: string | undefined, current: string): boolean {
  if (ifNoneMatch === undefined) return false;
  return ifNoneMatch.split(',').map((t) => t.trim()).some((t) => t === '*' || t === current);
}
