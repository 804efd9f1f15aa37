import { audit } from '../audit/audit.service.js';
import type { Actor } from '../auth/actor.js';
import type { Em } from '../db/orm.js';
import { countRows, fetchPage } from '../db/paginate.js';
import type { Page, PageRequest } from '../db/paging.js';
import { and, execute, sql } from '../db/sql.js';
import { ProblemCode } from '../domain/errors.js';
import { Problems } from '../domain/problems.js';
import { lockTarget } from '../domain/target.js';
import { revocationAssurance } from '../routines/routine.rules.js';
import { routineInForceFor } from '../routines/routine.service.js';
import { User } from '../users/user.entity.js';
import { notifyGrantsEnded, signedInActor } from './employment-end.js';
import { endGrants, MOVE_NOT_CONFIRMED, reviewNotice } from './employment-move.js';
import { GrantReview, GrantReviewState } from './employment.entity.js';

/**
 * Grants kept through a move pending the new responsible issuer: its administrators for the
 * service list them, confirm them (the grant stays) or end them; the job ends the rest at the deadline.
 */
export class GrantReviewService {
  constructor(private readonly actor: Actor) {}

  private listQuery(state: GrantReviewState | null) {
    const where = and([this.actor.policy.decidableGrantReviews('t'), state ? sql`t.state = ${state}` : sql`true`]);
    return { from: sql`grant_reviews t`, where, keys: ['t.created_at', 't.id'] };
  }

  page(state: GrantReviewState | null, request: PageRequest): Promise<Page<GrantReview>> {
    return fetchPage(this.actor.em, GrantReview, this.listQuery(state), request);
  }

  count(state: GrantReviewState | null): Promise<number> {
    return countRows(this.actor.em, this.listQuery(state));
  }

  /** The reviews with these ids that the viewer decides; the others are absent. */
  async findVisible(ids: string[]): Promise<GrantReview[]> {
    if (ids.length === 0) return [];
    const rows = await execute<Record<string, unknown>>(this.actor.em, sql`select t.* from grant_reviews t where t.id in (${ids}) and ${this.actor.policy.decidableGrantReviews('t')}`);
    return rows.map((r) => this.actor.em.map(GrantReview, r));
  }

  /** The new issuer keeps the grant: it stays as it is, and the review is closed. */
  confirm(globalId: string): Promise<GrantReview> {
    return this.decide(globalId, GrantReviewState.CONFIRMED, null, async () => {});
  }

  /** The new issuer does not keep the grant: it ends now (MOVE_NOT_CONFIRMED), and the person and the issuer are told. */
  end(globalId: string, reasonText: string): Promise<GrantReview> {
    const reason = Problems.reason(reasonText);
    return this.decide(globalId, GrantReviewState.ENDED, reason, async (tx, review) => {
      const ended = await endGrants(tx, [review.grant.id], this.actor.now().toISOString(), MOVE_NOT_CONFIRMED, review.issuer.id, signedInActor(this.actor));
      await notifyGrantsEnded(tx, review.user.id, ended.map((g) => ({ ...g, issued_by_id: review.issuer.id })), reviewNotice(`the new issuer ended it (${reason})`));
    });
  }

  /** Closes a pending review of a grant still in force as `state`, with its audit event, then does what the decision means. */
  private decide(globalId: string, state: GrantReviewState, reason: string | null, work: (tx: Em, review: GrantReview) => Promise<void>): Promise<GrantReview> {
    const viewer = this.actor.policy.requireUser();
    return this.actor.em.transactional(async (tx) => {
      const review = await lockTarget({
        globalId,
        type: 'GrantReview',
        lock: async (id) => {
          const [row] = await execute<Record<string, unknown>>(tx, sql`select t.* from grant_reviews t where t.id = ${id} and ${this.actor.policy.decidableGrantReviews('t')} for update of t`);
          return row ? tx.map(GrantReview, row) : null;
        },
        visible: async () => false,
        what: 'grant review',
        forbiddenMessage: '',
      });
      if (review.state !== GrantReviewState.PENDING) throw Problems.single(ProblemCode.INVALID_STATE, ['id'], 'The review has already been decided.');
      const [grant] = await execute<{ state: string }>(tx, sql`select state from grants where id = ${review.grant.id} for update`);
      if (!grant || !['active', 'suspended'].includes(grant.state)) throw Problems.single(ProblemCode.INVALID_STATE, ['id'], 'The grant has already ended.');
      if (state === GrantReviewState.ENDED) {
        const rules = (await routineInForceFor(tx, review.service.id, review.issuer.id))?.rules;
        if (rules) this.actor.policy.requireAssurance(revocationAssurance(rules));
      }
      review.state = state;
      review.reason = reason;
      review.decidedBy = tx.getReference(User, viewer.id);
      review.decidedAt = this.actor.now();
      audit(tx, this.actor.viewer, this.actor.requestId, {
        action: state === GrantReviewState.CONFIRMED ? 'grantReview.confirm' : 'grantReview.end',
        targetType: 'Grant',
        targetId: review.grant.id,
        organisationId: review.issuer.id,
        before: { reviewId: review.id, state: GrantReviewState.PENDING },
        after: { reviewId: review.id, state },
        reason,
      });
      await tx.flush();
      await work(tx, review);
      return review;
    });
  }
}
