import type { Policy } from '../auth/policy.js';
import type { Em } from '../db/orm.js';
import { encodeCursor, type Page, type PageRequest } from '../db/paging.js';
import { execute, sql, Sql } from '../db/sql.js';
import { InvalidArgument } from '../domain/errors.js';

/** What happened in a person's working life, as their timeline names it. */
export enum HistoryKind {
  EMPLOYMENT_STARTED = 'employment_started',
  /** A change of employer: the new employment begins (the reason is the move's). */
  EMPLOYER_CHANGED = 'employer_changed',
  EMPLOYMENT_ENDED = 'employment_ended',
  PLACEMENT_STARTED = 'placement_started',
  PLACEMENT_ENDED = 'placement_ended',
  GRANT_GAINED = 'grant_gained',
  /** A grant kept through a move, confirmed by the new responsible issuer. */
  GRANT_CONFIRMED = 'grant_confirmed',
  GRANT_ENDED = 'grant_ended',
}

export interface HistoryEntry {
  kind: HistoryKind;
  at: Date;
  /** The employer, the placement's organisation, or the grant's scope. */
  organisationId: string | null;
  actorId: string | null;
  reason: string | null;
  grantId: string | null;
}

interface Row {
  kind: HistoryKind;
  occurred_at: Date | string;
  ref_id: string;
  organisation_id: string | null;
  actor_id: string | null;
  reason: string | null;
  grant_id: string | null;
}

export const HISTORY_KEY_WIDTH = 3;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A person's timeline, oldest first, from the rows that keep it (employments, placements, grants
 * and their reviews; who ended a grant from its audit event), grants only as far as the viewer may
 * read them. The caller has found the person in the viewer's scope.
 */
export class PersonHistory {
  constructor(
    private readonly em: Em,
    private readonly policy: Policy,
  ) {}

  private entries(userId: string): Sql {
    const readable = this.policy.readableGrants('g');
    return sql`
      select 'employment_started' as kind, x.valid_from as occurred_at, x.id as ref_id, x.employer_id as organisation_id, x.created_by_id as actor_id, null::text as reason, null::uuid as grant_id
        from employments x where x.user_id = ${userId} and x.previous_id is null
      union all select 'employer_changed', x.valid_from, x.id, x.employer_id, x.created_by_id, p.end_reason, null
        from employments x join employments p on p.id = x.previous_id where x.user_id = ${userId}
      union all select 'employment_ended', x.valid_to, x.id, x.employer_id, x.ended_by_id, x.end_reason, null
        from employments x where x.user_id = ${userId} and x.valid_to is not null and not exists (select 1 from employments n where n.previous_id = x.id)
      union all select 'placement_started', p.valid_from, p.id, p.organisation_id, p.created_by_id, null, null from placements p where p.user_id = ${userId}
      union all select 'placement_ended', p.valid_to, p.id, p.organisation_id, p.ended_by_id, null, null from placements p where p.user_id = ${userId} and p.valid_to is not null
      union all select 'grant_gained', g.valid_from, g.id, g.scope_id, g.issued_by_user_id, null, g.id from grants g where g.user_id = ${userId} and ${readable}
      union all select 'grant_confirmed', r.decided_at, r.id, r.issuer_id, r.decided_by_id, null, g.id
        from grant_reviews r join grants g on g.id = r.grant_id where r.user_id = ${userId} and r.state = 'confirmed' and ${readable}
      union all select 'grant_ended', g.ended_at, g.id, g.scope_id,
          (select a.actor_id from audit_events a where a.target_type = 'Grant' and a.target_id = g.id and a.action in ('grant.revoke', 'grant.expire') order by a.occurred_at desc limit 1),
          g.end_reason, g.id
        from grants g where g.user_id = ${userId} and g.ended_at is not null and ${readable}`;
  }

  /** One page, in one statement. */
  async page(userId: string, request: PageRequest): Promise<Page<HistoryEntry>> {
    const seek = request.cursor ? sql`where (t.occurred_at, t.kind, t.ref_id) > (${checked(request.cursor)})` : sql``;
    const rows = await execute<Row>(this.em, sql`select t.* from (${this.entries(userId)}) t ${seek}
      order by t.occurred_at, t.kind, t.ref_id limit ${request.size + 1}`);
    const pageRows = rows.slice(0, request.size);
    return {
      items: pageRows.map((r) => ({ kind: r.kind, at: new Date(r.occurred_at), organisationId: r.organisation_id, actorId: r.actor_id, reason: r.reason, grantId: r.grant_id })),
      cursors: pageRows.map((r) => encodeCursor([new Date(r.occurred_at).toISOString(), r.kind, r.ref_id])),
      hasNextPage: rows.length > request.size,
      hasPreviousPage: request.cursor != null,
    };
  }

  async count(userId: string): Promise<number> {
    const [row] = await execute<{ n: number }>(this.em, sql`select count(*)::int as n from (${this.entries(userId)}) t`);
    return Number(row.n);
  }
}

/** A cursor comes from the client: a value the statement cannot compare is bad input, not a failure. */
function checked(cursor: unknown[]): Sql {
  const [at, kind, id] = cursor.map(String);
  if (Number.isNaN(Date.parse(at)) || !Object.values(HistoryKind).includes(kind as HistoryKind) || !UUID.test(id)) {
    throw new InvalidArgument('`after` is not a cursor of this list.', 'after');
  }
  return sql`${new Date(at).toISOString()}::timestamptz, ${kind}::text, ${id}::uuid`;
}
