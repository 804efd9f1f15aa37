import { LockMode } from '@mikro-orm/core';
import { audit } from '../audit/audit.service.js';
import type { Em } from '../db/orm.js';
import { execute, sql } from '../db/sql.js';
import { storeDocument } from '../documents/document.service.js';
import type { Actor } from '../auth/actor.js';
import type { VerifiedIdentity } from '../auth/token-verifier.js';
import type { ViewerUser } from '../auth/viewer.js';
import type { UploadLimits } from '../documents/document.service.js';
import { idOfType } from '../domain/global-id.js';
import { Problems } from '../domain/problems.js';
import { AccessDenied, ProblemCode } from '../domain/errors.js';
import { FederatedIdentity } from '../identities/federated-identity.entity.js';
import { responsibleIssuers } from '../issuers/issuer-mandate.service.js';
import { Organisation, type OrganisationKind } from '../organisations/organisation.entity.js';
import { refuseIfClosed } from '../organisations/organisation.service.js';
import type { ServiceRole } from '../services/service.entity.js';
import type { Routine } from '../routines/routine.entity.js';
import { routineInForce } from '../routines/routine.service.js';
import { Decider, SensitiveAction, type RoutineRules } from '../routines/routine.rules.js';
import { ProfileState, User } from '../users/user.entity.js';
import { Order, OrderAttachment, OrderEvent, OrderKind, OrderState } from './order.entity.js';
import { checkAttachments, readContactDetails, type ContactDetails } from './order.rules.js';
import { grantsInForce } from '../grants/grant.service.js';
import { duplicateGrantMessage, OrderService, roleHoldersIn, type OrderTerms, type Terms } from './order.service.js';

/** The one answer for an organisation the e-ID does not name, whether it exists or not. */
const NOT_YOURS = 'Your e-ID names no organisation with this id (see selfRegistrationOrganisations).';

export interface SelfRegistrationInput extends OrderTerms {
  organisation: string;
  givenName: string;
  familyName: string;
  email: string;
  phone: string;
}

/**
 * VIAS-style self-registration: a person signs in with a business e-ID naming their employer's
 * registration number, and asks for a role under the supplier that issued it.
 */
export class SelfRegistrationService {
  constructor(
    private readonly actor: Actor,
    private readonly uploads: UploadLimits,
  ) {}

  /** Organisations the signed-in e-ID may register under: those of the legal entity its registration number names. */
  async organisationsForIdentity(): Promise<Organisation[]> {
    const number = this.actor.viewer.identity?.registrationNumber;
    if (!number) return [];
    const rows = await execute(
      this.actor.em,
      sql`select o.* from organisations o join organisations le on le.id = coalesce(o.legal_entity_id, o.id)
        where le.registration_number = ${number} order by o.path`,
    );
    return rows.map((r) => this.actor.em.map(Organisation, r));
  }

  /**
   * Where a role's quota stands for the viewer's own organisation before they ask: the legal entity
   * their e-ID names (a registrant), else their employer's. Null without one, or when the routine in
   * force there sets no quota for the role.
   */
  async quotaOfOwnOrganisation(role: ServiceRole): Promise<{ limit: number; used: number } | null> {
    const { em, viewer } = this.actor;
    const number = viewer.identity?.registrationNumber;
    const [entity] = number
      ? await execute<{ id: string; kind: string }>(em, sql`select le.id, le.kind from organisations o join organisations le on le.id = coalesce(o.legal_entity_id, o.id) where o.registration_number = ${number} limit 1`)
      : viewer.user
        ? await execute<{ id: string; kind: string }>(
            em,
            sql`select le.id, le.kind from users u join organisations e on e.id = u.employer_id join organisations le on le.id = coalesce(e.legal_entity_id, e.id) where u.id = ${viewer.user.id}`,
          )
        : [];
    if (!entity) return null;
    const routine = await routineInForce(em, role.service.id, entity.kind as OrganisationKind);
    const limit = routine?.rules.roles[role.code]?.quotaPerOrganisation;
    if (limit === null || limit === undefined) return null;
    return { limit, used: await roleHoldersIn(em, role.id, entity.id) };
  }

  /** A person asks for a role with their business e-ID; someone new to the hub becomes a user with it. */
  async submit(input: SelfRegistrationInput): Promise<Order> {
    const identity = this.actor.viewer.identity;
    if (!identity) throw AccessDenied.unauthenticated('Sign in with your business e-ID to register.');
    const problems = new Problems();
    const contact = readContactDetails(input, problems);
    const terms = await new OrderService(this.actor, this.uploads).readTerms(input, problems);

    return this.actor.em.transactional(async (tx) => {
      const { organisation, kind, entityPath } = await this.organisationOfEId(tx, input.organisation, identity.registrationNumber);
      refuseIfClosed(organisation, ['input', 'organisation']);
      if (!terms) problems.throwIfAny();
      const t = terms!;
      const routine = await this.selfRegistrationRoutine(tx, t, kind);
      this.checkRegistration(routine.rules, kind, t, problems);
      const known = this.actor.viewer.user ? await this.checkKnownUser(tx, this.actor.viewer.user, { entityPath, organisation: organisation.id }, t, problems) : null;
      problems.throwIfAny();
      const user = known ?? this.registerUser(tx, identity, organisation, contact);
      const decider = await this.deciderFor(tx, routine, t, user);
      const order = this.placeOrder(tx, { terms: t, user, organisation, routine, decider, contact });
      this.auditSubmission(tx, order, t, decider);
      return order;
    });
  }

  /** The basic-information form at the first sign-in after approval. */
  async completeProfile(input: ContactDetails): Promise<User> {
    const { policy, em } = this.actor;
    const me = policy.requireUser();
    const problems = new Problems();
    const fields = readContactDetails(input, problems);
    problems.throwIfAny();
    return em.transactional(async (tx) => {
      const user = await tx.findOneOrFail(User, me.id, { lockMode: LockMode.PESSIMISTIC_WRITE });
      const before = { givenName: user.givenName, familyName: user.familyName, email: user.email, phone: user.phone, profileState: user.profileState };
      Object.assign(user, fields, { profileState: ProfileState.COMPLETE });
      audit(tx, this.actor.viewer, this.actor.requestId, {
        action: 'user.profileComplete',
        targetType: 'User',
        targetId: user.id,
        organisationId: user.employer.id,
        before,
        after: { ...fields, profileState: ProfileState.COMPLETE },
      });
      return user;
    });
  }

  /**
   * The organisation registered under: the e-ID must be issued by it (MitID Erhverv: "bestilt af den leverandør").
   * Any other organisation answers exactly like one that does not exist: same code, message and field.
   */
  private async organisationOfEId(tx: Em, globalId: string, registrationNumber: string | null | undefined): Promise<{ organisation: Organisation; kind: string; entityPath: string }> {
    const orgId = idOfType(globalId, 'Organisation');
    const [row] =
      orgId && registrationNumber
        ? await execute<Record<string, unknown> & { le_kind: string; le_path: string }>(
            tx,
            sql`select o.*, le.kind as le_kind, le.path as le_path from organisations o
              join organisations le on le.id = coalesce(o.legal_entity_id, o.id) where o.id = ${orgId} and le.registration_number = ${registrationNumber}`,
          )
        : [];
    if (!row) throw Problems.single(ProblemCode.NOT_FOUND, ['input', 'organisation'], NOT_YOURS);
    const { le_kind: kind, le_path: entityPath, ...orgRow } = row;
    return { organisation: tx.map(Organisation, orgRow), kind, entityPath };
  }

  /** The routine in force for the legal entity's kind, which must take self-registrations. */
  private async selfRegistrationRoutine(tx: Em, terms: Terms, kind: string): Promise<Routine> {
    const routine = await routineInForce(tx, terms.service.id, kind as never, terms.validFrom);
    if (!routine || !routine.rules.selfRegistration) {
      throw Problems.single(ProblemCode.NOT_ELIGIBLE, ['input', 'service'], 'This service does not take self-registrations.');
    }
    return routine;
  }

  /** The routine's rules for the registration itself: the organisation's kind, the sign-in, the attachments. */
  private checkRegistration(rules: RoutineRules, kind: string, terms: Terms, problems: Problems): void {
    if (!rules.eligibleOrganisationKinds.includes(kind as never)) {
      problems.add(ProblemCode.NOT_ELIGIBLE, ['input', 'organisation'], 'Staff of this kind of organisation cannot use the service.');
    }
    this.actor.policy.requireAssurance(rules.assurance[SensitiveAction.ORDER_SUBMIT]);
    checkAttachments(rules, terms, problems);
  }

  /** A person already registered asks again: only under their own legal entity, and once per role at a time. */
  private async checkKnownUser(tx: Em, me: ViewerUser, under: { entityPath: string; organisation: string }, terms: Terms, problems: Problems): Promise<User> {
    const { entityPath } = under;
    const user = await tx.findOneOrFail(User, me.id);
    if (!me.employerPath.startsWith(entityPath)) {
      problems.add(ProblemCode.NOT_ELIGIBLE, ['input', 'organisation'], 'You are registered with another organisation.');
    }
    const [pending] = await execute(tx, sql`select 1 from orders where user_id = ${user.id} and role_id = ${terms.role.id} and state in ('submitted', 'returned')`);
    if (pending) problems.add(ProblemCode.CONFLICT, ['input', 'role'], 'You already have an undecided registration for this role.');
    const [held] = await grantsInForce(tx, { userIds: [user.id], roleId: terms.role.id, scopeId: under.organisation, validFrom: terms.validFrom, validTo: terms.validTo ?? null });
    if (held) problems.add(ProblemCode.CONFLICT, ['input', 'role'], duplicateGrantMessage(held.id));
    return user;
  }

  /** A person new to the hub: the user, with an incomplete profile, and the e-ID they sign in with. */
  private registerUser(tx: Em, identity: VerifiedIdentity, organisation: Organisation, contact: ContactDetails): User {
    const user = tx.create(User, { employer: organisation, ...contact, profileState: ProfileState.INCOMPLETE });
    tx.create(FederatedIdentity, {
      user,
      issuer: identity.issuer,
      subject: identity.subject,
      registrationNumber: identity.registrationNumber,
      assuranceLevel: identity.assuranceLevel,
      lastSignInAt: new Date(),
    });
    audit(tx, this.actor.viewer, this.actor.requestId, {
      action: 'user.selfRegister',
      actorId: user.id,
      targetType: 'User',
      targetId: user.id,
      organisationId: organisation.id,
      after: { employer: organisation.id, ...contact },
    });
    return user;
  }

  /** The organisation that decides: the authority, or the person's responsible issuer as the routine says. */
  private async deciderFor(tx: Em, routine: Routine, terms: Terms, user: User): Promise<string> {
    if (routine.rules.decider === Decider.AUTHORITY) return terms.service.owner.id;
    return (await responsibleIssuers(tx, terms.service.id, [user.id])).get(user.id) ?? terms.service.owner.id;
  }

  private placeOrder(
    tx: Em,
    { terms: t, user, organisation, routine, decider, contact }: { terms: Terms; user: User; organisation: Organisation; routine: Routine; decider: string; contact: ContactDetails },
  ): Order {
    const order = tx.create(Order, {
      kind: OrderKind.SELF_REGISTRATION,
      user,
      service: t.service,
      role: t.role,
      scope: organisation,
      validFrom: t.validFrom,
      validTo: t.validTo,
      justification: t.justification,
      contactEmail: contact.email,
      contactPhone: contact.phone,
      orderedBy: user,
      decider: tx.getReference(Organisation, decider),
      routine,
    });
    for (const area of t.subAreas) order.subAreas.add(area);
    for (const f of t.files) tx.create(OrderAttachment, { order, document: storeDocument(tx, f.file, f.kind, user.id), subArea: f.subArea });
    tx.create(OrderEvent, { order, fromState: null, toState: OrderState.SUBMITTED, actor: user });
    return order;
  }

  private auditSubmission(tx: Em, order: Order, terms: Terms, decider: string): void {
    audit(tx, this.actor.viewer, this.actor.requestId, {
      action: 'order.submit',
      actorId: order.user.id,
      targetType: 'Order',
      targetId: order.id,
      organisationId: order.scope.id,
      after: { kind: order.kind, role: terms.role.id, subAreas: terms.subAreas.map((s) => s.id), decider },
    });
  }
}
