import { audit } from '../audit/audit.service.js';
import type { Em } from '../db/orm.js';
import { execute, sql } from '../db/sql.js';
import type { Context } from '../graphql/context.js';
import { Problems } from '../graphql/problems.js';
import { lockTarget } from '../graphql/target.js';
import { UserErrorCode } from '../graphql/user-errors.js';
import { RoutineRepository } from '../routines/routine.repository.js';
import { SensitiveAction } from '../routines/routine.rules.js';
import { Grant, GrantState } from './grant.entity.js';
import { GrantRepository } from './grant.repository.js';

const snapshot = (g: Grant) => ({ state: g.state, validTo: g.validTo?.toISOString() ?? null, suspendedAt: g.suspendedAt?.toISOString() ?? null, endedAt: g.endedAt?.toISOString() ?? null });

/** Grants over time: revoked, suspended and resumed, renewed, by the holder's responsible issuer. */
export class GrantService {
  constructor(private readonly ctx: Context) {}

  revoke(id: string, reason: string): Promise<Grant> {
    const why = this.reason(reason);
    return this.change(id, 'grant.revoke', why, (g) => {
      this.allowFrom(g, [GrantState.ACTIVE, GrantState.SUSPENDED], 'revoked');
      g.state = GrantState.REVOKED;
      g.endedAt = new Date();
      g.endReason = why;
    });
  }

  suspend(id: string, reason: string): Promise<Grant> {
    const why = this.reason(reason);
    return this.change(id, 'grant.suspend', why, (g) => {
      this.allowFrom(g, [GrantState.ACTIVE], 'suspended');
      g.state = GrantState.SUSPENDED;
      g.suspendedAt = new Date();
      g.suspendReason = why;
    });
  }

  resume(id: string, reason: string): Promise<Grant> {
    const why = this.reason(reason);
    return this.change(id, 'grant.resume', why, (g) => {
      this.allowFrom(g, [GrantState.SUSPENDED], 'resumed');
      g.state = GrantState.ACTIVE;
      g.suspendedAt = null;
      g.suspendReason = null;
    });
  }

  renew(id: string, validTo: Date): Promise<Grant> {
    return this.change(id, 'grant.renew', null, (g) => {
      this.allowFrom(g, [GrantState.ACTIVE, GrantState.SUSPENDED], 'renewed');
      if (validTo.getTime() <= Date.now() || validTo <= g.validFrom || (g.validTo && validTo <= g.validTo)) {
        throw Problems.single(UserErrorCode.DATE_ORDER, ['input', 'validTo'], 'The new validTo must be in the future and later than the current one.');
      }
      g.validTo = validTo;
    });
  }

  private reason(reason: string): string {
    const problems = new Problems();
    const why = problems.text(reason, ['input', 'reason'], 2000);
    problems.throwIfAny();
    return why;
  }

  private allowFrom(g: Grant, states: GrantState[], verb: string): void {
    if (!states.includes(g.state)) throw Problems.single(UserErrorCode.INVALID_STATE, ['id'], `A ${g.state} grant cannot be ${verb}.`);
  }

  private async change(id: string, action: string, reason: string | null, apply: (g: Grant) => void): Promise<Grant> {
    const { policy, em } = this.ctx;
    policy.requireUser();
    return em.transactional(async (tx) => {
      const grant = await lockTarget({
        globalId: id,
        type: 'Grant',
        lock: async (gid) => {
          const [row] = await execute(tx, sql`select t.* from grants t where t.id = ${gid} and ${policy.changeableGrants('t')} for update`);
          return row ? tx.map(Grant, row) : null;
        },
        visible: async (gid) => (await new GrantRepository(tx, policy).findVisible([gid])).length > 0,
        what: 'grant',
        forbiddenMessage: "Only the holder's responsible issuer changes a grant.",
      });
      await this.requireAssurance(tx, grant);
      const before = snapshot(grant);
      apply(grant);
      audit(tx, this.ctx.viewer, this.ctx.requestId, { action, targetType: 'Grant', targetId: grant.id, organisationId: grant.scope.id, before, after: snapshot(grant), reason });
      return grant;
    });
  }

  private async requireAssurance(tx: Em, grant: Grant): Promise<void> {
    const [holder] = await execute<{ employer_id: string }>(tx, sql`select employer_id from users where id = ${grant.user.id}`);
    const routine = await new RoutineRepository(tx).inForceForOrganisation(grant.service.id, holder.employer_id);
    this.ctx.policy.requireAssurance(routine?.rules.assurance[SensitiveAction.GRANT_CHANGE]);
  }
}
