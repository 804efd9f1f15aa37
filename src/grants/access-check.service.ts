import type { Actor } from '../auth/actor.js';
import { execute, sql } from '../db/sql.js';
import { InvalidArgument } from '../domain/errors.js';
import { idOfType, toGlobalId } from '../domain/global-id.js';

/** Whom a service's client asks about: exactly one of a hub id, an e-mail address or a federated subject. */
export interface PersonLookup {
  id?: string | null;
  email?: string | null;
  issuer?: string | null;
  subject?: string | null;
}

export interface UsableGrant {
  grant: string;
  role: string;
  roleName: string;
  subAreas: string[];
  scope: string;
  scopeName: string;
  validFrom: Date;
  validTo: Date | null;
}

export interface AccessAnswer {
  person: string;
  givenName: string;
  familyName: string;
  email: string | null;
  /** Whether the person may use the service now: at least one usable grant. */
  allowed: boolean;
  grants: UsableGrant[];
}

/**
 * The access check for sign-in: one person's usable grants of the client's service (active, in their
 * validity now, employment not ended) in one statement. Only a service's client asks, and only about
 * holders (past or present) of its grants: anyone else is absent, exactly like an unknown person.
 */
export async function checkAccess(actor: Actor, lookup: PersonLookup): Promise<AccessAnswer | null> {
  const client = actor.policy.requireServiceClient();
  const given = [lookup.id, lookup.email, lookup.issuer ?? lookup.subject].filter((v) => v != null && v !== '');
  if (given.length !== 1) throw new InvalidArgument('Name the person by exactly one of id, email, or issuer with subject.');
  let match;
  if (lookup.id) {
    const id = idOfType(lookup.id, 'User');
    if (!id) return null;
    match = sql`u.id = ${id}`;
  } else if (lookup.email) {
    match = sql`lower(u.email) = lower(${lookup.email})`;
  } else {
    if (!lookup.issuer || !lookup.subject) throw new InvalidArgument('A federated subject needs both issuer and subject.');
    match = sql`exists (select 1 from federated_identities fi where fi.user_id = u.id and fi.issuer = ${lookup.issuer} and fi.subject = ${lookup.subject})`;
  }
  const rows = await execute<{ id: string; given_name: string; family_name: string; email: string | null; grants: UsableGrantRow[] | string }>(
    actor.em,
    sql`select u.id, u.given_name, u.family_name, u.email, coalesce((
        select json_agg(json_build_object('id', g.id, 'role', r.code, 'roleName', r.name, 'scopeId', g.scope_id, 'scopeName', so.name,
          'validFrom', g.valid_from, 'validTo', g.valid_to,
          'subAreas', coalesce((select json_agg(a.code order by a.code) from grant_sub_areas ga join sub_areas a on a.id = ga.sub_area_id where ga.grant_id = g.id), '[]'))
          order by r.code, g.valid_from)
        from grants g join service_roles r on r.id = g.role_id join organisations so on so.id = g.scope_id
        where g.user_id = u.id and g.service_id = ${client.serviceId} and g.state = 'active'
          and g.valid_from <= now() and (g.valid_to is null or g.valid_to > now())
          and not (exists (select 1 from employments x where x.user_id = u.id and x.valid_to <= now())
            and not exists (select 1 from employments x where x.user_id = u.id and x.valid_from <= now() and (x.valid_to is null or x.valid_to > now())))
      ), '[]') as grants
      from users u where ${match} and ${actor.policy.serviceHolders('u')}
      order by u.id limit 2`,
  );
  // An e-mail shared by two holders names nobody for certain: no answer rather than a guess.
  if (rows.length !== 1) return null;
  const row = rows[0];
  const grants = (typeof row.grants === 'string' ? (JSON.parse(row.grants) as UsableGrantRow[]) : row.grants).map((g) => ({
    grant: toGlobalId('Grant', g.id),
    role: g.role,
    roleName: g.roleName,
    subAreas: g.subAreas,
    scope: toGlobalId('Organisation', g.scopeId),
    scopeName: g.scopeName,
    validFrom: new Date(g.validFrom),
    validTo: g.validTo ? new Date(g.validTo) : null,
  }));
  return { person: toGlobalId('User', row.id), givenName: row.given_name, familyName: row.family_name, email: row.email, allowed: grants.length > 0, grants };
}

interface UsableGrantRow {
  id: string;
  role: string;
  roleName: string;
  scopeId: string;
  scopeName: string;
  validFrom: string;
  validTo: string | null;
  subAreas: string[];
}
