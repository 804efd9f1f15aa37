import type { Actor } from '../auth/actor.js';
import type { Em } from '../db/orm.js';
import { execute, Sql, sql } from '../db/sql.js';
import { idOfType, toGlobalId } from '../domain/global-id.js';
import { CORE_USER, ENTERPRISE_USER, HUB_USER, multiValued, type ResourceTypeDefinition, type SchemaDefinition } from '../scim/discovery.js';
import { cursorBinding, cursorPage, decodeCursor, type Keyset, keysetKey, keysetPage, keyValue } from '../scim/cursor.js';
import { compileFilter, fits, sortAttribute, type ScimAttributeMap } from '../scim/filter.js';
import { applyPatch } from '../scim/patch.js';
import { type ListQuery, listResponse, project, requireVersion, type ScimExtension, type ScimResource, versioned } from '../scim/resource.js';
import { ScimError } from '../scim/scim-error.js';
import { UserService } from '../users/user.service.js';
import { EmploymentService } from './employment.service.js';

// The actor's clock, not the transaction's: a leaver made in this transaction reads as inactive in it.
const active = (at: Date) => sql`(not exists (select 1 from employments x where x.user_id = u.id)
  or exists (select 1 from employments x where x.user_id = u.id and x.valid_from <= ${at.toISOString()}::timestamptz
    and (x.valid_to is null or x.valid_to > ${at.toISOString()}::timestamptz)))`;
const lastModified = (at: Date) => sql`greatest(u.updated_at, (select max(x.valid_to) from employments x where x.user_id = u.id and x.valid_to <= ${at.toISOString()}::timestamptz),
  (select max(x.created_at) from employments x where x.user_id = u.id))`;
const DISPLAY_NAME = Sql.raw(`(u.given_name || ' ' || u.family_name)`);

/** The attributes a filter or sortBy may name, as SQL over the person (u), employer (e) and its legal entity (le). */
export const userAttributes = (at: Date): ScimAttributeMap => ({
  id: { type: 'id', sql: Sql.raw('u.id'), decode: (v) => idOfType(v, 'User') },
  username: { type: 'string', sql: Sql.raw('u.email') },
  displayname: { type: 'string', sql: DISPLAY_NAME },
  'name.formatted': { type: 'string', sql: DISPLAY_NAME },
  'name.givenname': { type: 'string', sql: Sql.raw('u.given_name') },
  'name.familyname': { type: 'string', sql: Sql.raw('u.family_name') },
  emails: {
    type: 'multi',
    sub: { value: { type: 'string', sql: Sql.raw('u.email') }, type: { type: 'string', sql: Sql.raw(`'work'`) }, primary: { type: 'boolean', sql: Sql.raw('(u.email is not null)') } },
  },
  phonenumbers: { type: 'multi', sub: { value: { type: 'string', sql: Sql.raw('u.phone') }, type: { type: 'string', sql: Sql.raw(`(case when u.phone is null then null else 'work' end)`) } } },
  active: { type: 'boolean', sql: active(at) },
  'meta.created': { type: 'dateTime', sql: Sql.raw('u.created_at') },
  'meta.lastmodified': { type: 'dateTime', sql: lastModified(at) },
  [`${ENTERPRISE_USER.toLowerCase()}:organization`]: { type: 'string', sql: Sql.raw('le.name') },
  [`${ENTERPRISE_USER.toLowerCase()}:department`]: { type: 'string', sql: Sql.raw(`(case when e.id = le.id then null else e.name end)`) },
  [`${HUB_USER.toLowerCase()}:employer.value`]: { type: 'id', sql: Sql.raw('e.id'), decode: (v) => idOfType(v, 'Organisation') },
  [`${HUB_USER.toLowerCase()}:employer.display`]: { type: 'string', sql: Sql.raw('e.name') },
});

/** Attributes whose values Entra ID may send as the strings "True" / "False". */
const BOOLEAN_KEYS = new Set(['active', 'primary']);

const FROM = Sql.raw(`from users u join organisations e on e.id = u.employer_id join organisations le on le.id = coalesce(e.legal_entity_id, e.id)`);

interface UserRow {
  id: string;
  given_name: string;
  family_name: string;
  email: string | null;
  phone: string | null;
  created_at: Date | string;
  last_modified: Date | string;
  employer_id: string;
  employer_name: string;
  legal_id: string;
  legal_name: string;
  active: boolean;
  /** The sortBy value of a cursor page's row (null otherwise). */
  sort_key: unknown;
}

const iso = (d: Date | string) => new Date(d).toISOString();

/** What a person's resource can be changed to: the writable attributes of a POST, PUT or patched body. */
interface Desired {
  userName: string;
  givenName: string;
  familyName: string;
  phone: string | null | undefined;
  active: boolean;
  employer: string | null;
  /** The enterprise extension's employer by name (undefined when the body leaves the extension out). */
  workplace: { organization: string | null; department: string | null } | undefined;
}

const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** The writable attributes of a User body; `userName` is the person's work e-mail (they are one field). */
function desiredOf(body: unknown, current: ScimResource | null): Desired {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw ScimError.badRequest('invalidSyntax', 'A User is a JSON object.');
  const b = body as Record<string, unknown>;
  const schemas = b.schemas;
  if (!Array.isArray(schemas) || !schemas.includes(CORE_USER)) throw ScimError.badRequest('invalidSyntax', `A User lists ${CORE_USER} in schemas.`);
  const name = (b.name && typeof b.name === 'object' ? b.name : {}) as Record<string, unknown>;
  const emails = Array.isArray(b.emails) ? (b.emails as Record<string, unknown>[]) : [];
  const work = emails.find((m) => m?.type === 'work') ?? emails.find((m) => m?.primary === true) ?? emails[0];
  const currentName = current?.userName as string | undefined;
  let userName = text(b.userName)?.trim();
  const email = text(work?.value)?.trim();
  // A change of either the userName or the work e-mail changes both; the userName wins a tie.
  if (current && email && userName === currentName && email.toLowerCase() !== currentName?.toLowerCase()) userName = email;
  if (!userName) throw ScimError.badRequest('invalidValue', 'userName (the work e-mail address) is required.');
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(userName) || userName.length > 254) throw ScimError.badRequest('invalidValue', 'userName is the person\'s work e-mail address.');
  const givenName = text(name.givenName);
  const familyName = text(name.familyName);
  if (!givenName?.trim() || !familyName?.trim()) throw ScimError.badRequest('invalidValue', 'name.givenName and name.familyName are required.');
  const phones = Array.isArray(b.phoneNumbers) ? (b.phoneNumbers as Record<string, unknown>[]) : undefined;
  const phone = phones === undefined ? (current ? null : undefined) : (text(phones.find((p) => p?.type === 'work')?.value ?? phones[0]?.value) ?? null);
  if (phone && phone.length > 32) throw ScimError.badRequest('invalidValue', 'A phone number is at most 32 characters.');
  // Left out, `active` stays as it is: a PUT that does not mention it neither ends nor restarts an employment.
  let active = b.active === undefined ? (current ? current.active : true) : b.active;
  if (typeof active === 'string' && /^(true|false)$/i.test(active)) active = active.toLowerCase() === 'true';
  if (typeof active !== 'boolean') throw ScimError.badRequest('invalidValue', 'active is a boolean.');
  const hub = (b[HUB_USER] && typeof b[HUB_USER] === 'object' ? b[HUB_USER] : {}) as Record<string, unknown>;
  const employer = hub.employer && typeof hub.employer === 'object' ? (text((hub.employer as Record<string, unknown>).value) ?? null) : null;
  const enterprise = b[ENTERPRISE_USER];
  let workplace: Desired['workplace'];
  if (enterprise && typeof enterprise === 'object' && !Array.isArray(enterprise)) {
    const e = enterprise as Record<string, unknown>;
    for (const key of ['organization', 'department']) {
      if (e[key] !== undefined && e[key] !== null && typeof e[key] !== 'string') throw ScimError.badRequest('invalidValue', `${ENTERPRISE_USER}:${key} is a string.`);
    }
    // A department removed (or empty) means the legal entity itself employs them.
    workplace = { organization: text(e.organization)?.trim() || null, department: text(e.department)?.trim() || null };
  }
  return { userName, givenName, familyName, phone, active, employer, workplace };
}

/**
 * People as SCIM Users (RFC 7643 4.1 with the enterprise extension and the hub's): read by any
 * client within its scope (Policy.clientPeople), written by an organisation's client through the
 * same employment and user services as GraphQL, with their rules and audit. It lives with
 * employments because its writes are joiners and leavers, and employments already reach users.
 */
export class ScimUsers {
  constructor(
    private readonly actor: Actor,
    private readonly base: string,
    private readonly extensions: ScimExtension[],
  ) {}

  /** Whether a filter and sortBy name only attributes of Users (a search of every resource type leaves out the types they do not fit). */
  static fits(filter: string | null, sortBy: string | null): { filter: boolean; sortBy: boolean } {
    return fits(filter, sortBy, userAttributes(new Date()), CORE_USER);
  }

  private scope(): Sql {
    this.actor.policy.requireClient();
    return this.actor.policy.clientPeople('u');
  }

  private async rows(em: Em, where: Sql, order: Sql, page: { limit: number; offset: number } | null, lock = false, sortKey: Sql = Sql.raw('null')): Promise<UserRow[]> {
    return execute<UserRow>(
      em,
      sql`select u.id, u.given_name, u.family_name, u.email, u.phone, u.created_at, ${lastModified(this.actor.now())} as last_modified,
        e.id as employer_id, e.name as employer_name, le.id as legal_id, le.name as legal_name, ${active(this.actor.now())} as active,
        ${sortKey} as sort_key
        ${FROM} where ${where} order by ${order}
        ${page ? sql`limit ${page.limit} offset ${page.offset}` : sql``} ${lock ? sql`for update of u` : sql``}`,
    );
  }

  private async resources(em: Em, rows: UserRow[]): Promise<ScimResource[]> {
    const ids = rows.map((r) => r.id);
    const extras = await Promise.all(this.extensions.map((x) => x.load({ ...this.actor, em }, ids)));
    return rows.map((r) => {
      const id = toGlobalId('User', r.id);
      const resource: ScimResource = {
        schemas: [CORE_USER, ENTERPRISE_USER, HUB_USER],
        id,
        userName: r.email ?? '',
        name: { formatted: `${r.given_name} ${r.family_name}`, givenName: r.given_name, familyName: r.family_name },
        displayName: `${r.given_name} ${r.family_name}`,
        ...(r.email ? { emails: [{ value: r.email, type: 'work', primary: true }] } : {}),
        ...(r.phone ? { phoneNumbers: [{ value: r.phone, type: 'work' }] } : {}),
        active: r.active,
        [ENTERPRISE_USER]: { organization: r.legal_name, ...(r.legal_id !== r.employer_id ? { department: r.employer_name } : {}) },
        [HUB_USER]: { employer: { value: toGlobalId('Organisation', r.employer_id), display: r.employer_name } },
        meta: { resourceType: 'User', created: iso(r.created_at), lastModified: iso(r.last_modified), location: `${this.base}/Users/${id}` },
      };
      for (const extra of extras) {
        for (const [key, value] of Object.entries(extra.get(r.id) ?? {})) {
          const existing = resource[key];
          resource[key] = existing && typeof existing === 'object' && !Array.isArray(existing) ? { ...existing, ...(value as object) } : value;
        }
      }
      return versioned(resource);
    });
  }

  /**
   * GET /Users (and POST /Users/.search): filtered and sorted in SQL within the client's scope, one
   * page and its total; by startIndex, or by cursor (RFC 9865) as a keyset on the same order.
   */
  async list(query: ListQuery) {
    const client = this.actor.policy.requireClient();
    const attributes = userAttributes(this.actor.now());
    const where = sql`${this.scope()} and ${compileFilter(query.filter, attributes, CORE_USER)}`;
    const keyset: Keyset = { sort: sortAttribute(query.sortBy, attributes, CORE_USER), id: Sql.raw('u.id'), descending: query.descending };
    const em = this.actor.em;
    const total = execute<{ n: number | string }>(em, sql`select count(*) as n ${FROM} where ${where}`);
    if (query.cursor !== null) {
      const binding = cursorBinding(client.id, 'User', query.filter, query.sortBy, query.descending);
      const from = query.cursor === '' ? null : decodeCursor(query.cursor, binding, this.actor.now());
      const page = keysetPage(keyset, from);
      const sortKey = keysetKey(keyset);
      const [[{ n }], read] = await Promise.all([
        total,
        query.count === 0 ? Promise.resolve([]) : this.rows(em, sql`${where} and ${page.where}`, page.order, { limit: query.count + 1, offset: 0 }, false, sortKey),
      ]);
      const { rows, ...cursors } = cursorPage(read, query.count, from, (r) => [keyValue(r.sort_key), r.id], binding, this.actor.now());
      const resources = await this.resources(em, rows);
      return listResponse(resources.map((r) => project(r, query, CORE_USER)), Number(n), null, cursors);
    }
    const [[{ n }], rows] = await Promise.all([
      total,
      query.count === 0 ? Promise.resolve([]) : this.rows(em, where, keysetPage(keyset, null).order, { limit: query.count, offset: query.startIndex - 1 }),
    ]);
    const resources = await this.resources(em, rows);
    return listResponse(resources.map((r) => project(r, query, CORE_USER)), Number(n), query.startIndex);
  }

  /** One person in the client's scope; absent (404) exactly like an unknown id. */
  async get(globalId: string, em: Em = this.actor.em, lock = false): Promise<ScimResource> {
    const id = idOfType(globalId, 'User');
    const rows = id ? await this.rows(em, sql`u.id = ${id} and ${this.scope()}`, Sql.raw('u.id'), null, lock) : [];
    if (rows.length === 0) throw ScimError.notFound('user');
    return (await this.resources(em, rows))[0];
  }

  private writer(): void {
    this.actor.policy.requirePeopleAdministrator();
  }

  /** POST /Users: a joiner, employed in the client's subtree (its own organisation unless the hub extension names a unit). */
  async create(body: unknown): Promise<ScimResource> {
    this.writer();
    const desired = desiredOf(body, null);
    if (!desired.active) throw ScimError.badRequest('invalidValue', 'A joiner starts active; deactivate them after creating them.');
    const client = this.actor.policy.requireClient();
    return this.actor.em.transactional(async (tx) => {
      await this.requireUnique(tx, desired.userName, null);
      const actor = { ...this.actor, em: tx };
      const user = await new EmploymentService(actor).createUser({
        givenName: desired.givenName,
        familyName: desired.familyName,
        email: desired.userName,
        employerId: desired.employer ?? toGlobalId('Organisation', client.organisationId!),
      });
      if (desired.phone) await new UserService(actor).updatePerson(user.id, { phone: desired.phone });
      await tx.flush();
      return this.get(toGlobalId('User', user.id), tx);
    });
  }

  /** PUT /Users/{id}: the resource replaced (RFC 7644 3.5.1); `active: false` makes them a leaver today. */
  replace(globalId: string, body: unknown, ifMatch: string | undefined): Promise<ScimResource> {
    return this.change(globalId, ifMatch, (current) => desiredOf(body, current));
  }

  /** PATCH /Users/{id}: the operations applied to the current resource, then changed as PUT would. */
  patch(globalId: string, body: unknown, ifMatch: string | undefined): Promise<ScimResource> {
    return this.change(globalId, ifMatch, (current) => desiredOf(applyPatch(current, body, BOOLEAN_KEYS), current));
  }

  /** DELETE /Users/{id}: a leaver today. The person and their history stay; they read as `active: false`. */
  async remove(globalId: string, ifMatch: string | undefined): Promise<void> {
    this.writer();
    const client = this.actor.policy.requireClient();
    await this.actor.em.transactional(async (tx) => {
      const current = await this.get(globalId, tx, true);
      requireVersion(ifMatch, current.meta.version as string);
      if (!current.active) throw ScimError.notFound('user');
      await new EmploymentService({ ...this.actor, em: tx }).endEmployment(globalId, { endDate: this.actor.now(), reason: `Deleted through SCIM by client ${client.name}.` });
    });
  }

  private async change(globalId: string, ifMatch: string | undefined, desire: (current: ScimResource) => Desired): Promise<ScimResource> {
    this.writer();
    const client = this.actor.policy.requireClient();
    return this.actor.em.transactional(async (tx) => {
      const current = await this.get(globalId, tx, true);
      requireVersion(ifMatch, current.meta.version as string);
      const desired = desire(current);
      const actor = { ...this.actor, em: tx };
      const target = await this.moveTarget(tx, current, desired);
      const userId = idOfType(globalId, 'User')!;
      if (desired.userName.toLowerCase() !== String(current.userName).toLowerCase()) await this.requireUnique(tx, desired.userName, userId);
      const name = current.name as { givenName: string; familyName: string };
      const phone = (current.phoneNumbers as { value: string }[] | undefined)?.[0]?.value ?? null;
      const change = {
        ...(desired.givenName.trim() !== name.givenName ? { givenName: desired.givenName } : {}),
        ...(desired.familyName.trim() !== name.familyName ? { familyName: desired.familyName } : {}),
        ...(desired.userName !== current.userName ? { email: desired.userName } : {}),
        ...(desired.phone !== undefined && desired.phone !== phone ? { phone: desired.phone } : {}),
      };
      if (Object.keys(change).length) await new UserService(actor).updatePerson(userId, change);
      // A mover through the same service as GraphQL's userEmploymentMove, today; a leaver in the same request just leaves.
      if (target && desired.active) {
        await new EmploymentService(actor).moveEmployment(globalId, { employerId: target, date: this.actor.now(), reason: `Moved through SCIM by client ${client.name}.` });
      }
      if (current.active && !desired.active) {
        await new EmploymentService(actor).endEmployment(globalId, { endDate: this.actor.now(), reason: `Deactivated through SCIM by client ${client.name}.` });
      } else if (!current.active && desired.active) {
        throw ScimError.badRequest('invalidValue', 'A leaver is not reactivated: their employment has ended; create them anew as a joiner.');
      }
      await tx.flush();
      return this.get(globalId, tx);
    });
  }

  /**
   * The organisation a changed employer names, as a global id, or null when it is unchanged: the hub
   * extension's employer.value, else the enterprise extension's organization (the legal entity) and
   * department (a unit of it) by name within the client's subtree. A name outside it, unknown or
   * shared by two units is invalidValue, alike for all three.
   */
  private async moveTarget(tx: Em, current: ScimResource, desired: Desired): Promise<string | null> {
    const employer = (current[HUB_USER] as { employer: { value: string } }).employer.value;
    if (desired.employer && desired.employer !== employer) return desired.employer;
    const now = current[ENTERPRISE_USER] as { organization?: string; department?: string };
    const want = desired.workplace;
    const same = (a: string | null | undefined, b: string | null | undefined) => (a ?? '').toLowerCase() === (b ?? '').toLowerCase();
    if (!want || (same(want.organization ?? now.organization, now.organization) && same(want.department, now.department))) return null;
    const organization = want.organization ?? now.organization ?? '';
    const rows = await execute<{ id: string }>(
      tx,
      sql`select e.id from organisations e join organisations le on le.id = coalesce(e.legal_entity_id, e.id)
        where ${this.actor.policy.movableEmployers('e')} and lower(le.name) = lower(${organization})
          and ${want.department ? sql`e.id <> le.id and lower(e.name) = lower(${want.department})` : sql`e.id = le.id`}
        order by e.id limit 2`,
    );
    const named = want.department ? `department "${want.department}" of "${organization}"` : `organization "${organization}"`;
    if (rows.length === 0) throw ScimError.badRequest('invalidValue', `No organisation of your subtree is the ${named}.`);
    if (rows.length > 1) throw ScimError.badRequest('invalidValue', `Several organisations of your subtree are the ${named}: name the employer by id in ${HUB_USER}:employer.value.`);
    return rows[0].id === idOfType(employer, 'Organisation') ? null : toGlobalId('Organisation', rows[0].id);
  }

  /** userName is unique within the client's scope (RFC 7643 uniqueness "server" as the client sees it). */
  private async requireUnique(tx: Em, userName: string, except: string | null): Promise<void> {
    const [taken] = await execute(tx, sql`select 1 from users u where lower(u.email) = lower(${userName}) and ${this.scope()} ${except ? sql`and u.id <> ${except}` : sql``} limit 1`);
    if (taken) throw new ScimError(409, 'uniqueness', 'A person with this userName already exists.');
  }
}

export const USER_RESOURCE_TYPE: ResourceTypeDefinition = {
  id: 'User',
  name: 'User',
  endpoint: '/Users',
  description: 'A person, employed by one organisation',
  schema: CORE_USER,
  schemaExtensions: [
    { schema: ENTERPRISE_USER, required: false },
    { schema: HUB_USER, required: false },
  ],
};

export const USER_SCHEMAS: SchemaDefinition[] = [
  {
    id: CORE_USER,
    name: 'User',
    description: 'A person',
    attributes: [
      { name: 'userName', type: 'string', required: true, uniqueness: 'server', description: "The person's work e-mail address; the same field as emails[type eq \"work\"]." },
      {
        name: 'name',
        type: 'complex',
        description: "The person's name",
        subAttributes: [
          { name: 'formatted', type: 'string', mutability: 'readOnly', description: 'Given and family name' },
          { name: 'givenName', type: 'string', required: true, description: 'Given name' },
          { name: 'familyName', type: 'string', required: true, description: 'Family name' },
        ],
      },
      { name: 'displayName', type: 'string', mutability: 'readOnly', description: 'Given and family name' },
      multiValued('emails', 'The work e-mail address (userName)', [
        ['value', 'string', 'The address'],
        ['type', 'string', 'Always "work"'],
        ['primary', 'boolean', 'Always true'],
      ]),
      multiValued('phoneNumbers', 'The work phone number', [
        ['value', 'string', 'The number'],
        ['type', 'string', 'Always "work"'],
      ]),
      { name: 'active', type: 'boolean', description: "Whether the person's employment is in force; false makes them a leaver today" },
      {
        name: 'roles',
        type: 'complex',
        multiValued: true,
        mutability: 'readOnly',
        description: 'The roles of their usable grants (of the client\'s service, or of every service for an organisation\'s client)',
        subAttributes: [
          { name: 'value', type: 'string', description: 'Role code' },
          { name: 'display', type: 'string', description: 'Role name' },
          { name: 'type', type: 'string', description: 'Service code' },
        ],
      },
    ],
  },
  {
    id: ENTERPRISE_USER,
    name: 'EnterpriseUser',
    description: 'The employer',
    attributes: [
      { name: 'organization', type: 'string', description: "The employer's legal entity, by name; changing it (within the client's subtree) moves the person" },
      { name: 'department', type: 'string', description: 'The employing unit of that legal entity, by name, when the employer is a unit; changing or removing it moves the person' },
    ],
  },
  {
    id: HUB_USER,
    name: 'HubUser',
    description: "The hub's view: employer and grants",
    attributes: [
      {
        name: 'employer',
        type: 'complex',
        description: "The employing organisation; on create, any organisation of the client's subtree (default: the client's own); changing it moves the person",
        subAttributes: [
          { name: 'value', type: 'string', description: 'Organisation id (as in the GraphQL API)' },
          { name: 'display', type: 'string', mutability: 'readOnly', description: 'Organisation name' },
        ],
      },
      {
        name: 'grants',
        type: 'complex',
        multiValued: true,
        mutability: 'readOnly',
        description: 'Usable grants: active and valid now',
        subAttributes: [
          { name: 'value', type: 'string', description: 'Grant id' },
          { name: 'service', type: 'string', description: 'Service code' },
          { name: 'role', type: 'string', description: 'Role code' },
          { name: 'scope', type: 'string', description: 'Scope organisation id' },
          { name: 'subAreas', type: 'string', multiValued: true, description: 'Sub-area codes' },
          { name: 'validFrom', type: 'dateTime', description: 'Valid from' },
          { name: 'validTo', type: 'dateTime', description: 'Valid to' },
        ],
      },
    ],
  },
];

