import type { FileUpload } from 'graphql-upload-minimal';
import { audit } from '../audit/audit.service.js';
import { LockMode } from '@mikro-orm/core';
import type { Em } from '../db/orm.js';
import { sql, execute } from '../db/sql.js';
import { DocumentKind } from '../documents/document.entity.js';
import { acceptUpload, storeDocument } from '../documents/document.service.js';
import type { Actor } from '../auth/actor.js';
import type { UploadLimits } from '../documents/document.service.js';
import { idOfType } from '../domain/global-id.js';
import { Problems, REASON_MAX_LENGTH } from '../domain/problems.js';
import { lockTarget } from '../domain/target.js';
import { requireService } from '../services/service.service.js';
import { AccessDenied, ProblemCode } from '../domain/errors.js';
import { Organisation } from '../organisations/organisation.entity.js';
import { routineInForceFor } from '../routines/routine.service.js';
import { mandateChangeAssurance, SensitiveAction } from '../routines/routine.rules.js';
import { User } from '../users/user.entity.js';
import { AdministratorState, IssuerAdministrator, IssuerMandate, MandateState } from './issuer-mandate.entity.js';
import { handOverPendingOrders, IssuerMandateRepository, responsibleIssuersOf, serviceUsersIn } from './issuer-mandate.repository.js';

export interface MandateGrantInput {
  service: string;
  organisation: string;
  agreementReference: string;
  agreementSignatory: string;
  agreementDocument: Promise<FileUpload>;
  validFrom?: Date | null;
  validTo?: Date | null;
  supportEmail?: string | null;
  supportPhone?: string | null;
  supportInstructions?: string | null;
  administrators: string[];
  thresholdOverrideReason?: string | null;
}

export interface MandateUpdateInput {
  /** A new end date (null: open-ended); left out: unchanged. */
  validTo?: Date | null;
  supportEmail?: string | null;
  supportPhone?: string | null;
  supportInstructions?: string | null;
  reason: string;
}

const snapshot = (m: IssuerMandate) => ({
  state: m.state,
  organisation: m.organisation.id,
  service: m.service.id,
  validFrom: m.validFrom.toISOString(),
  validTo: m.validTo?.toISOString() ?? null,
  agreementReference: m.agreementReference,
  thresholdOverrideReason: m.thresholdOverrideReason ?? null,
  supportEmail: m.supportEmail ?? null,
  supportPhone: m.supportPhone ?? null,
  supportInstructions: m.supportInstructions ?? null,
});

/**
 * Who decides for each person of a service at a moment: the deepest mandate holder over their
 * employer, else the authority. Not scoped: callers ask only about people they may see.
 */
export function responsibleIssuers(em: Em, serviceId: string, userIds: string[], at?: Date): Promise<Map<string, string>> {
  return responsibleIssuersOf(em, serviceId, userIds, at);
}

/** Issuer rights: granted by a service's authority by agreement, ended without losing any grant. */
export class IssuerMandateService {
  constructor(
    private readonly actor: Actor,
    private readonly uploads: UploadLimits,
  ) {}

  async grant(input: MandateGrantInput): Promise<IssuerMandate> {
    const { policy, em } = this.actor;
    const viewer = policy.requireUser();
    const problems = new Problems();
    const service = await requireService(em, input.service, ['input', 'service']);
    const authority = policy.authorityRole(service.id);
    if (!authority) throw AccessDenied.forbidden("Only the service's authority grants issuer rights.");

    const reference = problems.text(input.agreementReference, ['input', 'agreementReference'], 100);
    const signatory = problems.text(input.agreementSignatory, ['input', 'agreementSignatory'], 200);
    const validFrom = input.validFrom ?? new Date();
    problems.period(validFrom, input.validTo, ['input', 'validTo']);
    if (!input.supportEmail && !input.supportPhone) {
      problems.add(ProblemCode.REQUIRED, ['input', 'supportEmail'], 'A support e-mail address or phone number is required: the issuer is its users\' support.');
    }
    if (input.administrators.length === 0) problems.add(ProblemCode.REQUIRED, ['input', 'administrators'], 'Name at least one administrator.');
    const file = await acceptUpload(input.agreementDocument, ['input', 'agreementDocument'], this.uploads.uploadMaxFileSize, problems);

    return em.transactional(async (tx) => {
      const organisationId = idOfType(input.organisation, 'Organisation');
      const organisation = organisationId ? await this.lockVisibleOrganisation(tx, organisationId) : null;
      if (!organisation) throw Problems.notFound(['input', 'organisation'], 'organisation');
      if (organisation.path.startsWith(authority.ownerPath)) {
        problems.add(ProblemCode.NOT_ELIGIBLE, ['input', 'organisation'], 'The authority is the issuer of its own organisation already.');
      }
      const routine = await routineInForceFor(tx, service.id, organisation.id, validFrom);
      if (!routine) throw Problems.single(ProblemCode.INVALID_STATE, ['input', 'service'], 'The service has no routine in force at validFrom.');
      policy.requireAssurance(routine.rules.assurance[SensitiveAction.MANDATE_GRANT]);

      const overlapping = await this.overlapping(tx, service.id, organisation.id, validFrom, input.validTo ?? null);
      if (overlapping) problems.add(ProblemCode.CONFLICT, ['input', 'validFrom'], 'The organisation already holds issuer rights for this service in that period.');

      const users = await serviceUsersIn(tx, service.id, organisation.path);
      const override = input.thresholdOverrideReason?.trim() || null;
      if (users < routine.rules.issuerThreshold && !override) {
        problems.add(
          ProblemCode.THRESHOLD_NOT_MET,
          ['input', 'thresholdOverrideReason'],
          `The organisation has ${users} users of the service; the routine recommends issuers from ${routine.rules.issuerThreshold}. State a reason to grant anyway.`,
        );
      }
      const administrators = await this.administratorsIn(tx, organisation, input.administrators, problems);
      problems.throwIfAny();

      const document = storeDocument(tx, file!, DocumentKind.AGREEMENT, viewer.id);
      const mandate = tx.create(IssuerMandate, {
        service,
        organisation,
        agreementReference: reference,
        agreementSignatory: signatory,
        agreementDocument: document,
        validFrom,
        validTo: input.validTo ?? null,
        supportEmail: input.supportEmail ?? null,
        supportPhone: input.supportPhone ?? null,
        supportInstructions: input.supportInstructions?.trim() || null,
        thresholdOverrideReason: users < routine.rules.issuerThreshold ? override : null,
        routine,
        grantedBy: tx.getReference(User, viewer.id),
      });
      for (const user of administrators) {
        tx.create(IssuerAdministrator, { user, service, organisation, appointedBy: tx.getReference(User, viewer.id) });
      }
      audit(tx, this.actor.viewer, this.actor.requestId, {
        action: 'issuerMandate.grant',
        targetType: 'IssuerMandate',
        targetId: mandate.id,
        organisationId: organisation.id,
        after: { ...snapshot(mandate), administrators: administrators.map((u) => u.id), serviceUsers: users },
        reason: mandate.thresholdOverrideReason ?? null,
      });
      // Undecided orders of the organisation's people now go to it, not to the issuer above.
      await tx.flush();
      await handOverPendingOrders(tx, service.id);
      return mandate;
    });
  }

  /** Ends a mandate now. Its people fall to the next issuer up; every grant stays as it is. */
  async end(id: string, reason: string): Promise<IssuerMandate> {
    const { policy, em } = this.actor;
    const viewer = policy.requireUser();
    const problems = new Problems();
    const why = problems.text(reason, ['input', 'reason'], REASON_MAX_LENGTH);
    return em.transactional(async (tx) => {
      const mandate = await this.lockWritable(tx, id, "Only the service's authority ends issuer rights.");
      policy.requireAssurance(mandate.routine.rules.assurance[SensitiveAction.MANDATE_END]);
      if (mandate.state === MandateState.ENDED) problems.add(ProblemCode.INVALID_STATE, ['id'], 'The issuer rights have already ended.');
      problems.throwIfAny();
      const before = snapshot(mandate);
      const now = new Date();
      mandate.state = MandateState.ENDED;
      mandate.endedAt = now;
      mandate.endedBy = tx.getReference(User, viewer.id);
      mandate.endReason = why;
      if (!mandate.validTo || mandate.validTo > now) mandate.validTo = now;
      await tx.nativeUpdate(
        IssuerAdministrator,
        { service: mandate.service.id, organisation: mandate.organisation.id, state: AdministratorState.ACTIVE },
        { state: AdministratorState.REMOVED, removedAt: now },
      );
      audit(tx, this.actor.viewer, this.actor.requestId, {
        action: 'issuerMandate.end',
        targetType: 'IssuerMandate',
        targetId: mandate.id,
        organisationId: mandate.organisation.id,
        before,
        after: snapshot(mandate),
        reason: why,
      });
      await tx.flush();
      await handOverPendingOrders(tx, mandate.service.id);
      return mandate;
    });
  }

  /**
   * Changes a standing mandate's end date and support contact. The end date stays in the future (ending
   * now is issuerMandateEnd) and may not make it overlap another mandate of the organisation.
   */
  async update(id: string, input: MandateUpdateInput): Promise<IssuerMandate> {
    const why = Problems.reason(input.reason);
    return this.maintain(id, async (tx, mandate, problems) => {
      const before = snapshot(mandate);
      if (input.validTo !== undefined) {
        const validTo = input.validTo;
        if (validTo && validTo.getTime() <= this.actor.now().getTime()) {
          problems.add(ProblemCode.DATE_ORDER, ['input', 'validTo'], 'The new end date must lie in the future; issuerMandateEnd ends the rights now.');
        }
        problems.period(mandate.validFrom, validTo, ['input', 'validTo']);
        if (await this.overlapping(tx, mandate.service.id, mandate.organisation.id, mandate.validFrom, validTo, mandate.id)) {
          problems.add(ProblemCode.CONFLICT, ['input', 'validTo'], 'The organisation holds other issuer rights for this service in that period.');
        }
        mandate.validTo = validTo;
      }
      if (input.supportEmail !== undefined) mandate.supportEmail = input.supportEmail;
      if (input.supportPhone !== undefined) mandate.supportPhone = input.supportPhone;
      if (input.supportInstructions !== undefined) mandate.supportInstructions = input.supportInstructions?.trim() || null;
      if (!mandate.supportEmail && !mandate.supportPhone) {
        problems.add(ProblemCode.REQUIRED, ['input', 'supportEmail'], "A support e-mail address or phone number is required: the issuer is its users' support.");
      }
      problems.throwIfAny();
      this.record(tx, 'issuerMandate.update', mandate, before, snapshot(mandate), why);
      return mandate;
    });
  }

  /** Adds an administrator: a person employed in the mandate holder's subtree who is not one already. */
  async addAdministrator(id: string, person: string, reason: string): Promise<IssuerMandate> {
    const why = Problems.reason(reason);
    return this.maintain(id, async (tx, mandate, problems) => {
      const organisation = await tx.findOneOrFail(Organisation, mandate.organisation.id);
      const [user] = await this.administratorsIn(tx, organisation, [person], problems, () => ['input', 'person']);
      problems.throwIfAny();
      const current = await this.currentAdministrators(tx, mandate);
      if (current.some((a) => a.user.id === user.id)) {
        throw Problems.single(ProblemCode.CONFLICT, ['input', 'person'], 'The person already administers this mandate.');
      }
      tx.create(IssuerAdministrator, { user, service: mandate.service, organisation, appointedBy: tx.getReference(User, this.actor.viewer.user!.id) });
      const ids = current.map((a) => a.user.id);
      this.record(tx, 'issuerMandate.administratorAdd', mandate, { administrators: ids }, { administrators: [...ids, user.id] }, why);
      return mandate;
    });
  }

  /** Removes an administrator; the last one stays, since the holder's people would have nobody to decide for them. */
  async removeAdministrator(id: string, person: string, reason: string): Promise<IssuerMandate> {
    const why = Problems.reason(reason);
    return this.maintain(id, async (tx, mandate) => {
      const current = await this.currentAdministrators(tx, mandate);
      const userId = idOfType(person, 'User');
      const removed = current.find((a) => a.user.id === userId);
      if (!removed) throw Problems.single(ProblemCode.NOT_FOUND, ['input', 'person'], 'The person does not administer this mandate.');
      if (current.length === 1) {
        throw Problems.single(ProblemCode.INVALID_STATE, ['input', 'person'], 'A mandate keeps at least one administrator: add the successor first.');
      }
      removed.state = AdministratorState.REMOVED;
      removed.removedAt = this.actor.now();
      const ids = current.map((a) => a.user.id);
      this.record(tx, 'issuerMandate.administratorRemove', mandate, { administrators: ids }, { administrators: ids.filter((u) => u !== removed.user.id) }, why);
      return mandate;
    });
  }

  /**
   * Runs a change on a standing mandate the viewer may maintain (its service's authority), locked,
   * at the assurance level the mandate's routine asks for it; others are not found, or forbidden when
   * merely visible.
   */
  private maintain(id: string, work: (tx: Em, mandate: IssuerMandate, problems: Problems) => Promise<IssuerMandate>): Promise<IssuerMandate> {
    const { policy, em } = this.actor;
    policy.requireUser();
    return em.transactional(async (tx) => {
      const mandate = await this.lockWritable(tx, id, "Only the service's authority maintains issuer rights.");
      policy.requireAssurance(mandateChangeAssurance(mandate.routine.rules));
      const standing = mandate.state === MandateState.ACTIVE && (!mandate.validTo || mandate.validTo > this.actor.now());
      if (!standing) throw Problems.single(ProblemCode.INVALID_STATE, ['id'], 'The issuer rights have ended: grant new ones instead.');
      return work(tx, mandate, new Problems());
    });
  }

  /** A mandate the viewer may change (its service's authority), locked with its routine; others are not found, or forbidden when merely visible. */
  private async lockWritable(tx: Em, id: string, forbiddenMessage: string): Promise<IssuerMandate> {
    const repo = new IssuerMandateRepository(tx, this.actor.policy);
    const mandate = await lockTarget({
      globalId: id,
      type: 'IssuerMandate',
      lock: (mid) => repo.findWritableForUpdate(mid),
      visible: async (mid) => (await repo.findVisible([mid])).length > 0,
      what: 'issuer mandate',
      forbiddenMessage,
    });
    await tx.populate(mandate, ['routine']);
    return mandate;
  }

  private currentAdministrators(tx: Em, mandate: IssuerMandate): Promise<IssuerAdministrator[]> {
    return tx.find(
      IssuerAdministrator,
      { service: mandate.service.id, organisation: mandate.organisation.id, state: AdministratorState.ACTIVE },
      { orderBy: { createdAt: 'asc', id: 'asc' }, lockMode: LockMode.PESSIMISTIC_WRITE },
    );
  }

  private record(tx: Em, action: string, m: IssuerMandate, before: Record<string, unknown>, after: Record<string, unknown>, reason: string): void {
    audit(tx, this.actor.viewer, this.actor.requestId, { action, targetType: 'IssuerMandate', targetId: m.id, organisationId: m.organisation.id, before, after, reason });
  }

  /** The organisation if the viewer may see it, locked so concurrent grants to it run one after another. */
  private async lockVisibleOrganisation(tx: Em, id: string): Promise<Organisation | null> {
    const q = sql`select o.* from organisations o where o.id = ${id} and ${this.actor.policy.readableOrganisations('o')} for update`;
    const [row] = await execute<Record<string, unknown>>(tx, q);
    return row ? tx.map(Organisation, row) : null;
  }

  private async overlapping(tx: Em, serviceId: string, organisationId: string, from: Date, to: Date | null, except?: string): Promise<boolean> {
    const q = sql`select 1 from issuer_mandates m where m.service_id = ${serviceId} and m.organisation_id = ${organisationId}
      and m.state = 'active' ${except ? sql`and m.id <> ${except}` : sql``} and (m.valid_to is null or m.valid_to > ${from.toISOString()}::timestamptz)
      ${to ? sql`and m.valid_from < ${to.toISOString()}::timestamptz` : sql``} limit 1`;
    const rows = await execute(tx, q);
    return rows.length > 0;
  }

  /** Administrators must work for the organisation: employed in its subtree. */
  private async administratorsIn(tx: Em, organisation: Organisation, ids: string[], problems: Problems,
    fieldOf = (i: number) => ['input', 'administrators', String(i)],
  ): Promise<User[]> {
    const userIds = ids.map((id) => idOfType(id, 'User'));
    const valid = userIds.filter((id): id is string => id !== null);
    let users: User[] = [];
    if (valid.length) {
      const q = sql`select u.* from users u join organisations e on e.id = u.employer_id
        where u.id in (${valid}) and e.path like ${`${organisation.path}%`}`;
      const rows = await execute<Record<string, unknown>>(tx, q);
      users = rows.map((r) => tx.map(User, r));
    }
    userIds.forEach((id, i) => {
      if (!id || !users.some((u) => u.id === id)) {
        problems.add(ProblemCode.NOT_FOUND, fieldOf(i), 'No person employed by the organisation with this id.');
      }
    });
    return users;
  }
}
