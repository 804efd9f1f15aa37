import type { FileUpload } from 'graphql-upload-minimal';
import { audit } from '../audit/audit.service.js';
import type { Em } from '../db/orm.js';
import { execute, sql } from '../db/sql.js';
import { DocumentKind, type Document } from '../documents/document.entity.js';
import { acceptUpload, storeDocument, type ReceivedFile } from '../documents/document.service.js';
import { Grant, GrantState } from '../grants/grant.entity.js';
import type { Actor } from '../auth/actor.js';
import type { UploadLimits } from '../documents/document.service.js';
import { idOfType } from '../domain/global-id.js';
import { Problems } from '../domain/problems.js';
import { lockTarget } from '../domain/target.js';
import { requireService } from '../services/service.repository.js';
import { AccessDenied, problem, type Problem, ProblemCode, ProblemsFound } from '../domain/errors.js';
import { responsibleIssuers } from '../issuers/issuer-mandate.repository.js';
import { enqueueEmail } from '../notifications/outbox.js';
import { Organisation } from '../organisations/organisation.entity.js';
import { Routine } from '../routines/routine.entity.js';
import { RoutineRepository } from '../routines/routine.repository.js';
import { Decider, SensitiveAction, type RoutineRules } from '../routines/routine.rules.js';
import { Service, ServiceRole, SubArea } from '../services/service.entity.js';
import { User } from '../users/user.entity.js';
import { Order, OrderAttachment, OrderEvent, OrderKind, OrderState } from './order.entity.js';
import { OrderRepository } from './order.repository.js';

export interface AttachmentInput {
  kind: DocumentKind;
  subArea?: string | null;
  file: Promise<FileUpload>;
}

export interface OrderTerms {
  service: string;
  role: string;
  subAreas?: string[] | null;
  validFrom?: Date | null;
  validTo?: Date | null;
  justification?: string | null;
  attachments?: AttachmentInput[] | null;
}

export interface OrderCreateInput extends OrderTerms {
  person: string;
  scope?: string | null;
}

/** One person's answer to a bulk order: their order, or the problems that kept it from being placed. */
export interface BulkResult {
  person: string;
  order: Order | null;
  problems: Problem[];
}

export interface Terms {
  service: Service;
  role: ServiceRole;
  subAreas: SubArea[];
  validFrom: Date;
  validTo: Date | null;
  justification: string | null;
  files: { kind: DocumentKind; subArea: SubArea | null; file: ReceivedFile }[];
}

const MAX_BULK = 1000;

const snapshot = (o: Order) => ({
  state: o.state,
  kind: o.kind,
  user: o.user.id,
  role: o.role.id,
  scope: o.scope.id,
  decider: o.decider.id,
  validFrom: o.validFrom.toISOString(),
  validTo: o.validTo?.toISOString() ?? null,
});

/** Orders: placed by orderers (or the person, for self-registration), decided by the responsible issuer. */
export class OrderService {
  constructor(
    private readonly actor: Actor,
    private readonly uploads: UploadLimits,
  ) {}

  /** Reads and checks the terms shared by single and bulk orders; problems are collected, not thrown. */
  async readTerms(input: OrderTerms, problems: Problems, field: string[] = ['input']): Promise<Terms | null> {
    const { em } = this.actor;
    const service = await requireService(em, input.service, [...field, 'service']);
    const roleId = idOfType(input.role, 'ServiceRole');
    const role = roleId ? await em.findOne(ServiceRole, { id: roleId, service }) : null;
    if (!role) problems.add(ProblemCode.NOT_FOUND, [...field, 'role'], 'No role of this service with this id.');
    const subAreaIds = (input.subAreas ?? []).map((id) => idOfType(id, 'SubArea'));
    const subAreas = subAreaIds.every(Boolean) && subAreaIds.length ? await em.find(SubArea, { id: { $in: subAreaIds as string[] }, service }) : [];
    subAreaIds.forEach((id, i) => {
      if (!id || !subAreas.some((s) => s.id === id)) problems.add(ProblemCode.NOT_FOUND, [...field, 'subAreas', String(i)], 'No sub-area of this service with this id.');
    });
    const validFrom = input.validFrom ?? new Date();
    problems.period(validFrom, input.validTo, [...field, 'validTo']);
    if (input.validTo && input.validTo.getTime() <= Date.now()) problems.add(ProblemCode.DATE_ORDER, [...field, 'validTo'], 'validTo must be in the future.');
    const files: Terms['files'] = [];
    for (const [i, a] of (input.attachments ?? []).entries()) {
      const subAreaId = a.subArea ? idOfType(a.subArea, 'SubArea') : null;
      const subArea = subAreaId ? (subAreas.find((s) => s.id === subAreaId) ?? null) : null;
      if (a.subArea && !subArea) problems.add(ProblemCode.INVALID, [...field, 'attachments', String(i), 'subArea'], 'The attachment names a sub-area the order does not ask for.');
      const file = await acceptUpload(a.file, [...field, 'attachments', String(i), 'file'], this.uploads.uploadMaxFileSize, problems);
      if (file) files.push({ kind: a.kind, subArea, file });
    }
    if (!role) return null;
    return { service, role, subAreas, validFrom, validTo: input.validTo ?? null, justification: input.justification?.trim() || null, files };
  }

  /** The attachments a routine demands for a role, as problems when missing. */
  checkAttachments(rules: RoutineRules, terms: Terms, problems: Problems, field: string[] = ['input']): void {
    const rule = rules.roles[terms.role.code];
    if (!rule) {
      problems.add(ProblemCode.NOT_ELIGIBLE, [...field, 'role'], 'The routine in force does not offer this role.');
      return;
    }
    terms.files.forEach((f, i) => {
      if (!rule.attachments.includes(f.kind)) {
        problems.add(ProblemCode.INVALID, [...field, 'attachments', String(i), 'kind'], `The routine does not take a ${f.kind.replace('_', ' ')} for this role.`);
      }
    });
    for (const kind of rule.attachments) {
      if (rule.attachmentsPerSubArea && terms.subAreas.length) {
        for (const area of terms.subAreas) {
          if (!terms.files.some((f) => f.kind === kind && f.subArea?.id === area.id)) {
            problems.add(ProblemCode.REQUIRED, [...field, 'attachments'], `A ${kind.replace('_', ' ')} is required for the sub-area "${area.name}".`);
          }
        }
      } else if (!terms.files.some((f) => f.kind === kind)) {
        problems.add(ProblemCode.REQUIRED, [...field, 'attachments'], `A ${kind.replace('_', ' ')} is required for this role.`);
      }
    }
    if (rule.attachmentsPerSubArea && terms.subAreas.length === 0) problems.add(ProblemCode.REQUIRED, [...field, 'subAreas'], 'Choose at least one sub-area.');
  }

  /** Orders a grant for one employee in the orderer's scope. */
  async create(input: OrderCreateInput): Promise<Order> {
    const results = await this.createMany({ ...input, people: [input.person], scope: input.scope }, true);
    const [result] = results;
    if (result.problems.length) throw new ProblemsFound(result.problems);
    return result.order!;
  }

  /**
   * Orders the same grant for many employees: each person gets their own order or their own
   * errors. Everything is read in a few set-based statements and written in one transaction.
   */
  async createMany(input: OrderTerms & { people: string[]; scope?: string | null }, single = false): Promise<BulkResult[]> {
    const { policy, em } = this.actor;
    const viewer = policy.requireUser();
    const problems = new Problems();
    if (input.people.length === 0) throw Problems.single(ProblemCode.REQUIRED, ['input', 'people'], 'Name at least one person.');
    if (input.people.length > MAX_BULK) throw Problems.single(ProblemCode.INVALID, ['input', 'people'], `At most ${MAX_BULK} people per request.`);
    const terms = await this.readTerms(input, problems);
    problems.throwIfAny();
    const t = terms!;
    const personField = (i: number) => (single ? ['input', 'person'] : ['input', 'people', String(i)]);

    return em.transactional(async (tx) => {
      const ids = input.people.map((p) => idOfType(p, 'User'));
      const valid = [...new Set(ids.filter((id): id is string => id !== null))];
      // People in scope, with their employer's legal-entity kind (the routine that applies) and current placements.
      const rows = valid.length
        ? await execute<{ id: string; employer_id: string; employer_path: string; kind: string; placements: string[] | string | null }>(
            tx,
            sql`select u.id, u.employer_id, e.path as employer_path, le.kind,
                (select array_agg(p.organisation_id) from placements p where p.user_id = u.id and p.valid_from <= now()
                  and (p.valid_to is null or p.valid_to > now())) as placements
              from users u join organisations e on e.id = u.employer_id join organisations le on le.id = coalesce(e.legal_entity_id, e.id)
              where u.id in (${valid}) and ${policy.readableUsers('u')}`,
          )
        : [];
      const people = new Map(rows.map((r) => [r.id, r]));
      const routines = new Map<string, Routine | null>();
      for (const kind of new Set(rows.map((r) => r.kind))) {
        routines.set(kind, await new RoutineRepository(tx).inForce(t.service.id, kind as never, t.validFrom));
      }
      // Who may be ordered for: orderer scopes, plus administered people unless the routine wants an orderer.
      const orderable = async (ordererOnly: boolean) =>
        new Set(
          valid.length
            ? (await execute<{ id: string }>(tx, sql`select u.id from users u where u.id in (${valid}) and ${policy.orderablePeople('u', t.service.id, ordererOnly)}`)).map((r) => r.id)
            : [],
        );
      const byOrderer = await orderable(true);
      const byAnyone = await orderable(false);
      const issuers = await responsibleIssuers(tx, t.service.id, valid);
      const pending = new Set(
        valid.length
          ? (
              await execute<{ user_id: string }>(
                tx,
                sql`select user_id from orders where user_id in (${valid}) and role_id = ${t.role.id} and state in ('submitted', 'returned')`,
              )
            ).map((r) => r.user_id)
          : [],
      );
      const scopeId = input.scope ? idOfType(input.scope, 'Organisation') : null;
      const ownerPath = (await tx.findOneOrFail(Organisation, t.service.owner.id)).path;
      const sharedDocuments = new Map<ReceivedFile, Document>();
      const results: BulkResult[] = [];
      const seen = new Set<string>();

      for (const [i, id] of ids.entries()) {
        const errors = new Problems();
        const person = id ? people.get(id) : undefined;
        if (!id || !person) {
          results.push({ person: input.people[i], order: null, problems: [problem(ProblemCode.NOT_FOUND, personField(i), 'No person in your scope with this id.')] });
          continue;
        }
        if (seen.has(id)) errors.add(ProblemCode.CONFLICT, personField(i), 'The person is named twice: one order per person.');
        seen.add(id);
        const routine = routines.get(person.kind) ?? null;
        let orderable = false;
        if (!routine) {
          errors.add(ProblemCode.NOT_ELIGIBLE, personField(i), 'No routine of the service applies to this person.');
        } else {
          if (!routine.rules.eligibleOrganisationKinds.includes(person.kind as never) && !person.employer_path.startsWith(ownerPath)) {
            errors.add(ProblemCode.NOT_ELIGIBLE, personField(i), 'Staff of this organisation cannot use the service under its routine.');
          }
          const allowed = routine.rules.orderingRequiresOrderer ? byOrderer : byAnyone;
          orderable = allowed.has(id);
          if (!orderable) {
            const message = routine.rules.orderingRequiresOrderer ? 'Orders for this person come from an appointed orderer.' : 'You may not order for this person.';
            // One person: a plain authorization failure. Many: that person's own error, the others go on.
            if (single) throw AccessDenied.forbidden(message);
            errors.add(ProblemCode.NOT_ELIGIBLE, personField(i), message);
          }
          policy.requireAssurance(routine.rules.assurance[SensitiveAction.ORDER_SUBMIT]);
          this.checkAttachments(routine.rules, t, errors, ['input']);
        }
        // Only whoever may order for the person hears of their undecided order: others may not read it.
        if (orderable && pending.has(id)) errors.add(ProblemCode.CONFLICT, personField(i), 'The person already has an undecided order for this role.');
        const placements = Array.isArray(person.placements) ? person.placements : person.placements ? person.placements.replace(/[{}]/g, '').split(',') : [];
        const scope = scopeId ?? person.employer_id;
        if (input.scope && (!scopeId || (scopeId !== person.employer_id && !placements.includes(scopeId)))) {
          errors.add(ProblemCode.INVALID, ['input', 'scope'], "The scope must be the person's employer or an organisation they are placed at.");
        }
        if (errors.any || !routine) {
          results.push({ person: input.people[i], order: null, problems: errors.list });
          continue;
        }
        const decider = routine.rules.decider === Decider.AUTHORITY ? t.service.owner.id : issuers.get(id)!;
        const order = tx.create(Order, {
          kind: OrderKind.ORDER,
          user: tx.getReference(User, id),
          service: t.service,
          role: t.role,
          scope: tx.getReference(Organisation, scope),
          validFrom: t.validFrom,
          validTo: t.validTo,
          justification: t.justification,
          orderedBy: tx.getReference(User, viewer.id),
          decider: tx.getReference(Organisation, decider),
          routine,
        });
        for (const area of t.subAreas) order.subAreas.add(area);
        for (const f of t.files) {
          if (!sharedDocuments.has(f.file)) sharedDocuments.set(f.file, storeDocument(tx, f.file, f.kind, viewer.id));
          tx.create(OrderAttachment, { order, document: sharedDocuments.get(f.file)!, subArea: f.subArea });
        }
        tx.create(OrderEvent, { order, fromState: null, toState: OrderState.SUBMITTED, actor: tx.getReference(User, viewer.id) });
        this.record(tx, 'order.submit', order, null, t.justification);
        results.push({ person: input.people[i], order, problems: [] });
      }
      return results;
    });
  }

  approve(id: string, reason: string | null | undefined): Promise<Order> {
    return this.decide(id, async (tx, order, rules) => {
      const before = snapshot(order);
      await this.checkQuota(tx, order, rules);
      await tx.populate(order, ['subAreas', 'user']);
      const grant = tx.create(Grant, {
        user: order.user,
        service: order.service,
        role: order.role,
        scope: order.scope,
        validFrom: order.validFrom,
        validTo: order.validTo ?? null,
        issuedBy: order.decider,
        issuedByUser: tx.getReference(User, this.actor.viewer.user!.id),
        state: GrantState.ACTIVE,
      });
      for (const area of order.subAreas) grant.subAreas.add(area);
      order.grant = grant;
      this.transition(tx, order, OrderState.APPROVED, reason?.trim() || null, before);
      audit(tx, this.actor.viewer, this.actor.requestId, {
        action: 'grant.issue',
        targetType: 'Grant',
        targetId: grant.id,
        organisationId: order.user.employer.id,
        after: { order: order.id, role: order.role.id, scope: order.scope.id, validFrom: order.validFrom.toISOString(), validTo: order.validTo?.toISOString() ?? null },
      });
      await this.notify(tx, order, 'approved', reason?.trim() || null);
      return order;
    });
  }

  reject(id: string, reason: string): Promise<Order> {
    const why = Problems.reason(reason);
    return this.decide(id, async (tx, order) => {
      this.transition(tx, order, OrderState.REJECTED, why, snapshot(order));
      await this.notify(tx, order, 'rejected', why);
      return order;
    });
  }

  /** Sends an order back to its orderer for changes. */
  sendBack(id: string, reason: string): Promise<Order> {
    const why = Problems.reason(reason);
    return this.decide(id, async (tx, order) => {
      this.transition(tx, order, OrderState.RETURNED, why, snapshot(order));
      await this.notify(tx, order, 'returned', why);
      return order;
    });
  }

  /** The orderer withdraws an undecided order. */
  withdraw(id: string, reason: string | null | undefined): Promise<Order> {
    return this.own(id, async (tx, order) => {
      this.transition(tx, order, OrderState.WITHDRAWN, reason?.trim() || null, snapshot(order));
      return order;
    });
  }

  /** The orderer resubmits an order sent back, with new dates or justification. */
  resubmit(id: string, change: { validFrom?: Date | null; validTo?: Date | null; justification?: string | null }): Promise<Order> {
    return this.own(id, async (tx, order) => {
      if (order.state !== OrderState.RETURNED) throw Problems.single(ProblemCode.INVALID_STATE, ['id'], `Only an order sent back can be resubmitted; this one is ${order.state}.`);
      const problems = new Problems();
      const validFrom = change.validFrom ?? order.validFrom;
      const validTo = change.validTo === undefined ? (order.validTo ?? null) : change.validTo;
      problems.period(validFrom, validTo, ['input', 'validTo']);
      problems.throwIfAny();
      const before = snapshot(order);
      order.validFrom = validFrom;
      order.validTo = validTo;
      if (change.justification !== undefined) order.justification = change.justification?.trim() || null;
      this.transition(tx, order, OrderState.SUBMITTED, null, before);
      return order;
    });
  }

  private async decide(id: string, work: (tx: Em, order: Order, rules: RoutineRules) => Promise<Order>): Promise<Order> {
    const { policy, em } = this.actor;
    policy.requireUser();
    return em.transactional(async (tx) => {
      const order = await this.lockOrder(tx, id, 'decide', "Only the person's responsible issuer decides on orders.");
      await tx.populate(order, ['routine', 'role']);
      policy.requireAssurance(order.routine.rules.assurance[SensitiveAction.ORDER_DECIDE]);
      if (order.state !== OrderState.SUBMITTED) throw Problems.single(ProblemCode.INVALID_STATE, ['id'], `The order is ${order.state}, not waiting for a decision.`);
      order.decidedAt = new Date();
      order.decidedBy = tx.getReference(User, this.actor.viewer.user!.id);
      return work(tx, order, order.routine.rules);
    });
  }

  /** The order, locked for the rest of the transaction, when the viewer may act on it as `mode` says. */
  private lockOrder(tx: Em, id: string, mode: 'decide' | 'own', forbiddenMessage: string): Promise<Order> {
    const repo = new OrderRepository(tx, this.actor.policy);
    return lockTarget({
      globalId: id,
      type: 'Order',
      lock: (oid) => repo.findForUpdate(oid, mode),
      visible: async (oid) => (await repo.findVisible([oid])).length > 0,
      what: 'order',
      forbiddenMessage,
    });
  }

  private async own(id: string, work: (tx: Em, order: Order) => Promise<Order>): Promise<Order> {
    const { policy, em } = this.actor;
    policy.requireUser();
    return em.transactional(async (tx) => {
      const order = await this.lockOrder(tx, id, 'own', 'Only whoever placed the order may change or withdraw it.');
      if (order.state !== OrderState.SUBMITTED && order.state !== OrderState.RETURNED) {
        throw Problems.single(ProblemCode.INVALID_STATE, ['id'], `The order is already ${order.state}.`);
      }
      return work(tx, order);
    });
  }

  /**
   * A role's quota per legal entity holds under concurrency and across server processes: the legal
   * entity's row is locked, so approvals for the same supplier count and insert one after another.
   */
  private async checkQuota(tx: Em, order: Order, rules: RoutineRules): Promise<void> {
    const quota = rules.roles[order.role.code]?.quotaPerOrganisation;
    if (quota === null || quota === undefined) return;
    const [entity] = await execute<{ id: string; name: string }>(
      tx,
      sql`select le.id, le.name from users u join organisations e on e.id = u.employer_id
        join organisations le on le.id = coalesce(e.legal_entity_id, e.id) where u.id = ${order.user.id}`,
    );
    await execute(tx, sql`select 1 from organisations where id = ${entity.id} for update`);
    const [{ n }] = await execute<{ n: number }>(
      tx,
      sql`select count(*)::int as n from grants g join users u on u.id = g.user_id join organisations e on e.id = u.employer_id
        where g.role_id = ${order.role.id} and g.state in ('active', 'suspended') and coalesce(e.legal_entity_id, e.id) = ${entity.id}`,
    );
    if (Number(n) >= quota) {
      throw Problems.single(ProblemCode.QUOTA_EXCEEDED, ['id'], `${entity.name} already has ${n} of at most ${quota} people with the role "${order.role.name}".`);
    }
  }

  private transition(tx: Em, order: Order, to: OrderState, reason: string | null, before: Record<string, unknown>): void {
    const from = order.state;
    order.state = to;
    if (to === OrderState.APPROVED || to === OrderState.REJECTED || to === OrderState.RETURNED) order.decisionReason = reason;
    tx.create(OrderEvent, { order, fromState: from, toState: to, actor: tx.getReference(User, this.actor.viewer.user!.id), reason });
    this.record(tx, `order.${to === OrderState.RETURNED ? 'sendBack' : to === OrderState.SUBMITTED ? 'resubmit' : to}`, order, before, reason);
  }

  private record(tx: Em, action: string, order: Order, before: Record<string, unknown> | null, reason: string | null): void {
    audit(tx, this.actor.viewer, this.actor.requestId, {
      action,
      targetType: 'Order',
      targetId: order.id,
      organisationId: order.scope.id,
      before,
      after: snapshot(order),
      reason,
    });
  }

  /** Tells the person (and the orderer, when someone else ordered) by e-mail, through the outbox. */
  private async notify(tx: Em, order: Order, outcome: 'approved' | 'rejected' | 'returned', reason: string | null): Promise<void> {
    await tx.populate(order, ['user', 'orderedBy', 'service', 'role']);
    const recipients = new Set<string>();
    const personEmail = order.contactEmail ?? order.user.email;
    if (outcome !== 'returned' && personEmail) recipients.add(personEmail);
    if (order.orderedBy.id !== order.user.id && order.orderedBy.email) recipients.add(order.orderedBy.email);
    const what = `${order.service.name} – ${order.role.name}`;
    const subjects = { approved: `Access approved: ${what}`, rejected: `Access not approved: ${what}`, returned: `Order sent back for changes: ${what}` };
    const lines = [
      `Hello ${order.user.givenName} ${order.user.familyName},`,
      '',
      outcome === 'approved'
        ? `the request for access to ${what} has been approved. ${order.kind === OrderKind.SELF_REGISTRATION ? 'The first time you sign in, fill in the basic-information form; the access can be used once it is complete.' : ''}`
        : outcome === 'rejected'
          ? `the request for access to ${what} has not been approved.`
          : `the order for ${what} has been sent back for changes.`,
      ...(reason ? ['', `Reason: ${reason}`] : []),
      '',
      `Reference: ${order.id}`,
    ];
    for (const recipient of recipients) {
      enqueueEmail(tx, { recipient, subject: subjects[outcome], body: lines.join('\n'), topic: `order.${outcome}` });
    }
  }
}

