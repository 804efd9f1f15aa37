import type { FileUpload } from 'graphql-upload-minimal';
import { audit } from '../audit/audit.service.js';
import type { Em } from '../db/orm.js';
import { DocumentKind } from '../documents/document.entity.js';
import { acceptUpload, storeDocument } from '../documents/document.service.js';
import type { Actor } from '../auth/actor.js';
import type { UploadLimits } from '../documents/document.service.js';
import { idOfType } from '../domain/global-id.js';
import { Problems } from '../domain/problems.js';
import { lockTarget } from '../domain/target.js';
import { requireService } from '../services/service.service.js';
import { ProblemCode } from '../domain/errors.js';
import { Organisation } from '../organisations/organisation.entity.js';
import { refuseIfClosed } from '../organisations/organisation.service.js';
import { routineInForceFor } from '../routines/routine.service.js';
import { SensitiveAction } from '../routines/routine.rules.js';
import { Service } from '../services/service.entity.js';
import { User } from '../users/user.entity.js';
import { AppointmentState, OrdererAppointment } from './orderer-appointment.entity.js';
import { OrdererAppointmentRepository } from './orderer-appointment.repository.js';

export interface AppointmentRequestInput {
  service: string;
  scope: string;
  validFrom?: Date | null;
  validTo?: Date | null;
  requestForm: Promise<FileUpload>;
}

const snapshot = (a: OrdererAppointment) => ({
  state: a.state,
  user: a.user.id,
  service: a.service.id,
  scope: a.scope.id,
  validFrom: a.validFrom.toISOString(),
  validTo: a.validTo?.toISOString() ?? null,
});

/** Managers become orderers for a subtree of their own organisation, if their responsible issuer agrees. */
export class OrdererAppointmentService {
  constructor(
    private readonly actor: Actor,
    private readonly uploads: UploadLimits,
  ) {}

  async request(input: AppointmentRequestInput): Promise<OrdererAppointment> {
    const { policy, em } = this.actor;
    const viewer = policy.requireUser();
    const problems = new Problems();
    const service = await requireService(em, input.service, ['input', 'service']);
    const validFrom = input.validFrom ?? new Date();
    problems.period(validFrom, input.validTo, ['input', 'validTo']);
    const file = await acceptUpload(input.requestForm, ['input', 'requestForm'], this.uploads.uploadMaxFileSize, problems);

    return em.transactional(async (tx) => {
      const scopeId = idOfType(input.scope, 'Organisation');
      const scope = scopeId ? await tx.findOne(Organisation, scopeId) : null;
      // An orderer orders for their own organisation: a scope outside it is not one they can name.
      if (!scope || !scope.path.startsWith(viewer.legalEntityPath)) throw Problems.notFound(['input', 'scope'], 'organisation in your organisation');
      refuseIfClosed(scope, ['input', 'scope']);
      const routine = await routineInForceFor(tx, service.id, viewer.employerId, validFrom);
      if (!routine) throw Problems.single(ProblemCode.INVALID_STATE, ['input', 'service'], 'The service has no routine in force at validFrom.');
      policy.requireAssurance(routine.rules.assurance[SensitiveAction.APPOINTMENT_REQUEST]);
      await this.requireEligible(tx, service, viewer.employerId, routine.rules.eligibleOrganisationKinds, problems);
      const repo = new OrdererAppointmentRepository(tx, policy);
      if (await repo.overlaps(viewer.id, service.id, scope.id, validFrom, input.validTo ?? null)) {
        problems.add(ProblemCode.CONFLICT, ['input', 'validFrom'], 'You already have a pending or approved appointment for this scope in that period.');
      }
      problems.throwIfAny();
      const me = tx.getReference(User, viewer.id);
      const appointment = tx.create(OrdererAppointment, {
        user: me,
        service,
        scope,
        validFrom,
        validTo: input.validTo ?? null,
        requestForm: storeDocument(tx, file!, DocumentKind.ORDERER_REQUEST_FORM, viewer.id),
        routine,
        requestedBy: me,
      });
      this.record(tx, 'ordererAppointment.request', appointment, null, null);
      return appointment;
    });
  }

  approve(id: string, reason: string | null | undefined): Promise<OrdererAppointment> {
    return this.decide(id, AppointmentState.APPROVED, reason?.trim() || null);
  }

  reject(id: string, reason: string): Promise<OrdererAppointment> {
    const why = Problems.reason(reason);
    return this.decide(id, AppointmentState.REJECTED, why);
  }

  async revoke(id: string, reason: string): Promise<OrdererAppointment> {
    const why = Problems.reason(reason);
    return this.withDecidable(id, async (tx, appointment) => {
      this.actor.policy.requireAssurance(appointment.routine.rules.assurance[SensitiveAction.APPOINTMENT_REVOKE]);
      if (appointment.state !== AppointmentState.APPROVED) {
        throw Problems.single(ProblemCode.INVALID_STATE, ['id'], `Only an approved appointment can be revoked; this one is ${appointment.state}.`);
      }
      const before = snapshot(appointment);
      const now = new Date();
      appointment.state = AppointmentState.REVOKED;
      appointment.revokedAt = now;
      appointment.revokedBy = tx.getReference(User, this.actor.viewer.user!.id);
      appointment.revokeReason = why;
      if (!appointment.validTo || appointment.validTo > now) appointment.validTo = now;
      this.record(tx, 'ordererAppointment.revoke', appointment, before, why);
      return appointment;
    });
  }

  private decide(id: string, state: AppointmentState.APPROVED | AppointmentState.REJECTED, reason: string | null): Promise<OrdererAppointment> {
    return this.withDecidable(id, async (tx, appointment) => {
      this.actor.policy.requireAssurance(appointment.routine.rules.assurance[SensitiveAction.APPOINTMENT_DECIDE]);
      // Four eyes: an administrator who asks to become orderer is decided on by a colleague.
      if (appointment.user.id === this.actor.viewer.user!.id) {
        throw Problems.single(ProblemCode.SELF_DECISION, ['id'], 'The request is yours: someone else decides it.');
      }
      if (appointment.state !== AppointmentState.REQUESTED) {
        throw Problems.single(ProblemCode.INVALID_STATE, ['id'], `The request has already been decided: it is ${appointment.state}.`);
      }
      if (state === AppointmentState.APPROVED) {
        const repo = new OrdererAppointmentRepository(tx, this.actor.policy);
        const clash = await repo.overlaps(appointment.user.id, appointment.service.id, appointment.scope.id, appointment.validFrom, appointment.validTo ?? null, appointment.id);
        if (clash) throw Problems.single(ProblemCode.CONFLICT, ['id'], 'The person already has an appointment for this scope in that period.');
      }
      const before = snapshot(appointment);
      appointment.state = state;
      appointment.decidedAt = new Date();
      appointment.decidedBy = tx.getReference(User, this.actor.viewer.user!.id);
      appointment.decisionReason = reason;
      this.record(tx, state === AppointmentState.APPROVED ? 'ordererAppointment.approve' : 'ordererAppointment.reject', appointment, before, reason);
      return appointment;
    });
  }

  /** Runs a decision on an appointment the viewer decides; others are not found, or forbidden when merely visible. */
  private async withDecidable(id: string, work: (tx: Em, a: OrdererAppointment) => Promise<OrdererAppointment>): Promise<OrdererAppointment> {
    const { policy, em } = this.actor;
    policy.requireUser();
    return em.transactional(async (tx) => {
      const repo = new OrdererAppointmentRepository(tx, policy);
      const appointment = await lockTarget({
        globalId: id,
        type: 'OrdererAppointment',
        lock: (aid) => repo.findDecidableForUpdate(aid),
        visible: async (aid) => (await repo.findVisible([aid])).length > 0,
        what: 'orderer appointment',
        forbiddenMessage: "Only the person's responsible issuer decides on orderer appointments.",
      });
      await tx.populate(appointment, ['routine']);
      return work(tx, appointment);
    });
  }

  private async requireEligible(tx: Em, service: Service, employerId: string, kinds: string[], problems: Problems): Promise<void> {
    const employer = await tx.findOneOrFail(Organisation, employerId, { populate: ['legalEntity'] });
    const owner = await tx.findOneOrFail(Organisation, service.owner.id);
    const kind = (employer.legalEntity ?? employer).kind;
    if (!employer.path.startsWith(owner.path) && !kinds.includes(kind)) {
      problems.add(ProblemCode.NOT_ELIGIBLE, ['input', 'service'], `Staff of a ${kind.replace('_', ' ')} cannot use this service under its routine.`);
    }
  }

  private record(tx: Em, action: string, a: OrdererAppointment, before: Record<string, unknown> | null, reason: string | null): void {
    audit(tx, this.actor.viewer, this.actor.requestId, {
      action,
      targetType: 'OrdererAppointment',
      targetId: a.id,
      organisationId: a.scope.id,
      before,
      after: snapshot(a),
      reason,
    });
  }
}
