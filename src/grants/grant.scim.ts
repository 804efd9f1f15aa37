import type { Actor } from '../auth/actor.js';
import { execute, Sql, sql } from '../db/sql.js';
import { idOfType, toGlobalId } from '../domain/global-id.js';
import { CORE_GROUP, HUB_USER, multiValued, type ResourceTypeDefinition, type SchemaDefinition } from '../scim/discovery.js';
import { cursorBinding, cursorPage, decodeCursor, type Keyset, keysetKey, keysetPage, keyValue } from '../scim/cursor.js';
import { compileFilter, fits, sortAttribute, type ScimAttributeMap } from '../scim/filter.js';
import { type ListQuery, listResponse, project, type ScimExtension, type ScimResource, versioned } from '../scim/resource.js';
import { ScimError } from '../scim/scim-error.js';

// Usable now: active and within its validity, by the actor's clock.
const usable = (at: Date) => sql`g.state = 'active' and g.valid_from <= ${at.toISOString()}::timestamptz and (g.valid_to is null or g.valid_to > ${at.toISOString()}::timestamptz)`;

interface GrantRow {
  user_id: string;
  id: string;
  service: string;
  role: string;
  role_name: string;
  scope_id: string;
  valid_from: Date | string;
  valid_to: Date | string | null;
  sub_areas: string[] | string;
}

/**
 * A person's usable grants in their SCIM resource: core `roles` and the hub extension's `grants`,
 * of the client's service (a service's client) or of every service (an organisation's client), for
 * a whole page of people in one statement.
 */
export const scimGrants: ScimExtension = {
  async load(actor: Actor, userIds: string[]) {
    const out = new Map<string, Record<string, unknown>>();
    if (userIds.length === 0) return out;
    const rows = await execute<GrantRow>(
      actor.em,
      sql`select g.user_id, g.id, s.code as service, r.code as role, r.name as role_name, g.scope_id, g.valid_from, g.valid_to,
          coalesce((select json_agg(a.code order by a.code) from grant_sub_areas ga join sub_areas a on a.id = ga.sub_area_id where ga.grant_id = g.id), '[]') as sub_areas
        from grants g join services s on s.id = g.service_id join service_roles r on r.id = g.role_id
        where g.user_id in (${userIds}) and ${usable(actor.now())} and ${actor.policy.clientGrants('g')}
        order by g.user_id, s.code, r.code, g.valid_from, g.id`,
    );
    for (const id of userIds) out.set(id, { roles: [], [HUB_USER]: { grants: [] } });
    for (const r of rows) {
      const entry = out.get(r.user_id)!;
      (entry.roles as unknown[]).push({ value: r.role, display: r.role_name, type: r.service });
      (entry[HUB_USER] as { grants: unknown[] }).grants.push({
        value: toGlobalId('Grant', r.id),
        service: r.service,
        role: r.role,
        scope: toGlobalId('Organisation', r.scope_id),
        subAreas: typeof r.sub_areas === 'string' ? (JSON.parse(r.sub_areas) as string[]) : r.sub_areas,
        validFrom: new Date(r.valid_from).toISOString(),
        ...(r.valid_to ? { validTo: new Date(r.valid_to).toISOString() } : {}),
      });
    }
    for (const entry of out.values()) if ((entry.roles as unknown[]).length === 0) delete entry.roles;
    return out;
  },
};

const GROUP_ATTRIBUTES: ScimAttributeMap = {
  id: { type: 'id', sql: Sql.raw('r.id'), decode: (v) => idOfType(v, 'ServiceRole') },
  displayname: { type: 'string', sql: Sql.raw('r.name') },
  externalid: { type: 'string', sql: Sql.raw('r.code'), caseExact: true },
};

interface RoleRow {
  id: string;
  code: string;
  name: string;
  sort_key?: unknown;
}

/**
 * A service's roles as SCIM Groups, for the service's own client: members are the people holding a
 * usable grant of the role. Read-only: grants are ordered and decided in the hub.
 */
export class ScimGroups {
  constructor(
    private readonly actor: Actor,
    private readonly base: string,
  ) {}

  /** Whether a filter and sortBy name only attributes of Groups. */
  static fits(filter: string | null, sortBy: string | null): { filter: boolean; sortBy: boolean } {
    return fits(filter, sortBy, GROUP_ATTRIBUTES, CORE_GROUP);
  }

  private serviceId(): string {
    const client = this.actor.policy.requireClient();
    if (!client.serviceId) throw new ScimError(403, null, "Groups are a service's roles: only a service's client reads them.");
    return client.serviceId;
  }

  private async resources(rows: RoleRow[], withMembers: boolean): Promise<ScimResource[]> {
    const members = new Map<string, { value: string; display: string; type: string; $ref: string }[]>(rows.map((r) => [r.id, []]));
    if (withMembers && rows.length) {
      const held = await execute<{ role_id: string; user_id: string; name: string }>(
        this.actor.em,
        sql`select distinct g.role_id, u.id as user_id, u.given_name || ' ' || u.family_name as name from grants g join users u on u.id = g.user_id
          where g.role_id in (${rows.map((r) => r.id)}) and ${usable(this.actor.now())} and ${this.actor.policy.clientGrants('g')}
          order by g.role_id, u.id`,
      );
      for (const h of held) {
        const id = toGlobalId('User', h.user_id);
        members.get(h.role_id)!.push({ value: id, display: h.name, type: 'User', $ref: `${this.base}/Users/${id}` });
      }
    }
    return rows.map((r) => {
      const id = toGlobalId('ServiceRole', r.id);
      return versioned({
        schemas: [CORE_GROUP],
        id,
        externalId: r.code,
        displayName: r.name,
        ...(withMembers ? { members: members.get(r.id)! } : {}),
        meta: { resourceType: 'Group', location: `${this.base}/Groups/${id}` },
      });
    });
  }

  /** GET /Groups (and POST /Groups/.search): by startIndex, or by cursor (RFC 9865) as a keyset on the same order. */
  async list(query: ListQuery) {
    const serviceId = this.serviceId();
    const where = sql`r.service_id = ${serviceId} and ${compileFilter(query.filter, GROUP_ATTRIBUTES, CORE_GROUP)}`;
    const sort = sortAttribute(query.sortBy ?? 'externalId', GROUP_ATTRIBUTES, CORE_GROUP);
    const keyset: Keyset = { sort, id: Sql.raw('r.id'), descending: query.descending };
    const total = execute<{ n: string | number }>(this.actor.em, sql`select count(*) as n from service_roles r where ${where}`);
    const read = (page: { where: Sql; order: Sql }, limit: number, offset: number) =>
      limit === 0
        ? Promise.resolve([])
        : execute<RoleRow>(this.actor.em, sql`select r.id, r.code, r.name, ${keysetKey(keyset)} as sort_key from service_roles r where ${where} and ${page.where}
          order by ${page.order} limit ${limit} offset ${offset}`);
    if (query.cursor !== null) {
      const binding = cursorBinding(this.actor.policy.requireClient().id, 'Group', query.filter, query.sortBy, query.descending);
      const from = query.cursor === '' ? null : decodeCursor(query.cursor, binding, this.actor.now());
      const [[{ n }], rows] = await Promise.all([total, read(keysetPage(keyset, from), query.count + 1, 0)]);
      const { rows: page, ...cursors } = cursorPage(query.count === 0 ? [] : rows, query.count, from, (r) => [keyValue(r.sort_key), r.id], binding, this.actor.now());
      const resources = await this.resources(page, wantsMembers(query));
      return listResponse(resources.map((r) => project(r, query, CORE_GROUP)), Number(n), null, cursors);
    }
    const [[{ n }], rows] = await Promise.all([total, read(keysetPage(keyset, null), query.count, query.startIndex - 1)]);
    const resources = await this.resources(rows, wantsMembers(query));
    return listResponse(resources.map((r) => project(r, query, CORE_GROUP)), Number(n), query.startIndex);
  }

  async get(globalId: string, query: { attributes: string[]; excludedAttributes: string[] }): Promise<ScimResource> {
    const serviceId = this.serviceId();
    const id = idOfType(globalId, 'ServiceRole');
    const rows = id ? await execute<RoleRow>(this.actor.em, sql`select r.id, r.code, r.name from service_roles r where r.id = ${id} and r.service_id = ${serviceId}`) : [];
    if (rows.length === 0) throw ScimError.notFound('group');
    return (await this.resources(rows, wantsMembers(query)))[0];
  }
}

/** Members are read only when asked for: Entra ID lists groups with excludedAttributes=members. */
function wantsMembers(query: { attributes: string[]; excludedAttributes: string[] }): boolean {
  const lower = (a: string[]) => a.map((x) => x.toLowerCase().replace(`${CORE_GROUP.toLowerCase()}:`, ''));
  if (query.attributes.length) return lower(query.attributes).some((a) => a === 'members' || a.startsWith('members.'));
  return !lower(query.excludedAttributes).includes('members');
}

export const GROUP_RESOURCE_TYPE: ResourceTypeDefinition = {
  id: 'Group',
  name: 'Group',
  endpoint: '/Groups',
  description: "A role of the client's service; members hold a usable grant of it",
  schema: CORE_GROUP,
  schemaExtensions: [],
};

export const GROUP_SCHEMAS: SchemaDefinition[] = [
  {
    id: CORE_GROUP,
    name: 'Group',
    description: 'A role of a service',
    attributes: [
      { name: 'displayName', type: 'string', required: true, mutability: 'readOnly', description: 'Role name' },
      { name: 'externalId', type: 'string', mutability: 'readOnly', caseExact: true, description: 'Role code' },
      multiValued(
        'members',
        'People holding a usable grant of the role',
        [
          ['value', 'string', 'User id'],
          ['$ref', 'reference', 'User URI'],
          ['display', 'string', 'Name'],
          ['type', 'string', 'Always "User"'],
        ],
        'readOnly',
      ),
    ],
  },
];
