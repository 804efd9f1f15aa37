import { sql, or, Sql } from '../db/sql.js';
import { forbidden, unauthenticated } from './auth.errors.js';
import type { Viewer, ViewerUser } from './viewer.js';

/**
 * The one place that decides what a viewer may see and do. Repositories ask it for the SQL
 * condition of a readable row; resolvers ask it to require a capability. Nothing else checks.
 */
export class Policy {
  constructor(readonly viewer: Viewer) {}

  /** Requires a registered, signed-in user. */
  requireUser(): ViewerUser {
    if (!this.viewer.identity) throw unauthenticated();
    if (!this.viewer.user) throw forbidden('Your sign-in is not bound to a registered user.', 'NOT_REGISTERED');
    return this.viewer.user;
  }

  /** Users the viewer may read: for now, themself. Delegated scopes extend this. */
  readableUsers(alias: string): Sql {
    const user = this.viewer.user;
    if (!user) return Sql.raw('false');
    return sql`${Sql.raw(alias)}.id = ${user.id}`;
  }

  /** Users whose own data (contact details) the viewer may change: for now, themself. */
  writableUsers(alias: string): Sql {
    return this.readableUsers(alias);
  }

  /** Grants the viewer may read: their own. */
  readableGrants(alias: string): Sql {
    const user = this.viewer.user;
    if (!user) return Sql.raw('false');
    return sql`${Sql.raw(alias)}.user_id = ${user.id}`;
  }

  /**
   * Organisations the viewer may read: those they work at (employer, placements) and the chain of
   * ancestors above them, so a portal can show where a person sits in the tree.
   */
  readableOrganisations(alias: string): Sql {
    const user = this.viewer.user;
    if (!user) return Sql.raw('false');
    const path = Sql.raw(`${alias}.path`);
    const own = [user.employerPath, ...user.placementPaths];
    return or(own.map((p) => sql`${p} like ${path} || '%'`));
  }

  /** Audit events the viewer may read: those about themself. */
  readableAuditEvents(alias: string): Sql {
    const user = this.viewer.user;
    if (!user) return Sql.raw('false');
    return sql`${Sql.raw(alias)}.target_id = ${user.id}`;
  }
}
