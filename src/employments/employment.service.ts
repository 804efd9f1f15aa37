import { audit } from '../audit/audit.service.js';
import type { Actor } from '../auth/actor.js';
import type { Em } from '../db/orm.js';
import { execute, sql } from '../db/sql.js';
import { ProblemCode } from '../domain/errors.js';
import { idOfType } from '../domain/global-id.js';
import { Problems, REASON_MAX_LENGTH } from '../domain/problems.js';
import { lockTarget } from '../domain/target.js';
import { Organisation } from '../organisations/organisation.entity.js';
import { Placement, User } from '../users/user.entity.js';
import { applyMove, endOverdueReviews } from './employment-move.js';
import { userVisible } from '../users/user.service.js';
import { applyEmploymentEnd, signedInActor, type EndActor } from './employment-end.js';
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

export interface EmploymentMove {
  employerId: string;
  date: Date;
  reason: string;
}

export interface NewPlacement {
  organisationId: string;
  validFrom?: Date | null;
  validTo?: Date | null;
}

export interface PlacementEnd {
  organisationId: string;
  endDate: Date;
}

export interface Rehire {
  employerId?: string | null;
  startDate?: Date | null;
}

const NAME_MAX = 100;

/**
 * People over time: joiners and leavers. Only issuer administrators act, for people employed in
 * their domain and never for themself, and organisations' clients (SCIM), for their subtree's people; each change is one transaction with its audit events.
 */
export class EmploymentService {
  constructor(private readonly actor: Actor) {}

  /** A joiner: the person and their first employment, starting now or on `startDate`. */
  async createUser(input: NewPerson): Promise<User> {
    const { policy, em } = this.actor;
    const { userId } = policy.requirePeopleAdministrator();
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
      const [dup] = await execute<{ left: boolean }>(tx, sql`select not exists (select 1 from employments x where x.user_id = u.id and (x.valid_to is null or x.valid_to > now()))
          and exists (select 1 from employments x where x.user_id = u.id) as left
        from users u where u.employer_id = ${employer.id} and lower(u.email) = lower(${email}) limit 1`);
      if (dup?.left) throw Problems.single(ProblemCode.CONFLICT, ['input', 'email'], 'A person with this e-mail has left this organisation: rehire them (userRehire) instead of adding them again.');
      if (dup) throw Problems.single(ProblemCode.CONFLICT, ['input', 'email'], 'A person with this e-mail is already employed by this organisation.');
      return recordJoiner(tx, this.actor, { givenName, familyName, email, employerId: employer.id, startDate: input.startDate ?? this.actor.now() }, userId);
    });
  }

  /**
   * A leaver: the employment ends on `endDate`. A date that has come is applied at once with the
   * date kept; a future one is applied by the employment-end job when it comes.
   */
  async endEmployment(userGlobalId: string, input: EmploymentEnd): Promise<Employment> {
    const { policy, em } = this.actor;
    const { userId } = policy.requirePeopleAdministrator();
    return em.transactional(async (tx) => {
      const user = await this.lockAdministered(tx, userGlobalId);
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
      employment.endedBy = userId ? tx.getReference(User, userId) : null;
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
        await applyEmploymentEnd(tx, { id: employment.id, user_id: user.id, employer_id: user.employer.id, valid_to: input.endDate, end_reason: reason }, this.endActor());
        await tx.refresh(employment);
      }
      return employment;
    });
  }

  /**
   * A mover: from `date` the person is employed by another organisation. The current employment
   * ends there and a new one begins; a date that has come is applied at once with the date kept,
   * a future one by the job. What happens to grants is each service's routine rule (applyMove).
   */
  async moveEmployment(userGlobalId: string, input: EmploymentMove): Promise<Employment> {
    const { policy } = this.actor;
    // A person administrator, or an organisation's client (SCIM) within its subtree.
    const { userId } = policy.requirePeopleAdministrator();
    return this.actor.em.transactional(async (tx) => {
      const user = await this.lockAdministered(tx, userGlobalId);
      const problems = new Problems();
      const reason = problems.text(input.reason, ['input', 'reason'], REASON_MAX_LENGTH);
      const employer = await this.findEmployer(tx, input.employerId, policy.movableEmployers('e'));
      if (!employer) problems.add(ProblemCode.NOT_FOUND, ['input', 'employerId'], 'No organisation with this id in your domain.');
      else if (employer.closed) problems.add(ProblemCode.ORGANISATION_CLOSED, ['input', 'employerId'], 'The organisation is closed: it takes no new people.');
      problems.throwIfAny();
      const current = await this.currentEmployment(tx, user);
      if (!current) throw Problems.single(ProblemCode.INVALID_STATE, ['id'], 'The employment has ended or has an end date: there is nothing to move.');
      if (current.employer.id === employer!.id) throw Problems.single(ProblemCode.INVALID, ['input', 'employerId'], 'The person is already employed there.');
      if (input.date.getTime() <= current.validFrom.getTime()) {
        throw Problems.single(ProblemCode.DATE_ORDER, ['input', 'date'], 'The move must be later than the start of the current employment.');
      }
      await this.checkEmailFree(tx, employer!.id, user);
      current.validTo = input.date;
      current.endReason = reason;
      current.endedBy = userId ? tx.getReference(User, userId) : null;
      const next = tx.create(Employment, {
        user,
        employer: tx.getReference(Organisation, employer!.id),
        validFrom: input.date,
        previous: current,
        createdBy: userId ? tx.getReference(User, userId) : null,
      });
      audit(tx, this.actor.viewer, this.actor.requestId, {
        action: 'employment.move',
        targetType: 'User',
        targetId: user.id,
        organisationId: current.employer.id,
        before: { employerId: current.employer.id, employmentId: current.id },
        after: { employerId: employer!.id, employmentId: next.id, date: input.date.toISOString() },
        reason,
      });
      await tx.flush();
      if (input.date.getTime() <= this.actor.now().getTime()) {
        const by = this.endActor();
        await applyMove(tx, { id: next.id, previous_id: current.id, user_id: user.id, employer_id: employer!.id, old_employer_id: current.employer.id, valid_from: input.date }, by);
        await endOverdueReviews(tx, this.actor.now(), by, user.id);
        await tx.refresh(next);
      }
      return next;
    });
  }

  /** A rehire: a leaver starts a new employment (at their last employer unless another is named); nothing is deleted. */
  async rehire(userGlobalId: string, input: Rehire): Promise<Employment> {
    const { policy } = this.actor;
    const viewer = policy.requireUser();
    return this.actor.em.transactional(async (tx) => {
      const user = await this.lockAdministered(tx, userGlobalId);
      const employer = input.employerId
        ? await this.findEmployer(tx, input.employerId, policy.administeredEmployers('e'))
        : { id: user.employer.id, closed: Boolean((await execute<{ closed: boolean }>(tx, sql`select closed_at is not null as closed from organisations where id = ${user.employer.id}`))[0]?.closed) };
      if (!employer) throw Problems.single(ProblemCode.NOT_FOUND, ['input', 'employerId'], 'No organisation with this id in your domain.');
      if (employer.closed) throw Problems.single(ProblemCode.ORGANISATION_CLOSED, ['input', 'employerId'], 'The organisation is closed: it takes no new people. Name another employer.');
      const rows = await tx.find(Employment, { user }, { orderBy: { validFrom: 'desc' } });
      const now = this.actor.now();
      const last = rows[0];
      if (!last || rows.some((r) => r.validTo == null || r.validTo > now) || !last.endAppliedAt) {
        throw Problems.single(ProblemCode.INVALID_STATE, ['id'], 'Only a leaver, whose employment has ended, is rehired.');
      }
      const start = input.startDate ?? now;
      if (start.getTime() < last.validTo!.getTime()) {
        throw Problems.single(ProblemCode.DATE_ORDER, ['input', 'startDate'], 'The new employment cannot start before the last one ended.');
      }
      await this.checkEmailFree(tx, employer.id, user);
      await execute(tx, sql`update users set employer_id = ${employer.id}, updated_at = now() where id = ${user.id}`);
      const employment = tx.create(Employment, { user, employer: tx.getReference(Organisation, employer.id), validFrom: start, createdBy: tx.getReference(User, viewer.id) });
      audit(tx, this.actor.viewer, this.actor.requestId, {
        action: 'employment.rehire',
        targetType: 'User',
        targetId: user.id,
        organisationId: employer.id,
        before: { employerId: user.employer.id, employmentId: last.id },
        after: { employerId: employer.id, employmentId: employment.id, startDate: start.toISOString() },
      });
      return employment;
    });
  }

  /** A placement at another organisation (one the viewer may see), from a date and optionally to one. */
  async addPlacement(userGlobalId: string, input: NewPlacement): Promise<User> {
    const { policy } = this.actor;
    const viewer = policy.requireUser();
    return this.actor.em.transactional(async (tx) => {
      const user = await this.lockAdministered(tx, userGlobalId);
      const problems = new Problems();
      const organisation = await this.findEmployer(tx, input.organisationId, policy.readableOrganisations('e'));
      if (!organisation) problems.add(ProblemCode.NOT_FOUND, ['input', 'organisationId'], 'No organisation with this id.');
      else if (organisation.id === user.employer.id) problems.add(ProblemCode.INVALID, ['input', 'organisationId'], 'A person is not placed at their own employer.');
      else if (organisation.closed) problems.add(ProblemCode.ORGANISATION_CLOSED, ['input', 'organisationId'], 'The organisation is closed: nobody new is placed there.');
      const from = input.validFrom ?? this.actor.now();
      problems.period(from, input.validTo, ['input', 'validTo']);
      problems.throwIfAny();
      const [overlap] = await execute(tx, sql`select 1 from placements p where p.user_id = ${user.id} and p.organisation_id = ${organisation!.id}
        and tstzrange(p.valid_from, p.valid_to) && tstzrange(${from.toISOString()}::timestamptz, ${input.validTo?.toISOString() ?? null}::timestamptz)`);
      if (overlap) throw Problems.single(ProblemCode.CONFLICT, ['input', 'organisationId'], 'The person is already placed there for part of this period.');
      const placement = tx.create(Placement, {
        user,
        organisation: tx.getReference(Organisation, organisation!.id),
        validFrom: from,
        validTo: input.validTo ?? null,
        createdBy: tx.getReference(User, viewer.id),
      });
      audit(tx, this.actor.viewer, this.actor.requestId, {
        action: 'placement.add',
        targetType: 'User',
        targetId: user.id,
        organisationId: user.employer.id,
        after: { placementId: placement.id, organisationId: organisation!.id, validFrom: from.toISOString(), validTo: input.validTo?.toISOString() ?? null },
      });
      return user;
    });
  }

  /** Ends the person's placement at an organisation (the one in force or next to begin) on a date. */
  async endPlacement(userGlobalId: string, input: PlacementEnd): Promise<User> {
    const { policy } = this.actor;
    const viewer = policy.requireUser();
    return this.actor.em.transactional(async (tx) => {
      const user = await this.lockAdministered(tx, userGlobalId);
      const organisationId = idOfType(input.organisationId, 'Organisation');
      const [placement] = organisationId
        ? await tx.find(Placement, { user, organisation: organisationId, $or: [{ validTo: null }, { validTo: { $gt: this.actor.now() } }] }, { orderBy: { validFrom: 'asc' }, limit: 1 })
        : [];
      if (!placement) throw Problems.single(ProblemCode.NOT_FOUND, ['input', 'organisationId'], 'The person has no open placement at this organisation.');
      if (input.endDate.getTime() <= placement.validFrom.getTime()) {
        throw Problems.single(ProblemCode.DATE_ORDER, ['input', 'endDate'], 'The end date must be later than the start of the placement.');
      }
      const before = placement.validTo?.toISOString() ?? null;
      placement.validTo = input.endDate;
      placement.endedBy = tx.getReference(User, viewer.id);
      audit(tx, this.actor.viewer, this.actor.requestId, {
        action: 'placement.end',
        targetType: 'User',
        targetId: user.id,
        organisationId: user.employer.id,
        before: { placementId: placement.id, validTo: before },
        after: { placementId: placement.id, organisationId: placement.organisation.id, validTo: input.endDate.toISOString() },
      });
      return user;
    });
  }

  /** A person the viewer administers, locked; out of scope answers like an unknown id. */
  private lockAdministered(tx: Em, userGlobalId: string): Promise<User> {
    return lockTarget({
      globalId: userGlobalId,
      type: 'User',
      lock: (id) => this.findAdministeredForUpdate(tx, id),
      visible: (id) => userVisible(tx, this.actor.policy, id),
      what: 'user',
      forbiddenMessage: "Only an administrator of the person's issuer changes their employment, and never their own.",
    });
  }

  /** An organisation by global id within a scope condition on alias e; null when absent or out of it. */
  /** An organisation in scope, with whether it is closed (a closed one keeps its history and takes nobody new). */
  private async findEmployer(tx: Em, globalId: string, scope: ReturnType<Actor['policy']['administeredEmployers']>): Promise<{ id: string; closed: boolean } | null> {
    const id = idOfType(globalId, 'Organisation');
    if (!id) return null;
    const [row] = await execute<{ id: string; closed: boolean }>(tx, sql`select e.id, e.closed_at is not null as closed from organisations e where e.id = ${id} and ${scope}`);
    return row ?? null;
  }

  /** E-mail addresses are unique per employer: another person there with this one answers CONFLICT. */
  private async checkEmailFree(tx: Em, employerId: string, user: User): Promise<void> {
    if (!user.email) return;
    await execute(tx, sql`select pg_advisory_xact_lock(hashtext('employment:' || ${employerId}))`);
    const [dup] = await execute(tx, sql`select 1 from users u where u.employer_id = ${employerId} and u.id <> ${user.id} and lower(u.email) = lower(${user.email})`);
    if (dup) throw Problems.single(ProblemCode.CONFLICT, ['input', 'employerId'], 'Another person with this e-mail is employed there.');
  }

  private endActor(): EndActor {
    return signedInActor(this.actor);
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

/** A joiner already checked: the person, their first employment and the audit event, in the caller's transaction. */
export function recordJoiner(tx: Em, actor: Actor, person: NewPerson & { startDate: Date }, by: string | null): User {
  const { givenName, familyName, email, employerId, startDate } = person;
  const user = tx.create(User, { employer: tx.getReference(Organisation, employerId), givenName, familyName, email });
  const employment = tx.create(Employment, { user, employer: tx.getReference(Organisation, employerId), validFrom: startDate, createdBy: by ? tx.getReference(User, by) : null });
  audit(tx, actor.viewer, actor.requestId, {
    action: 'user.create',
    targetType: 'User',
    targetId: user.id,
    organisationId: employerId,
    after: { givenName, familyName, email, employerId, startDate: startDate.toISOString(), employmentId: employment.id },
  });
  return user;
}

/** A person's employments, newest first, for people the caller has already found in scope. */
export async function employmentsOf(em: Em, userIds: string[]): Promise<Map<string, Employment[]>> {
  const rows = userIds.length ? await em.find(Employment, { user: { $in: userIds } }, { orderBy: { validFrom: 'desc', id: 'desc' } }) : [];
  const byUser = new Map<string, Employment[]>(userIds.map((id) => [id, []]));
  for (const r of rows) byUser.get(r.user.id)?.push(r);
  return byUser;
}
