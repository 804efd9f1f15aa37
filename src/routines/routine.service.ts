import { audit } from '../audit/audit.service.js';
import type { Actor } from '../auth/actor.js';
import { Problems } from '../domain/problems.js';
import { requireService } from '../services/service.service.js';
import { AccessDenied, ProblemCode } from '../domain/errors.js';
import { ServiceRole } from '../services/service.entity.js';
import { User } from '../users/user.entity.js';
import type { Em } from '../db/orm.js';
import { Routine } from './routine.entity.js';
import { RoutineRepository } from './routine.repository.js';
import { DEFAULT_MOVE_REVIEW_DAYS, GrantsOnMove, validateRules, type RoleRule, type RoutineRules, type SensitiveAction } from './routine.rules.js';
import type { AssuranceLevel } from '../auth/assurance.js';
import type { OrganisationKind } from '../organisations/organisation.entity.js';

/** A new routine as the core takes it, from whichever edge: the rules, with roles and levels as lists. */
export type RoutineCreateInput = Omit<RoutineRules, 'roles' | 'assurance' | 'grantsOnMove' | 'moveReviewDays'> & {
  grantsOnMove?: RoutineRules['grantsOnMove'] | null;
  moveReviewDays?: number | null;
  name: string;
  organisationKind?: OrganisationKind | null;
  effectiveFrom: Date;
  roles: (Omit<RoleRule, 'quotaPerOrganisation'> & { role: string; quotaPerOrganisation?: number | null })[];
  assurance: { action: SensitiveAction; level: AssuranceLevel }[];
};

const DAY = 24 * 3600 * 1000;

/** The routine a service applies to an organisation kind at a moment (see RoutineRepository.inForce). */
export function routineInForce(em: Em, serviceId: string, kind: OrganisationKind | null, at?: Date): Promise<Routine | null> {
  return new RoutineRepository(em).inForce(serviceId, kind, at);
}

/** The routine a person employed at an organisation is judged by at a moment: its legal entity's kind decides. */
export function routineInForceFor(em: Em, serviceId: string, organisationId: string, at?: Date): Promise<Routine | null> {
  return new RoutineRepository(em).inForceForOrganisation(serviceId, organisationId, at);
}

/** New routines take effect from a date; nothing already in force is rewritten. */
export class RoutineService {
  constructor(private readonly actor: Actor) {}

  async create(serviceGlobalId: string, input: RoutineCreateInput): Promise<Routine> {
    const { policy, em } = this.actor;
    const viewer = policy.requireUser();
    const service = await requireService(em, serviceGlobalId, ['service']);
    if (!policy.authorityRole(service.id)) throw AccessDenied.forbidden("Only the service's authority sets its routines.");
    const problems = new Problems();
    const name = problems.text(input.name, ['input', 'name'], 200);
    // Midnight UTC today: a routine may start today but never before.
    const today = new Date(Math.floor(Date.now() / DAY) * DAY);
    if (input.effectiveFrom < today) problems.add(ProblemCode.DATE_ORDER, ['input', 'effectiveFrom'], 'A new routine cannot take effect in the past.');
    const rules: RoutineRules = {
      decider: input.decider,
      issuerThreshold: input.issuerThreshold,
      eligibleOrganisationKinds: input.eligibleOrganisationKinds,
      orderingRequiresOrderer: input.orderingRequiresOrderer,
      selfRegistration: input.selfRegistration,
      selfOrdering: input.selfOrdering ?? false,
      ordererRequestAttachments: input.ordererRequestAttachments,
      grantsOnMove: input.grantsOnMove ?? GrantsOnMove.END,
      moveReviewDays: input.moveReviewDays ?? DEFAULT_MOVE_REVIEW_DAYS,
      roles: Object.fromEntries(
        input.roles.map((r) => [r.role, {
            attachments: r.attachments,
            attachmentsPerSubArea: r.attachmentsPerSubArea,
            quotaPerOrganisation: r.quotaPerOrganisation ?? null,
            secondApproval: r.secondApproval ?? false,
          },]),
      ),
      assurance: Object.fromEntries(input.assurance.map((a) => [a.action, a.level])),
    };
    const roleCodes = (await em.find(ServiceRole, { service })).map((r) => r.code);
    for (const [path, message] of validateRules(rules, roleCodes)) problems.add(ProblemCode.INVALID, ['input', ...path.split('.')], message);
    if (new Set(input.roles.map((r) => r.role)).size !== input.roles.length) problems.add(ProblemCode.INVALID, ['input', 'roles'], 'Each role may appear once.');
    problems.throwIfAny();
    return em.transactional(async (tx) => {
      const routine = tx.create(Routine, {
        service,
        organisationKind: input.organisationKind ?? null,
        effectiveFrom: input.effectiveFrom,
        name,
        rules,
        createdBy: tx.getReference(User, viewer.id),
      });
      audit(tx, this.actor.viewer, this.actor.requestId, {
        action: 'routine.create',
        targetType: 'Routine',
        targetId: routine.id,
        organisationId: service.owner.id,
        after: { name, organisationKind: routine.organisationKind, effectiveFrom: routine.effectiveFrom.toISOString(), rules },
      });
      return routine;
    });
  }
}
