import { audit } from '../audit/audit.service.js';
import type { Em } from '../db/orm.js';
import { execute, sql } from '../db/sql.js';
import type { Actor } from '../auth/actor.js';
import { Problems } from '../domain/problems.js';
import { lockTarget } from '../domain/target.js';
import { ProblemCode } from '../domain/errors.js';
import { routineInForceFor } from '../routines/routine.service.js';
import { revocationAssurance, SensitiveAction } from '../routines/routine.rules.js';
import { Grant, GrantState } from './grant.entity.js';
import { GrantRepository } from './grant.repository.js';

const iso = (d: Date | null | undefined) => d?.toISOString() ?? null;

/** The lifecycle fields of a grant, as the audit trail keeps them before and after a change. */
export const grantSnapshot = (g: Grant): Record<string, unknown> => ({
  state: g.state,
  validTo: iso(g.validTo),
  suspendedAt: iso(g.suspendedAt),
  suspendReason: g.suspendReason ?? null,
  endedAt: iso(g.endedAt),
  endReason: g.endReason ?? null,
});

/** States a grant can still be changed from; revoked and expired are final. */
const OPEN = [GrantState.ACTIVE, GrantState.SUSPENDED];

interface Change {
  action: string;
  /** The routine's assurance action for this change (revocations: as strong as ordering, see revocationAssurance). */
  revocation?: boolean;
  /** States the change may start from. */
  from: GrantState[];
  verb: string;
  reason: string | null;
  apply: (grant: Grant, now: Date) => void;
}

/** A grant in force (active or suspended) of a role, held by one of the people asked about. */
export interface HeldGrant {
  id: string;
  userId: string;
  scopeId: string;
}

/**
 * The grants of a role the people hold in force over any part of a period, optionally in one scope:
 * what one-grant-in-force (the grants_one_in_force constraint) would refuse a new grant beside. Not scoped.
 */
export async function grantsInForce(em: Em, q: { userIds: string[]; roleId: string; scopeId?: string; validFrom: Date; validTo: Date | null }): Promise<HeldGrant[]> {
  if (q.userIds.length === 0) return [];
  const rows = await execute<{ id: string; user_id: string; scope_id: string }>(
    em,
    sql`select id, user_id, scope_id from grants where user_id in (${q.userIds}) and role_id = ${q.roleId}
      ${q.scopeId ? sql`and scope_id = ${q.scopeId}` : sql``} and state in ('active', 'suspended')
      and tstzrange(valid_from, valid_to) && tstzrange(${q.validFrom}::timestamptz, ${q.validTo}::timestamptz)`,
  );
  return rows.map((r) => ({ id: r.id, userId: r.user_id, scopeId: r.scope_id }));
}

/**
 * Grants over time: revoked, suspended and resumed, renewed. Only the administrators of the holder's
 * responsible issuer for the grant's service change a grant; each change is one transaction with the
 * grant's row locked and one audit event.
 */
export class GrantService {
  constructor(private readonly actor: Actor) {}

  revoke(id: string, reason: string): Promise<Grant> {
    const why = Problems.reason(reason);
    return this.change(id, {
      action: 'grant.revoke',
      revocation: true,
      from: OPEN,
      verb: 'revoked',
      reason: why,
      apply: (g, now) => {
        g.state = GrantState.REVOKED;
        g.endedAt = now;
        g.endReason = why;
        // suspendedAt stays: a grant revoked while suspended was suspended until it ended, and reports as of a past date read that.
      },
    });
  }

  suspend(id: string, reason: string): Promise<Grant> {
    const why = Problems.reason(reason);
    return this.change(id, {
      action: 'grant.suspend',
      from: [GrantState.ACTIVE],
      verb: 'suspended',
      reason: why,
      apply: (g, now) => {
        g.state = GrantState.SUSPENDED;
        g.suspendedAt = now;
        g.suspendReason = why;
      },
    });
  }

  resume(id: string, reason: string): Promise<Grant> {
    const why = Problems.reason(reason);
    return this.change(id, {
      action: 'grant.resume',
      from: [GrantState.SUSPENDED],
      verb: 'resumed',
      reason: why,
      apply: (g) => {
        g.state = GrantState.ACTIVE;
        g.suspendedAt = null;
        g.suspendReason = null;
      },
    });
  }

  renew(id: string, validTo: Date): Promise<Grant> {
    return this.change(id, {
      action: 'grant.renew',
      from: OPEN,
      verb: 'renewed',
      reason: null,
      apply: (g, now) => {
        const field = ['input', 'validTo'];
        if (validTo.getTime() <= now.getTime()) throw Problems.single(ProblemCode.DATE_ORDER, field, 'The new validTo must be in the future.');
        if (validTo.getTime() <= g.validFrom.getTime()) throw Problems.single(ProblemCode.DATE_ORDER, field, 'The new validTo must be later than validFrom.');
        // An open-ended grant has nothing to extend: any date would shorten it.
        if (!g.validTo) throw Problems.single(ProblemCode.DATE_ORDER, field, 'The grant has no end of validity; a renewal cannot shorten it.');
        if (validTo.getTime() <= g.validTo.getTime()) throw Problems.single(ProblemCode.DATE_ORDER, field, 'The new validTo must be later than the current one.');
        g.validTo = validTo;
      },
    });
  }

  private async change(id: string, change: Change): Promise<Grant> {
    const { policy, em } = this.actor;
    policy.requireUser();
    return em.transactional(async (tx) => {
      const grant = await lockTarget({
        globalId: id,
        type: 'Grant',
        lock: (gid) => this.findChangeableForUpdate(tx, gid),
        visible: async (gid) => (await new GrantRepository(tx, policy).findVisible([gid])).length > 0,
        what: 'grant',
        forbiddenMessage: "Only the administrators of the holder's responsible issuer change a grant.",
      });
      const employerId = await this.holderEmployer(tx, grant);
      // After the scope check, so a refused step-up never tells an outsider the grant exists.
      const routine = await routineInForceFor(tx, grant.service.id, employerId);
      const rules = routine?.rules;
      policy.requireAssurance(rules && (change.revocation ? revocationAssurance(rules) : rules.assurance[SensitiveAction.GRANT_CHANGE]));

      const now = new Date();
      if (!change.from.includes(grant.state)) {
        throw Problems.single(ProblemCode.INVALID_STATE, ['id'], `A ${grant.state} grant cannot be ${change.verb}.`);
      }
      // Past validTo the grant has ended even if the expiry job has not written it down yet.
      if (grant.validTo && grant.validTo.getTime() <= now.getTime()) {
        throw Problems.single(ProblemCode.INVALID_STATE, ['id'], `The grant expired at ${grant.validTo.toISOString()} and cannot be ${change.verb}.`);
      }
      const before = grantSnapshot(grant);
      change.apply(grant, now);
      audit(tx, this.actor.viewer, this.actor.requestId, {
        action: change.action,
        targetType: 'Grant',
        targetId: grant.id,
        organisationId: employerId,
        before,
        after: grantSnapshot(grant),
        reason: change.reason,
      });
      return grant;
    });
  }

  /**
   * The grant, locked until the transaction ends, when the viewer may change it. Waiting for the lock
   * re-reads the row, so a change that committed meanwhile is seen and two changes serialize.
   */
  private async findChangeableForUpdate(tx: Em, id: string): Promise<Grant | null> {
    const [row] = await execute<Record<string, unknown>>(tx, sql`select t.* from grants t where t.id = ${id} and ${this.actor.policy.changeableGrants('t')} for update of t`);
    return row ? tx.map(Grant, row) : null;
  }

  /** The holder's employer: it picks the routine, and scopes the audit event like the grant's issue. */
  private async holderEmployer(tx: Em, grant: Grant): Promise<string> {
    const [holder] = await execute<{ employer_id: string }>(tx, sql`select employer_id from users where id = ${grant.user.id}`);
    return holder.employer_id;
  }
}
