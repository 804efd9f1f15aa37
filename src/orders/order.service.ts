import type { FileUpload } from 'graphql-upload-minimal';
import { audit } from '../audit/audit.service.js';
import type { Em } from '../db/orm.js';
import { execute, sql } from '../db/sql.js';
import { DocumentKind } from '../documents/document.entity.js';
import { acceptUpload, storeDocument, type ReceivedFile } from '../documents/document.service.js';
import { Grant, GrantState } from '../grants/grant.entity.js';
import { grantsInForce } from '../grants/grant.service.js';
import type { Actor } from '../auth/actor.js';
import type { UploadLimits } from '../documents/document.service.js';
import { idOfType, toGlobalId } from '../domain/global-id.js';
import { Problems } from '../domain/problems.js';
import { lockTarget } from '../domain/target.js';
import { requireService } from '../services/service.service.js';
import { AccessDenied, problem, type Problem, ProblemCode, ProblemsFound } from '../domain/errors.js';
import { responsibleIssuers } from '../issuers/issuer-mandate.service.js';
import { enqueueEmail } from '../notifications/outbox.js';
import { Organisation } from '../organisations/organisation.entity.js';
import { Routine } from '../routines/routine.entity.js';
import { routineInForce } from '../routines/routine.service.js';
import { Decider, SensitiveAction, type RoutineRules } from '../routines/routine.rules.js';
import { Service, ServiceRole, SubArea } from '../services/service.entity.js';
import { User } from '../users/user.entity.js';
import { ApprovalStage, Order, OrderAttachment, OrderEvent, OrderKind, OrderState } from './order.entity.js';
import { OrderRepository } from './order.repository.js';
import { checkAttachments, checkFourEyes, checkHeadcount, parseIdArray, personField } from './order.rules.js';

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

export interface ResubmitInput {
  validFrom?: Date | null;
  validTo?: Date | null;
  justification?: string | null;
  /** The sub-areas asked for from now on (absent: unchanged). */
  subAreas?: string[] | null;
  attachments?: AttachmentInput[] | null;
  /** The attachments given replace every earlier one (default: they are added). */
  replaceAttachments?: boolean | null;
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

export type BulkOrderInput = OrderTerms & { people: string[]; scope?: string | null };

export interface Terms {
  service: Service;
  role: ServiceRole;
  subAreas: SubArea[];
  validFrom: Date;
  validTo: Date | null;
  justification: string | null;
  files: { kind: DocumentKind; subArea: SubArea | null; file: ReceivedFile }[];
}

/** A person named in a bulk order and visible to the actor. */
interface PersonInScope {
  id: string;
  employerId: string;
  employerPath: string;
  /** The kind of the employer's legal entity: it picks the routine. */
  kind: string;
  /** Organisations the person is placed at now. */
  placements: string[];
}

/** What a bulk order reads once for everyone it names. */
interface Roster {
  people: Map<string, PersonInScope>;
  /** The routine in force per legal-entity kind; null where the service has none. */
  routines: Map<string, Routine | null>;
  byOrderer: Set<string>;
  byAnyone: Set<string>;
  /** Each person's responsible issuer. */
  issuers: Map<string, string>;
  undecided: Set<string>;
  /** Each person's grants of the role that are active or suspended and overlap the ordered period. */
  held: Map<string, HeldGrant[]>;
  /** The service owner's path: its own staff may use the service whatever the routine's kinds. */
  ownerPath: string;
  /** Closed organisations among the people's employers and placements: no new order is scoped to one. */
  closed: Set<string>;
}

/** A grant a person already holds, by its scope. */
interface HeldGrant {
  id: string;
  scope: string;
}

/** The one answer to a second grant of the same person, service, role and scope: name the one in force. */
export function duplicateGrantMessage(grantId: string): string {
  return `The person already holds this role for this scope in an overlapping period (grant ${toGlobalId('Grant', grantId)}); one grant per person, role and scope.`;
}

/** A bulk order as it is judged: the shared terms, how it was asked, and what was read for it. */
interface BulkOrder {
  terms: Terms;
  /** `create`'s order for one person: a refusal is an authorization failure, problems point at `person`. */
  single: boolean;
  /** The scope asked for everyone, as given and as an organisation id. */
  scope: string | null | undefined;
  scopeId: string | null;
  roster: Roster;
}

/** One person's problems, or, when there are none, what their order is placed with. */
interface Verdict {
  problems: Problem[];
  placement?: { user: string; scope: string; routine: Routine };
}

const snapshot = (o: Order) => ({
  state: o.state,
  kind: o.kind,
  user: o.user.id,
  role: o.role.id,
  scope: o.scope.id,
  decider: o.decider.id,
  validFrom: o.validFrom.toISOString(),
  validTo: o.validTo?.toISOString() ?? null,
  firstApprovedBy: o.firstApprovedBy?.id ?? null,
});

/** The grant written now, so that the database's one-grant rule (an exclusion constraint) answers as a CONFLICT. */
async function flushGrant(tx: Em): Promise<void> {
  try {
    await tx.flush();
  } catch (e) {
    if (/grants_one_in_force/.test(String((e as Error).message))) {
      throw Problems.single(ProblemCode.CONFLICT, ['id'], 'The person already holds this role for this scope in an overlapping period; one grant per person, role and scope.');
    }
    throw e;
  }
}

/** Grants in force of a role held by people of a legal entity: what a role's quota counts. */
export async function roleHoldersIn(em: Em, roleId: string, legalEntityId: string): Promise<number> {
  const [{ n }] = await execute<{ n: number }>(
    em,
    sql`select count(*)::int as n from grants g join users u on u.id = g.user_id join organisations e on e.id = u.employer_id
      where g.role_id = ${roleId} and g.state in ('active', 'suspended') and coalesce(e.legal_entity_id, e.id) = ${legalEntityId}`,
  );
  return Number(n);
}

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

  /** Orders a grant for one employee in the orderer's scope. */
  async create(input: OrderCreateInput): Promise<Order> {
    const results = await this.createMany({ ...input, people: [input.person], scope: input.scope }, true);
    const [result] = results;
    if (result.problems.length) throw new ProblemsFound(result.problems);
    return result.order!;
  }

  /**
   * Orders the same grant for many employees: each person gets their own order or their own
   * problems. Everything is read in a few set-based statements and written in one transaction.
   */
  async createMany(input: BulkOrderInput, single = false): Promise<BulkResult[]> {
    const viewer = this.actor.policy.requireUser();
    checkHeadcount(input.people);
    const terms = await this.readSharedTerms(input);
    return this.actor.em.transactional(async (tx) => {
      const ids = input.people.map((p) => idOfType(p, 'User'));
      const roster = await this.readRoster(tx, terms, ids);
      const scopeId = input.scope ? idOfType(input.scope, 'Organisation') : null;
      const bulk: BulkOrder = { terms, single, scope: input.scope, scopeId, roster };
      const seen = new Set<string>();
      const verdicts = ids.map((id, i) => this.checkPerson(bulk, id, i, seen));
      const orders = this.placeOrders(tx, bulk, verdicts, viewer.id);
      this.auditSubmissions(tx, orders, terms.justification);
      return verdicts.map((v, i) => ({ person: input.people[i], order: orders[i], problems: v.problems }));
    });
  }

  /**
   * Approves an order and issues its grant. Where the routine asks two approvers for the role, the
   * first approval is recorded and the order waits for a second administrator (never the first).
   */
  approve(id: string, reason: string | null | undefined, rejectedSubAreas: string[] = []): Promise<Order> {
    return this.decide(id, async (tx, order, rules) => {
      const before = snapshot(order);
      const why = reason?.trim() || null;
      const viewerId = this.actor.viewer.user!.id;
      const twoStage = rules.roles[order.role.code]?.secondApproval === true;
      if (twoStage && order.firstApprovedBy?.id === viewerId) {
        throw Problems.single(ProblemCode.SAME_APPROVER, ['id'], 'You gave the first approval: a second, different administrator approves.');
      }
      await tx.populate(order, ['subAreas']);
      const issuing = !twoStage || Boolean(order.firstApprovedBy);
      const rejected = this.rejectedSubAreasOf(order, rejectedSubAreas, why, issuing);
      // Quota and duplicates are checked at both stages: a first approval that could never pass is refused at once.
      await this.checkQuota(tx, order, rules);
      await this.checkNoDuplicate(tx, order);
      if (twoStage && !order.firstApprovedBy) {
        order.firstApprovedBy = tx.getReference(User, viewerId);
        order.firstApprovedAt = this.actor.now();
        tx.create(OrderEvent, { order, fromState: order.state, toState: order.state, actor: order.firstApprovedBy, reason: why, stage: ApprovalStage.FIRST });
        this.record(tx, 'order.firstApproval', order, before, why);
        return order;
      }
      await tx.populate(order, ['user']);
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
      for (const area of order.subAreas) if (!rejected.includes(area.id)) grant.subAreas.add(area);
      order.grant = grant;
      this.transition(tx, order, OrderState.APPROVED, why, before, twoStage ? ApprovalStage.SECOND : null, rejected.length ? { rejectedSubAreas: rejected } : {});
      audit(tx, this.actor.viewer, this.actor.requestId, {
        action: 'grant.issue',
        targetType: 'Grant',
        targetId: grant.id,
        organisationId: order.user.employer.id,
        after: { order: order.id, role: order.role.id, scope: order.scope.id, validFrom: order.validFrom.toISOString(), validTo: order.validTo?.toISOString() ?? null },
      });
      await this.notify(tx, order, 'approved', reason?.trim() || null);
      await flushGrant(tx);
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

  /**
   * The orderer resubmits an order sent back, fixed: new dates or justification, other sub-areas, and
   * attachments added or (with replaceAttachments) replacing the earlier ones. Replaced attachments
   * are kept, marked with when; the audit trail holds each version's terms.
   */
  async resubmit(id: string, change: ResubmitInput): Promise<Order> {
    const problems = new Problems();
    const uploads: { kind: DocumentKind; subArea: string | null; file: ReceivedFile; index: number }[] = [];
    for (const [i, a] of (change.attachments ?? []).entries()) {
      const file = await acceptUpload(a.file, ['input', 'attachments', String(i), 'file'], this.uploads.uploadMaxFileSize, problems);
      if (file) uploads.push({ kind: a.kind, subArea: a.subArea ?? null, file, index: i });
    }
    return this.own(id, async (tx, order) => {
      if (order.state !== OrderState.RETURNED) throw Problems.single(ProblemCode.INVALID_STATE, ['id'], `Only an order sent back can be resubmitted; this one is ${order.state}.`);
      await tx.populate(order, ['routine', 'role', 'subAreas']);
      const validFrom = change.validFrom ?? order.validFrom;
      const validTo = change.validTo === undefined ? (order.validTo ?? null) : change.validTo;
      problems.period(validFrom, validTo, ['input', 'validTo']);
      const subAreas = change.subAreas ? await this.subAreasOf(tx, order.service.id, change.subAreas, problems) : order.subAreas.getItems();
      const current = await tx.find(OrderAttachment, { order, replacedAt: null }, { populate: ['document'], exclude: ['document.content'] as never });
      // An attachment for a sub-area no longer asked for goes with it.
      const kept = change.replaceAttachments ? [] : current.filter((a) => !a.subArea || subAreas.some((s) => s.id === a.subArea!.id));
      const added = uploads.map((u) => {
        const subAreaId = u.subArea ? idOfType(u.subArea, 'SubArea') : null;
        const subArea = subAreaId ? (subAreas.find((s) => s.id === subAreaId) ?? null) : null;
        if (u.subArea && !subArea) problems.add(ProblemCode.INVALID, ['input', 'attachments', String(u.index), 'subArea'], 'The attachment names a sub-area the order does not ask for.');
        return { ...u, subArea };
      });
      const files = [...kept.map((a) => ({ kind: a.document.kind, subArea: a.subArea ?? null })), ...added.map((a) => ({ kind: a.kind, subArea: a.subArea }))];
      checkAttachments(order.routine.rules, { role: order.role, subAreas, files }, problems);
      problems.throwIfAny();
      const before = { ...snapshot(order), ...(await this.termsOf(tx, order)) };
      order.validFrom = validFrom;
      order.validTo = validTo;
      if (change.justification !== undefined) order.justification = change.justification?.trim() || null;
      if (change.subAreas) {
        order.subAreas.removeAll();
        for (const area of subAreas) order.subAreas.add(area);
      }
      const now = this.actor.now();
      for (const a of current) if (!kept.includes(a)) a.replacedAt = now;
      for (const a of added) {
        tx.create(OrderAttachment, { order, document: storeDocument(tx, a.file, a.kind, this.actor.viewer.user!.id), subArea: a.subArea });
      }
      // Changed terms are approved afresh: a first approval of what was sent back no longer counts.
      order.firstApprovedBy = null;
      order.firstApprovedAt = null;
      await tx.flush();
      this.transition(tx, order, OrderState.SUBMITTED, null, before, null, await this.termsOf(tx, order));
      return order;
    });
  }

  /**
   * The order's sub-areas an approval leaves out, by id: each one the order asks for, at least one
   * left approved (else it is a rejection), a reason given, and only with the approval that issues the grant.
   */
  private rejectedSubAreasOf(order: Order, globalIds: string[], reason: string | null, issuing: boolean): string[] {
    if (globalIds.length === 0) return [];
    const field = ['input', 'rejectedSubAreas'];
    if (!issuing) throw Problems.single(ProblemCode.INVALID, field, 'Sub-areas are decided with the second approval, which issues the grant.');
    const asked = order.subAreas.getItems().map((s) => s.id);
    const problems = new Problems();
    const ids = globalIds.map((g, i) => {
      const id = idOfType(g, 'SubArea');
      if (!id || !asked.includes(id)) problems.add(ProblemCode.INVALID, [...field, String(i)], 'The order does not ask for this sub-area.');
      return id ?? '';
    });
    const rejected = [...new Set(ids)];
    if (!problems.any && rejected.length >= asked.length) problems.add(ProblemCode.INVALID, field, 'Every sub-area would be rejected: reject the order instead.');
    if (!reason) problems.add(ProblemCode.REQUIRED, ['input', 'reason'], 'Say why the sub-areas left out are not approved.');
    problems.throwIfAny();
    return rejected;
  }

  /** Sub-areas of a service by global id; unknown ones are problems at their place in the input. */
  private async subAreasOf(tx: Em, serviceId: string, globalIds: string[], problems: Problems): Promise<SubArea[]> {
    const ids = globalIds.map((g) => idOfType(g, 'SubArea'));
    const found = ids.every(Boolean) && ids.length ? await tx.find(SubArea, { id: { $in: ids as string[] }, service: serviceId }) : [];
    ids.forEach((sid, i) => {
      if (!sid || !found.some((s) => s.id === sid)) problems.add(ProblemCode.NOT_FOUND, ['input', 'subAreas', String(i)], 'No sub-area of this service with this id.');
    });
    return found;
  }

  /** What was decided on besides the dates: sub-areas and the attachments in force, for the audit trail's versions. */
  private async termsOf(tx: Em, order: Order): Promise<{ subAreas: string[]; attachments: { document: string; subArea: string | null }[] }> {
    const attachments = await tx.find(OrderAttachment, { order, replacedAt: null }, { fields: ['document', 'subArea'] });
    return {
      subAreas: order.subAreas.getItems().map((s) => s.id),
      attachments: attachments.map((a) => ({ document: a.document.id, subArea: a.subArea?.id ?? null })),
    };
  }

  /** The terms every person of a bulk order shares, uploads accepted; any problem refuses the whole order. */
  private async readSharedTerms(input: OrderTerms): Promise<Terms> {
    const problems = new Problems();
    const terms = await this.readTerms(input, problems);
    problems.throwIfAny();
    return terms!;
  }

  /** Reads once, in a few set-based statements, what judging every named person needs. */
  private async readRoster(tx: Em, terms: Terms, ids: (string | null)[]): Promise<Roster> {
    const valid = [...new Set(ids.filter((id): id is string => id !== null))];
    const people = await this.peopleInScope(tx, valid);
    const routines = new Map<string, Routine | null>();
    for (const kind of new Set([...people.values()].map((p) => p.kind))) {
      routines.set(kind, await routineInForce(tx, terms.service.id, kind as never, terms.validFrom));
    }
    const byOrderer = await this.orderable(tx, valid, terms.service.id, true);
    const byAnyone = await this.orderable(tx, valid, terms.service.id, false);
    const issuers = await responsibleIssuers(tx, terms.service.id, valid);
    const undecided = await this.withUndecidedOrder(tx, valid, terms.role.id);
    const held = await this.heldGrants(tx, valid, terms);
    const ownerPath = (await tx.findOneOrFail(Organisation, terms.service.owner.id)).path;
    const scopes = [...new Set([...people.values()].flatMap((p) => [p.employerId, ...p.placements]))];
    const closed = scopes.length ? await execute<{ id: string }>(tx, sql`select id from organisations where id in (${scopes}) and closed_at is not null`) : [];
    return { people, routines, byOrderer, byAnyone, issuers, undecided, held, ownerPath, closed: new Set(closed.map((c) => c.id)) };
  }

  /** The named people the actor may see, with their employer's legal-entity kind (it picks the routine) and current placements. */
  private async peopleInScope(tx: Em, ids: string[]): Promise<Map<string, PersonInScope>> {
    if (!ids.length) return new Map();
    const rows = await execute<{ id: string; employer_id: string; employer_path: string; kind: string; placements: string[] | string | null }>(
      tx,
      sql`select u.id, u.employer_id, e.path as employer_path, le.kind,
          (select array_agg(p.organisation_id) from placements p where p.user_id = u.id and p.valid_from <= now()
            and (p.valid_to is null or p.valid_to > now())) as placements
        from users u join organisations e on e.id = u.employer_id join organisations le on le.id = coalesce(e.legal_entity_id, e.id)
        where u.id in (${ids}) and ${this.actor.policy.readableUsers('u')}`,
    );
    return new Map(
      rows.map((r) => [r.id, { id: r.id, employerId: r.employer_id, employerPath: r.employer_path, kind: r.kind, placements: parseIdArray(r.placements) }]),
    );
  }

  /** Who may be ordered for: orderer scopes, plus administered people unless the routine wants an orderer. */
  private async orderable(tx: Em, ids: string[], serviceId: string, ordererOnly: boolean): Promise<Set<string>> {
    if (!ids.length) return new Set();
    const rows = await execute<{ id: string }>(tx, sql`select u.id from users u where u.id in (${ids}) and ${this.actor.policy.orderablePeople('u', serviceId, ordererOnly)}`);
    return new Set(rows.map((r) => r.id));
  }

  /** People who already have an order for the role waiting for a decision or for changes. */
  private async withUndecidedOrder(tx: Em, ids: string[], roleId: string): Promise<Set<string>> {
    if (!ids.length) return new Set();
    const rows = await execute<{ user_id: string }>(tx, sql`select user_id from orders where user_id in (${ids}) and role_id = ${roleId} and state in ('submitted', 'returned')`);
    return new Set(rows.map((r) => r.user_id));
  }

  /** Grants of the role the named people hold, active or suspended, overlapping the ordered period. */
  private async heldGrants(tx: Em, ids: string[], terms: Terms): Promise<Map<string, HeldGrant[]>> {
    const held = new Map<string, HeldGrant[]>();
    if (!ids.length) return held;
    const rows = await grantsInForce(tx, { userIds: ids, roleId: terms.role.id, validFrom: terms.validFrom, validTo: terms.validTo ?? null });
    for (const r of rows) held.set(r.userId, [...(held.get(r.userId) ?? []), { id: r.id, scope: r.scopeId }]);
    return held;
  }

  /** One named person's problems, or what their order is placed with. */
  private checkPerson(bulk: BulkOrder, id: string | null, index: number, seen: Set<string>): Verdict {
    const { terms, roster } = bulk;
    const field = personField(bulk.single, index);
    const person = id ? roster.people.get(id) : undefined;
    if (!id || !person) return { problems: [problem(ProblemCode.NOT_FOUND, field, 'No person in your scope with this id.')] };
    const errors = new Problems();
    if (seen.has(id)) errors.add(ProblemCode.CONFLICT, field, 'The person is named twice: one order per person.');
    seen.add(id);
    const routine = roster.routines.get(person.kind) ?? null;
    let orderable = false;
    if (!routine) {
      errors.add(ProblemCode.NOT_ELIGIBLE, field, 'No routine of the service applies to this person.');
    } else {
      if (!routine.rules.eligibleOrganisationKinds.includes(person.kind as never) && !person.employerPath.startsWith(roster.ownerPath)) {
        errors.add(ProblemCode.NOT_ELIGIBLE, field, 'Staff of this organisation cannot use the service under its routine.');
      }
      const allowed = routine.rules.orderingRequiresOrderer ? roster.byOrderer : roster.byAnyone;
      orderable = allowed.has(id);
      if (!orderable) {
        const message = routine.rules.orderingRequiresOrderer ? 'Orders for this person come from an appointed orderer.' : 'You may not order for this person.';
        // One person: a plain authorization failure. Many: that person's own error, the others go on.
        if (bulk.single) throw AccessDenied.forbidden(message);
        errors.add(ProblemCode.NOT_ELIGIBLE, field, message);
      }
      this.actor.policy.requireAssurance(routine.rules.assurance[SensitiveAction.ORDER_SUBMIT]);
      checkAttachments(routine.rules, terms, errors, ['input']);
      if (orderable && id === this.actor.viewer.user?.id && !routine.rules.selfOrdering) {
        errors.add(ProblemCode.SELF_ORDER, field, 'The routine does not let you order for yourself: another orderer or administrator orders for you.');
      }
    }
    // Only whoever may order for the person hears of their undecided order: others may not read it.
    if (orderable && roster.undecided.has(id)) errors.add(ProblemCode.CONFLICT, field, 'The person already has an undecided order for this role.');
    const { scopeId } = bulk;
    if (bulk.scope && (!scopeId || (scopeId !== person.employerId && !person.placements.includes(scopeId)))) {
      errors.add(ProblemCode.INVALID, ['input', 'scope'], "The scope must be the person's employer or an organisation they are placed at.");
    }
    if (orderable && roster.closed.has(scopeId ?? person.employerId)) errors.add(ProblemCode.ORGANISATION_CLOSED, ['input', 'scope'], 'The organisation is closed: no new order is scoped to it.');
    const duplicate = orderable ? roster.held.get(id)?.find((g) => g.scope === (scopeId ?? person.employerId)) : undefined;
    if (duplicate) errors.add(ProblemCode.CONFLICT, field, duplicateGrantMessage(duplicate.id));
    if (errors.any || !routine) return { problems: errors.list };
    return { problems: [], placement: { user: id, scope: scopeId ?? person.employerId, routine } };
  }

  /**
   * Creates the orders of the people who passed, one per verdict (null for the others). The shared
   * attachments are stored once, and only when some order takes them.
   */
  private placeOrders(tx: Em, bulk: BulkOrder, verdicts: Verdict[], ordererId: string): (Order | null)[] {
    const t = bulk.terms;
    const documents = verdicts.some((v) => v.placement) ? t.files.map((f) => storeDocument(tx, f.file, f.kind, ordererId)) : [];
    return verdicts.map(({ placement }) => {
      if (!placement) return null;
      const decider = placement.routine.rules.decider === Decider.AUTHORITY ? t.service.owner.id : bulk.roster.issuers.get(placement.user)!;
      const order = tx.create(Order, {
        kind: OrderKind.ORDER,
        user: tx.getReference(User, placement.user),
        service: t.service,
        role: t.role,
        scope: tx.getReference(Organisation, placement.scope),
        validFrom: t.validFrom,
        validTo: t.validTo,
        justification: t.justification,
        orderedBy: tx.getReference(User, ordererId),
        decider: tx.getReference(Organisation, decider),
        routine: placement.routine,
      });
      for (const area of t.subAreas) order.subAreas.add(area);
      t.files.forEach((f, i) => tx.create(OrderAttachment, { order, document: documents[i], subArea: f.subArea }));
      tx.create(OrderEvent, { order, fromState: null, toState: OrderState.SUBMITTED, actor: tx.getReference(User, ordererId) });
      return order;
    });
  }

  private auditSubmissions(tx: Em, orders: (Order | null)[], justification: string | null): void {
    for (const order of orders) if (order) this.record(tx, 'order.submit', order, null, justification);
  }

  private async decide(id: string, work: (tx: Em, order: Order, rules: RoutineRules) => Promise<Order>): Promise<Order> {
    const { policy, em } = this.actor;
    policy.requireUser();
    return em.transactional(async (tx) => {
      const order = await this.lockOrder(tx, id, 'decide', "Only the person's responsible issuer decides on orders.");
      await tx.populate(order, ['routine', 'role']);
      policy.requireAssurance(order.routine.rules.assurance[SensitiveAction.ORDER_DECIDE]);
      if (order.state !== OrderState.SUBMITTED) throw Problems.single(ProblemCode.INVALID_STATE, ['id'], `The order is ${order.state}, not waiting for a decision.`);
      checkFourEyes(order, this.actor.viewer.user!.id);
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
    const n = await roleHoldersIn(tx, order.role.id, entity.id);
    if (n >= quota) {
      throw Problems.single(ProblemCode.QUOTA_EXCEEDED, ['id'], `${entity.name} already has ${n} of at most ${quota} people with the role "${order.role.name}".`);
    }
  }

  /**
   * One active grant per person, service, role and scope: the holder's row is locked so approvals for
   * the same person run one after another and the later one sees the earlier one's grant.
   */
  private async checkNoDuplicate(tx: Em, order: Order): Promise<void> {
    await execute(tx, sql`select 1 from users where id = ${order.user.id} for update`);
    const [held] = await grantsInForce(tx, { userIds: [order.user.id], roleId: order.role.id, scopeId: order.scope.id, validFrom: order.validFrom, validTo: order.validTo ?? null });
    if (held) throw Problems.single(ProblemCode.CONFLICT, ['id'], duplicateGrantMessage(held.id));
  }

  private transition(
    tx: Em,
    order: Order,
    to: OrderState,
    reason: string | null,
    before: Record<string, unknown>,
    stage: ApprovalStage | null = null,
    terms: Record<string, unknown> = {},
  ): void {
    const from = order.state;
    const actor = tx.getReference(User, this.actor.viewer.user!.id);
    order.state = to;
    if (to === OrderState.APPROVED || to === OrderState.REJECTED || to === OrderState.RETURNED) {
      order.decisionReason = reason;
      order.decidedAt = this.actor.now();
      order.decidedBy = actor;
    }
    tx.create(OrderEvent, { order, fromState: from, toState: to, actor, reason, stage });
    this.record(tx, `order.${to === OrderState.RETURNED ? 'sendBack' : to === OrderState.SUBMITTED ? 'resubmit' : to}`, order, before, reason, terms);
  }

  private record(tx: Em, action: string, order: Order, before: Record<string, unknown> | null, reason: string | null, terms: Record<string, unknown> = {}): void {
    audit(tx, this.actor.viewer, this.actor.requestId, {
      action,
      targetType: 'Order',
      targetId: order.id,
      organisationId: order.scope.id,
      before,
      after: { ...snapshot(order), ...terms },
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

