import { LockMode } from '@mikro-orm/core';
import { audit } from '../audit/audit.service.js';
import { execute, sql } from '../db/sql.js';
import { storeDocument } from '../documents/document.service.js';
import type { Actor } from '../auth/actor.js';
import type { UploadLimits } from '../documents/document.service.js';
import { idOfType } from '../domain/global-id.js';
import { Problems } from '../domain/problems.js';
import { AccessDenied, ProblemCode } from '../domain/errors.js';
import { FederatedIdentity } from '../identities/federated-identity.entity.js';
import { responsibleIssuers } from '../issuers/issuer-mandate.repository.js';
import { Organisation } from '../organisations/organisation.entity.js';
import { RoutineRepository } from '../routines/routine.repository.js';
import { Decider, SensitiveAction } from '../routines/routine.rules.js';
import { ProfileState, User } from '../users/user.entity.js';
import { Order, OrderAttachment, OrderEvent, OrderKind, OrderState } from './order.entity.js';
import { checkAttachments } from './order.rules.js';
import { OrderService, type OrderTerms } from './order.service.js';

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

  async submit(input: SelfRegistrationInput): Promise<Order> {
    const { viewer, policy, em } = this.actor;
    const identity = viewer.identity;
    if (!identity) throw AccessDenied.unauthenticated('Sign in with your business e-ID to register.');
    const problems = new Problems();
    const givenName = problems.text(input.givenName, ['input', 'givenName'], 100);
    const familyName = problems.text(input.familyName, ['input', 'familyName'], 100);
    const email = problems.text(input.email, ['input', 'email'], 254);
    const phone = problems.text(input.phone, ['input', 'phone'], 32);
    const orders = new OrderService(this.actor, this.uploads);
    const terms = await orders.readTerms(input, problems);

    return em.transactional(async (tx) => {
      // The e-ID must be issued by the organisation registered under (MitID Erhverv: "bestilt af den leverandør").
      // Any other organisation answers exactly like one that does not exist: same code, message and field.
      const orgId = idOfType(input.organisation, 'Organisation');
      const number = identity.registrationNumber;
      const [row] =
        orgId && number
          ? await execute<Record<string, unknown> & { le_kind: string; le_path: string }>(
              tx,
              sql`select o.*, le.kind as le_kind, le.path as le_path from organisations o
                join organisations le on le.id = coalesce(o.legal_entity_id, o.id) where o.id = ${orgId} and le.registration_number = ${number}`,
            )
          : [];
      if (!row) throw Problems.single(ProblemCode.NOT_FOUND, ['input', 'organisation'], NOT_YOURS);
      const { le_kind: kind, le_path: entityPath, ...orgRow } = row;
      const organisation = tx.map(Organisation, orgRow);
      if (!terms) problems.throwIfAny();
      const t = terms!;
      const routine = await new RoutineRepository(tx).inForce(t.service.id, kind as never, t.validFrom);
      if (!routine || !routine.rules.selfRegistration) {
        throw Problems.single(ProblemCode.NOT_ELIGIBLE, ['input', 'service'], 'This service does not take self-registrations.');
      }
      if (!routine.rules.eligibleOrganisationKinds.includes(kind as never)) {
        problems.add(ProblemCode.NOT_ELIGIBLE, ['input', 'organisation'], 'Staff of this kind of organisation cannot use the service.');
      }
      policy.requireAssurance(routine.rules.assurance[SensitiveAction.ORDER_SUBMIT]);
      checkAttachments(routine.rules, t, problems);

      let user: User;
      if (viewer.user) {
        user = await tx.findOneOrFail(User, viewer.user.id);
        if (!viewer.user.employerPath.startsWith(entityPath)) {
          problems.add(ProblemCode.NOT_ELIGIBLE, ['input', 'organisation'], 'You are registered with another organisation.');
        }
        const [pending] = await execute(tx, sql`select 1 from orders where user_id = ${user.id} and role_id = ${t.role.id} and state in ('submitted', 'returned')`);
        if (pending) problems.add(ProblemCode.CONFLICT, ['input', 'role'], 'You already have an undecided registration for this role.');
        problems.throwIfAny();
      } else {
        problems.throwIfAny();
        user = tx.create(User, { employer: organisation, givenName, familyName, email, phone, profileState: ProfileState.INCOMPLETE });
        tx.create(FederatedIdentity, {
          user,
          issuer: identity.issuer,
          subject: identity.subject,
          registrationNumber: identity.registrationNumber,
          assuranceLevel: identity.assuranceLevel,
          lastSignInAt: new Date(),
        });
        audit(tx, viewer, this.actor.requestId, {
          action: 'user.selfRegister',
          targetType: 'User',
          targetId: user.id,
          organisationId: organisation.id,
          after: { employer: organisation.id, givenName, familyName, email, phone },
        });
      }
      const decider =
        routine.rules.decider === Decider.AUTHORITY ? t.service.owner.id : (await responsibleIssuers(tx, t.service.id, [user.id])).get(user.id) ?? t.service.owner.id;
      const order = tx.create(Order, {
        kind: OrderKind.SELF_REGISTRATION,
        user,
        service: t.service,
        role: t.role,
        scope: organisation,
        validFrom: t.validFrom,
        validTo: t.validTo,
        justification: t.justification,
        contactEmail: email,
        contactPhone: phone,
        orderedBy: user,
        decider: tx.getReference(Organisation, decider),
        routine,
      });
      for (const area of t.subAreas) order.subAreas.add(area);
      for (const f of t.files) tx.create(OrderAttachment, { order, document: storeDocument(tx, f.file, f.kind, user.id), subArea: f.subArea });
      tx.create(OrderEvent, { order, fromState: null, toState: OrderState.SUBMITTED, actor: user });
      audit(tx, viewer, this.actor.requestId, {
        action: 'order.submit',
        targetType: 'Order',
        targetId: order.id,
        organisationId: organisation.id,
        after: { kind: order.kind, role: t.role.id, subAreas: t.subAreas.map((s) => s.id), decider },
      });
      return order;
    });
  }

  /** The basic-information form at the first sign-in after approval. */
  async completeProfile(input: { givenName: string; familyName: string; email: string; phone: string }): Promise<User> {
    const { policy, em } = this.actor;
    const me = policy.requireUser();
    const problems = new Problems();
    const fields = {
      givenName: problems.text(input.givenName, ['input', 'givenName'], 100),
      familyName: problems.text(input.familyName, ['input', 'familyName'], 100),
      email: problems.text(input.email, ['input', 'email'], 254),
      phone: problems.text(input.phone, ['input', 'phone'], 32),
    };
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
}
