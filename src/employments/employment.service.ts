import { audit } from '../audit/audit.service.js';
import type { Actor } from '../auth/actor.js';
import type { Em } from '../db/orm.js';
import { execute, sql } from '../db/sql.js';
import { ProblemCode } from '../domain/errors.js';
import { idOfType } from '../domain/global-id.js';
import { Problems, REASON_MAX_LENGTH } from '../domain/problems.js';
import { lockTarget } from '../domain/target.js';
import { Organisation } from '../organisations/organisation.entity.js';
import { User } from '../users/user.entity.js';
import { userVisible } from '../users/user.service.js';
import { applyEmploymentEnd } from './employment-end.js';
import { Employment } from './employment.entity.js';

export interface NewPerson {
  givenName: string;
  familyName: string;
  email: string;
  employerId: string;
  startDate?: Date | null;
}

export interface EmploymentEnd {
  endDate: Date;
  reason: string;
}

const NAME_MAX = 100;

/**
 * People over time: joiners and leavers. Only issuer administrators act, for people employed in
 * their domain and never for themself; each change is one transaction with its audit events.
 */
export class EmploymentService {
  constructor(private readonly actor: Actor) {}

  /** A joiner: the person and their first employment, starting now or on `startDate`. */
  async createUser(input: NewPerson): Promise<User> {
    const { policy, em } = this.actor;
    const viewer = policy.requireUser();
    return em.transactional(async (tx) => {
      const problems = new Problems();
      const givenName = problems.text(input.givenName, ['input', 'givenName'], NAME_MAX);
      const familyName = problems.text(input.familyName, ['input', 'familyName'], NAME_MAX);
      const email = input.email.trim();
      const employerId = idOfType(input.employerId, 'Organisation');
      // Out of the viewer's domain answers like an organisation that does not exist.
      const [employer] = employerId
        ? await execute<{ id: string; closed_at: Date | null }>(tx, sql`select e.id, e.closed_at from organisations e where e.id = ${employerId} and ${policy.administeredEmployers('e')}`)
        : [];
      if (!employer) problems.add(ProblemCode.NOT_FOUND, ['input', 'employerId'], 'No organisation with this id in your domain.');
      else if (employer.closed_at) problems.add(ProblemCode.ORGANISATION_CLOSED, ['input', 'employerId'], 'The organisation is closed: it takes no new people.');
      problems.throwIfAny();
      // Serializes joiners of one employer, so two concurrent adds of one e-mail cannot both pass.
      await execute(tx, sql`select pg_advisory_xact_lock(hashtext('employment:' || ${employer.id}))`);
      const [dup] = await execute(tx, sql`select 1 from users u where u.employer_id = ${employer.id} and lower(u.email) = lower(${email})`);
      if (dup) throw Problems.single(ProblemCode.CONFLICT, ['input', 'email'], 'A person with this e-mail is already employed by this organisation.');
      const start = input.startDate ?? this.actor.now();
      const user = tx.create(User, { employer: tx.getReference(Organisation, employer.id), givenName, familyName, email });
      const employment = tx.create(Employment, { user, employer: tx.getReference(Organisation, employer.id), validFrom: start, createdBy: tx.getReference(User, viewer.id) });
      audit(tx, this.actor.viewer, this.actor.requestId, {
        action: 'user.create',
        targetType: 'User',
        targetId: user.id,
        organisationId: employer.id,
        after: { givenName, familyName, email, employerId: employer.id, startDate: start.toISOString(), employmentId: employment.id },
      });
      return user;
    });
  }

  /**
   * A leaver: the employment ends on `endDate`. A date that has come is applied at once with the
   * date kept; a future one is applied by the employment-end job when it comes.
   */
  async endEmployment(userGlobalId: string, input: EmploymentEnd): Promise<Employment> {
    const { policy, em } = this.actor;
    const viewer = policy.requireUser();
    return em.transactional(async (tx) => {
      const user = await lockTarget({
        globalId: userGlobalId,
        type: 'User',
        lock: (id) => this.findAdministeredForUpdate(tx, id),
        visible: (id) => userVisible(tx, policy, id),
        what: 'user',
        forbiddenMessage: "Only an administrator of the person's issuer ends their employment, and never their own.",
      });
      const problems = new Problems();
      const reason = problems.text(input.reason, ['input', 'reason'], REASON_MAX_LENGTH);
      problems.throwIfAny();
      const employment = await this.currentEmployment(tx, user);
      if (!employment) throw Problems.single(ProblemCode.INVALID_STATE, ['id'], 'The employment has already ended or has an end date.');
      if (input.endDate.getTime() <= employment.validFrom.getTime()) {
        throw Problems.single(ProblemCode.DATE_ORDER, ['input', 'endDate'], 'The end date must be later than the start of the employment.');
      }
      employment.validTo = input.endDate;
      employment.endReason = reason;
      employment.endedBy = tx.getReference(User, viewer.id);
      audit(tx, this.actor.viewer, this.actor.requestId, {
        action: 'employment.end',
        targetType: 'User',
        targetId: user.id,
        organisationId: user.employer.id,
        before: { validTo: null },
        after: { employmentId: employment.id, validTo: input.endDate.toISOString() },
        reason,
      });
      await tx.flush();
      if (input.endDate.getTime() <= this.actor.now().getTime()) {
        const identity = this.actor.viewer.identity;
        await applyEmploymentEnd(tx, { id: employment.id, user_id: user.id, employer_id: user.employer.id, valid_to: input.endDate, end_reason: reason }, {
          userId: viewer.id,
          identity: identity ? `${identity.issuer}#${identity.subject}` : null,
          requestId: this.actor.requestId,
        });
        await tx.refresh(employment);
      }
      return employment;
    });
  }

  /**
   * The open employment (no end date yet). People recorded before employments were kept have none:
   * theirs is made on the spot, from when they were recorded.
   */
  private async currentEmployment(tx: Em, user: User): Promise<Employment | null> {
    const rows = await tx.find(Employment, { user }, { orderBy: { validFrom: 'desc' } });
    if (rows.length === 0) return tx.create(Employment, { user, employer: user.employer, validFrom: user.createdAt });
    return rows.find((r) => r.validTo === null) ?? null;
  }

  private async findAdministeredForUpdate(tx: Em, id: string): Promise<User | null> {
    const [row] = await execute<Record<string, unknown>>(tx, sql`select u.* from users u where u.id = ${id} and ${this.actor.policy.administeredPeople('u')} for update of u`);
    return row ? tx.map(User, row) : null;
  }
}

/** A person's employments, newest first, for people the caller has already found in scope. */
export async function employmentsOf(em: Em, userIds: string[]): Promise<Map<string, Employment[]>> {
  const rows = userIds.length ? await em.find(Employment, { user: { $in: userIds } }, { orderBy: { validFrom: 'desc', id: 'desc' } }) : [];
  const byUser = new Map<string, Employment[]>(userIds.map((id) => [id, []]));
  for (const r of rows) byUser.get(r.user.id)?.push(r);
  return byUser;
}
