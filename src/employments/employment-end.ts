import { AuditEvent } from '../audit/audit-event.entity.js';
import type { Em } from '../db/orm.js';
import { uuidv7 } from '../db/ids.js';
import { execute, sql } from '../db/sql.js';
import { enqueueEmail } from '../notifications/outbox.js';

/** Who the audit trail names for ends the job applies (`actor` stays null). */
export const EMPLOYMENT_END_ACTOR = 'system:employment-end';
/** The endReason of every grant that ends because its holder left. */
export const EMPLOYMENT_ENDED = 'EMPLOYMENT_ENDED';

/** Who applies an end: a signed-in administrator (a past date, at once) or the job (a date that came). */
export interface EndActor {
  userId: string | null;
  identity: string | null;
  requestId: string | null;
}

/** The signed-in administrator applying a change at once, as the audit trail names them. */
export function signedInActor(actor: { viewer: { user: { id: string } | null; identity: { issuer: string; subject: string } | null }; requestId: string }): EndActor {
  const identity = actor.viewer.identity;
  return { userId: actor.viewer.user?.id ?? null, identity: identity ? `${identity.issuer}#${identity.subject}` : null, requestId: actor.requestId };
}

export interface DueEnd {
  id: string;
  user_id: string;
  employer_id: string;
  valid_to: Date | string;
  end_reason: string | null;
}

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

/**
 * A leaver's consequences, in the caller's transaction, dated at the end date: every open grant
 * revoked (EMPLOYMENT_ENDED), undecided orders withdrawn, orderer appointments revoked, administrator
 * roles removed, open placements closed, the person and each grant's issuer told by mail. Marks the
 * employment applied, so running it again (or on another instance) changes nothing.
 */
export async function applyEmploymentEnd(tx: Em, end: DueEnd, by: EndActor): Promise<void> {
  const at = iso(end.valid_to)!;
  const reason = end.end_reason;
  const event = (action: string, targetType: string, targetId: string, organisation: string, before: Record<string, unknown>, after: Record<string, unknown>) =>
    tx.create(AuditEvent, { actor: by.userId, actorIdentity: by.identity, action, targetType, targetId, organisation, before, after, reason: EMPLOYMENT_ENDED, requestId: by.requestId });

  // A grant issued after the end date ends when it was issued, never before it existed.
  const grants = await execute<{ id: string; state: string; ended_at: Date | string; service_id: string; issued_by_id: string; role: string; service: string }>(
    tx,
    sql`update grants g set state = 'revoked', ended_at = greatest(${at}::timestamptz, g.created_at), end_reason = ${EMPLOYMENT_ENDED}, updated_at = now()
      from (select d.id, d.state from grants d where d.user_id = ${end.user_id} and d.state in ('active', 'suspended') for update of d) old
      where g.id = old.id
      returning g.id, old.state, g.ended_at, g.service_id, g.issued_by_id,
        (select r.name from service_roles r where r.id = g.role_id) as role, (select s.name from services s where s.id = g.service_id) as service`,
  );
  for (const g of grants) {
    event('grant.revoke', 'Grant', g.id, end.employer_id, { state: g.state }, { state: 'revoked', endedAt: iso(g.ended_at), endReason: EMPLOYMENT_ENDED });
  }
  const orders = await execute<{ id: string; state: string; scope_id: string }>(
    tx,
    sql`update orders o set state = 'withdrawn', updated_at = now()
      from (select d.id, d.state from orders d where d.user_id = ${end.user_id} and d.state in ('submitted', 'returned') for update of d) old
      where o.id = old.id returning o.id, old.state, o.scope_id`,
  );
  for (const o of orders) {
    await execute(tx, sql`insert into order_events (id, order_id, from_state, to_state, actor_id, reason, occurred_at)
      values (${uuidv7()}, ${o.id}, ${o.state}, 'withdrawn', ${by.userId}, ${EMPLOYMENT_ENDED}, now())`);
    event('order.withdrawn', 'Order', o.id, o.scope_id, { state: o.state }, { state: 'withdrawn' });
  }
  const appointments = await execute<{ id: string; state: string }>(
    tx,
    sql`update orderer_appointments a set state = 'revoked', revoked_at = ${at}::timestamptz, revoked_by_id = ${by.userId}, revoke_reason = ${EMPLOYMENT_ENDED}
      from (select d.id, d.state from orderer_appointments d where d.user_id = ${end.user_id} and d.state in ('requested', 'approved') for update of d) old
      where a.id = old.id returning a.id, old.state`,
  );
  for (const a of appointments) event('ordererAppointment.revoke', 'OrdererAppointment', a.id, end.employer_id, { state: a.state }, { state: 'revoked' });
  const roles = await execute<{ id: string; organisation_id: string }>(
    tx,
    sql`update issuer_administrators a set state = 'removed', removed_at = ${at}::timestamptz
      where a.user_id = ${end.user_id} and a.state = 'active' returning a.id, a.organisation_id`,
  );
  for (const r of roles) event('issuerAdministrator.remove', 'IssuerAdministrator', r.id, r.organisation_id, { state: 'active' }, { state: 'removed' });
  await execute(tx, sql`update placements set valid_to = ${at}::timestamptz
    where user_id = ${end.user_id} and (valid_to is null or valid_to > ${at}::timestamptz) and valid_from < ${at}::timestamptz`);
  await execute(tx, sql`update employments set end_applied_at = now() where id = ${end.id}`);

  await notify(tx, end, grants, reason);
}

/** Grants that ended, as the mail names them. */
export interface EndedGrant {
  service_id: string;
  issued_by_id: string;
  role: string;
  service: string;
}

/** What a mail about ended grants says: why (one sentence), and the endReason the grants carry. */
export interface EndNotice {
  topic: string;
  endReason: string;
  /** To the person, e.g. "Your employment ended on 2026-12-01 (Slutat)." */
  why: string;
  /** To the issuer, e.g. "Nils Nyman's employment ended on …"; the person's name is put first. */
  whyForIssuer: (name: string) => string;
  personSubject: string;
  issuerSubject: (name: string) => string;
}

/** The person and each ended grant's issuer support contact hear what ended and why. */
export async function notifyGrantsEnded(tx: Em, userId: string, grants: EndedGrant[], notice: EndNotice): Promise<void> {
  const [person] = await execute<{ email: string | null; name: string }>(tx, sql`select email, given_name || ' ' || family_name as name from users where id = ${userId}`);
  const name = person?.name ?? 'A person';
  const lines = grants.map((g) => `- ${g.service}: ${g.role}`).join('\n') || '- (no grants)';
  if (person?.email) {
    enqueueEmail(tx, { recipient: person.email, subject: notice.personSubject, topic: notice.topic, body: `${notice.why}\nThese grants ended (${notice.endReason}):\n${lines}\n` });
  }
  const issuers = [...new Set(grants.map((g) => `${g.service_id}:${g.issued_by_id}`))];
  for (const key of issuers) {
    const [serviceId, issuerId] = key.split(':');
    const [contact] = await execute<{ support_email: string | null }>(tx, sql`select m.support_email from issuer_mandates m
      where m.service_id = ${serviceId} and m.organisation_id = ${issuerId} and m.support_email is not null order by m.created_at desc limit 1`);
    if (!contact?.support_email) continue;
    const ended = grants.filter((g) => g.service_id === serviceId && g.issued_by_id === issuerId).map((g) => `- ${g.service}: ${g.role}`).join('\n');
    enqueueEmail(tx, {
      recipient: contact.support_email,
      subject: notice.issuerSubject(name),
      topic: notice.topic,
      body: `${notice.whyForIssuer(name)}\nThese grants you issued ended (${notice.endReason}):\n${ended}\n`,
    });
  }
}

/** The leaver's mail: the person and each ended grant's issuer. */
function notify(tx: Em, end: DueEnd, grants: EndedGrant[], reason: string | null): Promise<void> {
  const when = `${iso(end.valid_to)!.slice(0, 10)}${reason ? ` (${reason})` : ''}`;
  return notifyGrantsEnded(tx, end.user_id, grants, {
    topic: 'employment.ended',
    endReason: EMPLOYMENT_ENDED,
    why: `Your employment ended on ${when}.`,
    whyForIssuer: (name) => `${name}'s employment ended on ${when}.`,
    personSubject: 'Your access has ended',
    issuerSubject: (name) => `Grants ended: ${name} left their employer`,
  });
}

/**
 * Applies every employment end that has come by `now` and is not applied yet, in batches of one
 * transaction each, skipping rows another instance holds: each end applies exactly once. Returns how many.
 */
export async function applyDueEmploymentEnds(em: Em, now = new Date(), batch = 100): Promise<number> {
  let total = 0;
  for (;;) {
    const applied = await em.transactional(async (tx) => {
      const due = await execute<DueEnd>(tx, sql`select x.id, x.user_id, x.employer_id, x.valid_to, x.end_reason from employments x
        where x.end_applied_at is null and x.valid_to is not null and x.valid_to <= ${now.toISOString()}::timestamptz
          and not exists (select 1 from employments n where n.previous_id = x.id)
        order by x.valid_to, x.id limit ${batch} for update skip locked`);
      for (const end of due) await applyEmploymentEnd(tx, end, { userId: null, identity: EMPLOYMENT_END_ACTOR, requestId: null });
      return due.length;
    });
    total += applied;
    if (applied < batch) return total;
  }
}
