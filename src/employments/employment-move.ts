import { AuditEvent } from '../audit/audit-event.entity.js';
import type { Em } from '../db/orm.js';
import { uuidv7 } from '../db/ids.js';
import { execute, sql } from '../db/sql.js';
import { responsibleIssuers } from '../issuers/issuer-mandate.service.js';
import { DEFAULT_MOVE_REVIEW_DAYS, GrantsOnMove } from '../routines/routine.rules.js';
import { routineInForceFor } from '../routines/routine.service.js';
import { notifyGrantsEnded, type EndActor, type EndedGrant } from './employment-end.js';

/** Who the audit trail names for moves and review deadlines the job applies (`actor` stays null). */
export const EMPLOYMENT_MOVE_ACTOR = 'system:employment-move';
/** The endReason of grants a move ends (routine rule END). */
export const EMPLOYMENT_MOVED = 'EMPLOYMENT_MOVED';
/** The endReason of grants kept for review that the new issuer ended, or left unconfirmed past the deadline. */
export const MOVE_NOT_CONFIRMED = 'MOVE_NOT_CONFIRMED';

const DAY = 86_400_000;

export interface DueMove {
  /** The new employment. */
  id: string;
  previous_id: string;
  user_id: string;
  employer_id: string;
  old_employer_id: string;
  valid_from: Date | string;
}

interface Held {
  id: string;
  service_id: string;
  issued_by_id: string;
}

const iso = (d: Date | string) => new Date(d).toISOString();

function auditor(tx: Em, by: EndActor, reason: string) {
  return (action: string, targetType: string, targetId: string, organisation: string, before: Record<string, unknown>, after: Record<string, unknown>) =>
    tx.create(AuditEvent, { actor: by.userId, actorIdentity: by.identity, action, targetType, targetId, organisation, before, after, reason, requestId: by.requestId });
}

/** Ends grants at `at` (never before they were issued), with their audit events; returns what ended. */
export async function endGrants(tx: Em, ids: string[], at: string, endReason: string, organisation: string, by: EndActor): Promise<EndedGrant[]> {
  if (ids.length === 0) return [];
  const ended = await execute<EndedGrant & { id: string; state: string; ended_at: Date | string }>(
    tx,
    sql`update grants g set state = 'revoked', ended_at = greatest(${at}::timestamptz, g.created_at), end_reason = ${endReason}, updated_at = now()
      from (select d.id, d.state from grants d where d.id in (${ids}) and d.state in ('active', 'suspended') for update of d) old
      where g.id = old.id
      returning g.id, old.state, g.ended_at, g.service_id, g.issued_by_id,
        (select r.name from service_roles r where r.id = g.role_id) as role, (select s.name from services s where s.id = g.service_id) as service`,
  );
  const event = auditor(tx, by, endReason);
  for (const g of ended) event('grant.revoke', 'Grant', g.id, organisation, { state: g.state }, { state: 'revoked', endedAt: iso(g.ended_at), endReason });
  return ended;
}

/**
 * A mover's consequences, in the caller's transaction, dated at the move: the person's employer
 * becomes the new one; each grant ends, stays, or stays pending the new responsible issuer's review,
 * as the service's routine for the new employer says; orderer appointments and administrator roles
 * in the old legal entity (and not in the new one) end; the person and the issuers of ended grants
 * are mailed. Marks the move applied, so running it again (or on another instance) changes nothing.
 */
export async function applyMove(tx: Em, move: DueMove, by: EndActor): Promise<void> {
  const at = iso(move.valid_from);
  const atDate = new Date(at);
  await execute(tx, sql`update users set employer_id = ${move.employer_id}, updated_at = now() where id = ${move.user_id}`);

  const held = await execute<Held>(tx, sql`select g.id, g.service_id, g.issued_by_id
    from grants g where g.user_id = ${move.user_id} and g.state in ('active', 'suspended') order by g.id for update`);
  const toEnd: string[] = [];
  const event = auditor(tx, by, 'employment.move');
  for (const serviceId of [...new Set(held.map((g) => g.service_id))]) {
    const grants = held.filter((g) => g.service_id === serviceId);
    const rules = (await routineInForceFor(tx, serviceId, move.employer_id, atDate))?.rules;
    const rule = rules?.grantsOnMove ?? GrantsOnMove.END;
    if (rule === GrantsOnMove.END) toEnd.push(...grants.map((g) => g.id));
    if (rule !== GrantsOnMove.CONFIRM) continue;
    const issuer = (await responsibleIssuers(tx, serviceId, [move.user_id], atDate)).get(move.user_id);
    const deadline = new Date(atDate.getTime() + (rules?.moveReviewDays ?? DEFAULT_MOVE_REVIEW_DAYS) * DAY).toISOString();
    for (const g of grants) {
      const [review] = await execute<{ id: string }>(tx, sql`insert into grant_reviews (id, grant_id, user_id, service_id, issuer_id, employment_id, deadline, state, created_at)
        values (${uuidv7()}, ${g.id}, ${move.user_id}, ${serviceId}, ${issuer ?? g.issued_by_id}, ${move.id}, ${deadline}::timestamptz, 'pending', now()) returning id`);
      event('grantReview.open', 'Grant', g.id, move.employer_id, {}, { reviewId: review.id, issuerId: issuer, deadline });
    }
  }
  const ended = await endGrants(tx, toEnd, at, EMPLOYMENT_MOVED, move.old_employer_id, by);

  // Roles tied to the old employer: in its legal entity, and not also in the new one's.
  const roleScope = sql`(select l.path from organisations o join organisations l on l.id = coalesce(o.legal_entity_id, o.id) where o.id = ${move.old_employer_id}) as old_path,
    (select l.path from organisations o join organisations l on l.id = coalesce(o.legal_entity_id, o.id) where o.id = ${move.employer_id}) as new_path`;
  const appointments = await execute<{ id: string; state: string }>(
    tx,
    sql`update orderer_appointments a set state = 'revoked', revoked_at = ${at}::timestamptz, revoked_by_id = ${by.userId}, revoke_reason = ${EMPLOYMENT_MOVED}
      from (select d.id, d.state from orderer_appointments d join organisations so on so.id = d.scope_id cross join (select ${roleScope}) le
        where d.user_id = ${move.user_id} and d.state in ('requested', 'approved')
          and so.path like le.old_path || '%' and so.path not like le.new_path || '%' for update of d) old
      where a.id = old.id returning a.id, old.state`,
  );
  const moved = auditor(tx, by, EMPLOYMENT_MOVED);
  for (const a of appointments) moved('ordererAppointment.revoke', 'OrdererAppointment', a.id, move.old_employer_id, { state: a.state }, { state: 'revoked' });
  const roles = await execute<{ id: string; organisation_id: string }>(
    tx,
    sql`update issuer_administrators a set state = 'removed', removed_at = ${at}::timestamptz
      from organisations io cross join (select ${roleScope}) le
      where io.id = a.organisation_id and a.user_id = ${move.user_id} and a.state = 'active'
        and io.path like le.old_path || '%' and io.path not like le.new_path || '%'
      returning a.id, a.organisation_id`,
  );
  for (const r of roles) moved('issuerAdministrator.remove', 'IssuerAdministrator', r.id, r.organisation_id, { state: 'active' }, { state: 'removed' });
  await execute(tx, sql`update employments set end_applied_at = now() where id = ${move.previous_id}`);
  await execute(tx, sql`update employments set move_applied_at = now() where id = ${move.id}`);

  if (ended.length) {
    const when = at.slice(0, 10);
    await notifyGrantsEnded(tx, move.user_id, ended, {
      topic: 'employment.moved',
      endReason: EMPLOYMENT_MOVED,
      why: `You changed employer on ${when}; under the service's routine your grants there ended.`,
      whyForIssuer: (name) => `${name} changed employer on ${when}; under the service's routine the grants ended.`,
      personSubject: 'Your access ended with your change of employer',
      issuerSubject: (name) => `Grants ended: ${name} changed employer`,
    });
  }
}

/** Ends the grants of pending reviews whose deadline has come, dated at the deadline; returns how many. */
export async function endOverdueReviews(tx: Em, now: Date, by: EndActor, userId?: string): Promise<number> {
  const due = await execute<{ id: string; grant_id: string; user_id: string; issuer_id: string; deadline: Date | string; employer_id: string }>(
    tx,
    sql`select r.id, r.grant_id, r.user_id, r.issuer_id, r.deadline, u.employer_id from grant_reviews r join users u on u.id = r.user_id
      where r.state = 'pending' and r.deadline <= ${now.toISOString()}::timestamptz ${userId ? sql`and r.user_id = ${userId}` : sql``}
      order by r.deadline, r.id limit 100 for update of r skip locked`,
  );
  for (const r of due) {
    await execute(tx, sql`update grant_reviews set state = 'ended', decided_at = now(), reason = ${MOVE_NOT_CONFIRMED} where id = ${r.id}`);
    const ended = await endGrants(tx, [r.grant_id], iso(r.deadline), MOVE_NOT_CONFIRMED, r.employer_id, by);
    // The reviewing issuer, now responsible for the person, is the one told.
    await notifyGrantsEnded(tx, r.user_id, ended.map((g) => ({ ...g, issued_by_id: r.issuer_id })), reviewNotice(`the new issuer did not confirm it by ${iso(r.deadline).slice(0, 10)}`));
  }
  return due.length;
}

/** The mail when a grant kept through a move ends unconfirmed. */
export function reviewNotice(why: string) {
  return {
    topic: 'grant.review.ended',
    endReason: MOVE_NOT_CONFIRMED,
    why: `A grant kept through your change of employer ended: ${why}.`,
    whyForIssuer: (name: string) => `A grant of ${name}'s kept through a change of employer ended: ${why}.`,
    personSubject: 'Your access has ended',
    issuerSubject: (name: string) => `Grant ended: ${name}'s move was not confirmed`,
  };
}

/**
 * The dated changes of people that have come by `now`: moves not yet applied, then reviews past
 * their deadline, in batches of one transaction each, skipping rows another instance holds: each
 * applies exactly once. Returns how many of each.
 */
export async function applyDueMoves(em: Em, now = new Date(), batch = 100): Promise<{ moves: number; reviews: number }> {
  const by: EndActor = { userId: null, identity: EMPLOYMENT_MOVE_ACTOR, requestId: null };
  let moves = 0;
  for (;;) {
    const applied = await em.transactional(async (tx) => {
      const due = await execute<DueMove>(tx, sql`select x.id, x.previous_id, x.user_id, x.employer_id, p.employer_id as old_employer_id, x.valid_from
        from employments x join employments p on p.id = x.previous_id
        where x.move_applied_at is null and x.previous_id is not null and x.valid_from <= ${now.toISOString()}::timestamptz
        order by x.valid_from, x.id limit ${batch} for update of x skip locked`);
      for (const move of due) await applyMove(tx, move, by);
      return due.length;
    });
    moves += applied;
    if (applied < batch) break;
  }
  let reviews = 0;
  for (;;) {
    const ended = await em.transactional((tx) => endOverdueReviews(tx, now, by));
    reviews += ended;
    if (ended < 100) return { moves, reviews };
  }
}
