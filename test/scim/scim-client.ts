import type { TestHub } from '../support/hub.js';

export const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const HUB = 'urn:hub:params:scim:schemas:extension:provisioning:2.0:User';
export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

export type Json = Record<string, unknown>;

export interface ScimAnswer<T = Json> {
  status: number;
  headers: Headers;
  body: T;
}

export interface ListBody {
  schemas: string[];
  totalResults: number;
  startIndex: number;
  itemsPerPage: number;
  Resources: Json[];
}

/** Talks SCIM to the test hub over HTTP, as a client (by demo client name) or with a raw token. */
export function scimClient(hub: TestHub) {
  const base = () => hub.url.replace(/\/graphql$/, '/scim/v2');
  async function call<T = Json>(who: string | { token: string | null }, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ScimAnswer<T>> {
    const token = typeof who === 'string' ? await hub.clientToken(who) : who.token;
    const res = await fetch(`${base()}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/scim+json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : null) as T };
  }
  return {
    base,
    call,
    list: (who: string, query = '') => call<ListBody>(who, 'GET', `/Users${query ? `?${query}` : ''}`),
    filter: (who: string, filter: string, more = '') => call<ListBody>(who, 'GET', `/Users?filter=${encodeURIComponent(filter)}${more}`),
  };
}

export const newUser = (userName: string, given = 'Test', family = 'Person', extra: Json = {}): Json => ({
  schemas: [CORE_USER],
  userName,
  name: { givenName: given, familyName: family },
  emails: [{ value: userName, type: 'work', primary: true }],
  active: true,
  ...extra,
});

/** Reads the test database directly: what the audit trail recorded, an organisation's id. */
export function query<T = Json>(hub: TestHub, text: string, params: unknown[] = []): Promise<T[]> {
  return hub.db.orm.em.getConnection().execute<T[]>(text, params, 'all');
}

export const orgId = async (hub: TestHub, name: string) => {
  const [row] = await query<{ id: string }>(hub, 'select id from organisations where name = ?', [name]);
  return Buffer.from(`Organisation:${row.id}`, 'utf8').toString('base64url');
};
