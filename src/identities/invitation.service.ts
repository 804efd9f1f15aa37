import { createHash, randomBytes } from 'node:crypto';
import { audit } from '../audit/audit.service.js';
import { AuditEvent } from '../audit/audit-event.entity.js';
import type { Actor } from '../auth/actor.js';
import type { VerifiedIdentity } from '../auth/token-verifier.js';
import { AccessDenied, ProblemCode } from '../domain/errors.js';
import { Problems } from '../domain/problems.js';
import { lockTarget } from '../domain/target.js';
import type { Em } from '../db/orm.js';
import { uuidv7 } from '../db/ids.js';
import { execute, sql } from '../db/sql.js';
import { enqueueEmail } from '../notifications/outbox.js';
import { User } from '../users/user.entity.js';
import { userVisible } from '../users/user.service.js';
import { Invitation } from './invitation.entity.js';

/** How long an invitation code may be presented. */
export const INVITATION_TTL_MS = 14 * 86_400_000;

/** Codes are 80 random bits, written as 16 letters and digits in groups of four. */
const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

function newCode(): string {
  const bytes = randomBytes(16);
  const chars = [...bytes].map((b) => ALPHABET[b % ALPHABET.length]);
  return [0, 4, 8, 12].map((i) => chars.slice(i, i + 4).join('')).join('-');
}

/** Codes are compared as typed without spaces, dashes or case: only their hash is stored. */
export function hashCode(code: string): string {
  return createHash('sha256').update(code.replace(/[\s-]/g, '').toUpperCase()).digest('hex');
}

const subjectOf = (identity: VerifiedIdentity) => `${identity.issuer}#${identity.subject}`;

/**
 * The first sign-in of a joiner an administrator added: a token whose e-mail and employer
 * registration number (of the employer's legal entity) match exactly one such person, who has no
 * identity yet, binds it. Returns whether it bound one. Safe to race: (issuer, subject) is unique.
 */
export async function bindOnFirstSignIn(em: Em, identity: VerifiedIdentity): Promise<boolean> {
  if (!identity.email || !identity.registrationNumber) return false;
  return em.transactional(async (tx) => {
    const matches = await execute<{ id: string; employer_id: string }>(
      tx,
      sql`select u.id, u.employer_id from users u
        join organisations e on e.id = u.employer_id join organisations le on le.id = coalesce(e.legal_entity_id, e.id)
        where lower(u.email) = lower(${identity.email}) and le.registration_number = ${identity.registrationNumber}
          and not exists (select 1 from federated_identities f where f.user_id = u.id)
          and exists (select 1 from employments x where x.user_id = u.id and x.created_by_id is not null)
        limit 2`,
    );
    // Two people of one legal entity with this e-mail: the token cannot say which; an invitation code can.
    if (matches.length !== 1) return false;
    const [user] = matches;
    const bound = await insertIdentity(tx, user.id, identity);
    if (bound) {
      tx.create(AuditEvent, { actor: user.id, actorIdentity: subjectOf(identity), action: 'identity.bind', targetType: 'User', targetId: user.id, organisation: user.employer_id,
        after: { issuer: identity.issuer, subject: identity.subject, by: 'token' } });
    }
    return bound;
  });
}

async function insertIdentity(tx: Em, userId: string, identity: VerifiedIdentity): Promise<boolean> {
  const rows = await execute(tx, sql`insert into federated_identities (id, user_id, issuer, subject, registration_number, assurance_level, created_at, last_sign_in_at)
    values (${uuidv7()}, ${userId}, ${identity.issuer}, ${identity.subject}, ${identity.registrationNumber}, ${identity.assuranceLevel}, now(), now())
    on conflict (issuer, subject) do nothing returning id`);
  return rows.length === 1;
}

/** Invitation codes: an administrator sends one to a joiner; the joiner, signed in, presents it once. */
export class InvitationService {
  constructor(private readonly actor: Actor) {}

  /** Mails a new code to the person (any earlier unused one stops working); returns when it expires. */
  async send(userGlobalId: string): Promise<{ user: User; expiresAt: Date }> {
    const { policy } = this.actor;
    const viewer = policy.requireUser();
    return this.actor.em.transactional(async (tx) => {
      const user = await lockTarget({
        globalId: userGlobalId,
        type: 'User',
        lock: async (id) => {
          const [row] = await execute<Record<string, unknown>>(tx, sql`select u.* from users u where u.id = ${id} and ${policy.administeredPeople('u')} for update of u`);
          return row ? tx.map(User, row) : null;
        },
        visible: (id) => userVisible(tx, policy, id),
        what: 'user',
        forbiddenMessage: "Only an administrator of the person's issuer invites them, and never themself.",
      });
      if (!user.email) throw Problems.single(ProblemCode.REQUIRED, ['id'], 'The person has no e-mail address to send the code to.');
      const [bound] = await execute(tx, sql`select 1 from federated_identities where user_id = ${user.id}`);
      if (bound) throw Problems.single(ProblemCode.INVALID_STATE, ['id'], 'The person already signs in: their identity is bound.');
      const now = this.actor.now();
      await execute(tx, sql`update invitations set expires_at = ${now.toISOString()}::timestamptz where user_id = ${user.id} and used_at is null and expires_at > ${now.toISOString()}::timestamptz`);
      const code = newCode();
      const expiresAt = new Date(now.getTime() + INVITATION_TTL_MS);
      const invitation = tx.create(Invitation, { user, codeHash: hashCode(code), expiresAt, createdBy: tx.getReference(User, viewer.id) });
      enqueueEmail(tx, {
        recipient: user.email,
        subject: 'Your invitation to sign in',
        topic: 'identity.invitation',
        body: `Sign in with your business e-ID and enter this one-time code: ${code}\nIt works once, until ${expiresAt.toISOString().slice(0, 10)}.\n`,
      });
      audit(tx, this.actor.viewer, this.actor.requestId, {
        action: 'user.invite',
        targetType: 'User',
        targetId: user.id,
        organisationId: user.employer.id,
        after: { invitationId: invitation.id, expiresAt: expiresAt.toISOString() },
      });
      return { user, expiresAt };
    });
  }

  /** The signed-in, not yet bound sign-in presents a code: it binds to the invited person, once. */
  async redeem(code: string): Promise<User> {
    const identity = this.actor.viewer.identity;
    if (!identity) throw AccessDenied.unauthenticated();
    if (this.actor.viewer.user) throw Problems.single(ProblemCode.INVALID_STATE, null, 'This sign-in is already bound to a person.');
    return this.actor.em.transactional(async (tx) => {
      const now = this.actor.now().toISOString();
      const [invitation] = await execute<{ id: string; user_id: string }>(tx, sql`select i.id, i.user_id from invitations i
        where i.code_hash = ${hashCode(code)} and i.used_at is null and i.expires_at > ${now}::timestamptz for update`);
      // Wrong, expired and used codes answer alike: nothing tells a guesser which.
      if (!invitation) throw Problems.single(ProblemCode.INVALID, ['input', 'code'], 'This code is not valid: it may be mistyped, expired or already used.');
      await execute(tx, sql`update invitations set used_at = ${now}::timestamptz where id = ${invitation.id}`);
      if (!(await insertIdentity(tx, invitation.user_id, identity))) throw Problems.single(ProblemCode.INVALID_STATE, null, 'This sign-in is already bound to a person.');
      const user = await tx.findOneOrFail(User, invitation.user_id);
      audit(tx, this.actor.viewer, this.actor.requestId, {
        action: 'identity.bind',
        actorId: user.id,
        targetType: 'User',
        targetId: user.id,
        organisationId: user.employer.id,
        after: { issuer: identity.issuer, subject: identity.subject, by: 'invitation', invitationId: invitation.id },
      });
      return user;
    });
  }
}
