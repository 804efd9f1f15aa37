import { CURSOR_TIMEOUT_SECONDS } from './cursor.js';
import { DEFAULT_COUNT, MAX_RESULTS } from './resource.js';

export const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const CORE_GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE_USER = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
/** The hub's own extension of User: employer and grants (not an IETF name: RFC 7643 3.3 leaves it to us). */
export const HUB_USER = 'urn:hub:params:scim:schemas:extension:provisioning:2.0:User';

/** The bounds of a request, as ServiceProviderConfig announces them and the routes hold them. */
export const SCIM_LIMITS = {
  maxPayloadSize: 64 * 1024,
  bulkMaxOperations: 100,
  bulkMaxPayloadSize: 1024 * 1024,
};

/** One attribute of a schema (RFC 7643 7), with the defaults clients read when a key is left out. */
export interface AttributeDefinition {
  name: string;
  type: 'string' | 'boolean' | 'dateTime' | 'reference' | 'complex';
  multiValued?: boolean;
  description: string;
  required?: boolean;
  mutability?: 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';
  returned?: 'always' | 'default' | 'never' | 'request';
  uniqueness?: 'none' | 'server' | 'global';
  caseExact?: boolean;
  subAttributes?: AttributeDefinition[];
}

/** A multi-valued complex attribute (emails, members…): its sub-attributes as [name, type, description]. */
export function multiValued(
  name: string,
  description: string,
  sub: [string, AttributeDefinition['type'], string][],
  mutability: AttributeDefinition['mutability'] = 'readWrite',
): AttributeDefinition {
  return { name, type: 'complex', multiValued: true, mutability, description, subAttributes: sub.map(([n, type, d]) => ({ name: n, type, description: d })) };
}

export interface SchemaDefinition {
  id: string;
  name: string;
  description: string;
  attributes: AttributeDefinition[];
}

export interface ResourceTypeDefinition {
  id: string;
  name: string;
  endpoint: string;
  description: string;
  schema: string;
  schemaExtensions: { schema: string; required: boolean }[];
}

const full = (a: AttributeDefinition): Record<string, unknown> => ({
  multiValued: false,
  required: false,
  caseExact: false,
  mutability: 'readWrite',
  returned: 'default',
  uniqueness: 'none',
  ...a,
  ...(a.subAttributes ? { subAttributes: a.subAttributes.map(full) } : {}),
});

export function schemaResource(s: SchemaDefinition, base: string) {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:Schema'],
    id: s.id,
    name: s.name,
    description: s.description,
    attributes: s.attributes.map(full),
    meta: { resourceType: 'Schema', location: `${base}/Schemas/${s.id}` },
  };
}

export function resourceTypeResource(r: ResourceTypeDefinition, base: string) {
  return { schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'], ...r, meta: { resourceType: 'ResourceType', location: `${base}/ResourceTypes/${r.id}` } };
}

/** What this server does (RFC 7643 5, RFC 9865 2.4): PATCH, Bulk, filters, sorting, both ways of paging and ETags; no password change. */
export function serviceProviderConfig(base: string) {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
    documentationUri: `${base.replace(/\/scim\/v2$/, '')}/README.md#scim-20`,
    patch: { supported: true },
    bulk: { supported: true, maxOperations: SCIM_LIMITS.bulkMaxOperations, maxPayloadSize: SCIM_LIMITS.bulkMaxPayloadSize },
    filter: { supported: true, maxResults: MAX_RESULTS },
    // RFC 9865: both ways of paging; a cursor is a keyset of the list's own order, bound to its request.
    pagination: {
      cursor: true,
      index: true,
      defaultPaginationMethod: 'index',
      defaultPageSize: DEFAULT_COUNT,
      maxPageSize: MAX_RESULTS,
      cursorTimeout: CURSOR_TIMEOUT_SECONDS,
    },
    changePassword: { supported: false },
    sort: { supported: true },
    etag: { supported: true },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'OAuth Bearer Token',
        description: "A client-credentials access token of a trusted issuer, whose client_id is registered as the hub's client.",
        specUri: 'https://www.rfc-editor.org/info/rfc6750',
        primary: true,
      },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${base}/ServiceProviderConfig` },
  };
}
