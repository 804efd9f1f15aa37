import { audit } from '../audit/audit.service.js';
import type { Actor } from '../auth/actor.js';
import { problem, ProblemCode, ProblemsFound } from '../domain/errors.js';
import { Problems } from '../domain/problems.js';
import type { User } from './user.entity.js';
import type { Policy } from '../auth/policy.js';
import type { Em } from '../db/orm.js';
import type { Sql } from '../db/sql.js';
export type { StaffListPlan } from './user.repository.js';
import { type PeopleList, type UserFilter, UserRepository, type UserRepositoryOptions } from './user.repository.js';

export interface ContactChange {
  email?: string | null;
  phone?: string | null;
}

/** A change of the person's own data: contact details and, from provisioning (SCIM), names. */
export interface PersonChange extends ContactChange {
  givenName?: string;
  familyName?: string;
}

/** Rules about people: who may change what, and the audit of each change. */
export class UserService {
  constructor(private readonly actor: Actor) {}

  /** Changes a user's contact data; unknown and out-of-scope ids are both "not found". */
  updateContact(userId: string | null, change: ContactChange): Promise<User> {
    this.actor.policy.requireUser();
    return this.update(userId, change);
  }

  /** Changes a person's names and contact data for an organisation's client (SCIM PUT and PATCH), like updateContact. */
  updatePerson(userId: string | null, change: PersonChange): Promise<User> {
    this.actor.policy.requirePeopleAdministrator();
    const problems = new Problems();
    if (change.givenName !== undefined) change = { ...change, givenName: problems.text(change.givenName, ['givenName'], 100) };
    if (change.familyName !== undefined) change = { ...change, familyName: problems.text(change.familyName, ['familyName'], 100) };
    problems.throwIfAny();
    return this.update(userId, change);
  }

  private async update(userId: string | null, change: PersonChange): Promise<User> {
    return this.actor.em.transactional(async (em) => {
      const user = userId ? await new UserRepository(em, this.actor.policy).findWritableForUpdate(userId) : null;
      if (!user) throw new ProblemsFound([problem(ProblemCode.NOT_FOUND, ['id'], 'No user with this id.')]);
      const before: Record<string, unknown> = {};
      const after: Record<string, unknown> = {};
      for (const field of ['givenName', 'familyName', 'email', 'phone'] as const) {
        const value = change[field];
        if (value === undefined || value === user[field]) continue;
        before[field] = user[field];
        after[field] = value;
        Object.assign(user, { [field]: value });
      }
      if (Object.keys(after).length > 0) {
        audit(em, this.actor.viewer, this.actor.requestId, {
          action: 'givenName' in after || 'familyName' in after ? 'user.update' : 'user.contactUpdate',
          targetType: 'User',
          targetId: user.id,
          organisationId: user.employer.id,
          before,
          after,
        });
      }
      return user;
    });
  }
}

/**
 * The people the viewer may see, by name, narrowed to a subtree and by `only` (a condition on the
 * person, alias t): the staff list's own scope and plans, for other concepts' lists of people.
 */
export function staffList(em: Em, policy: Policy, filter: UserFilter, only?: Sql, options: UserRepositoryOptions = {}): PeopleList {
  return new UserRepository(em, policy, options).staff(filter, only);
}

/** Whether the viewer may see this person: for other concepts telling "forbidden" from "not found". */
export async function userVisible(em: Em, policy: Policy, id: string): Promise<boolean> {
  return (await new UserRepository(em, policy).findVisible([id])).length > 0;
}
