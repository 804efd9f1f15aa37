import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import type { Context } from '../graphql/context.js';
import { withUserErrors } from '../graphql/payload.js';
import { PageArgs, pageRequest, registerNode } from '../graphql/relay.js';
import { DateTime } from '../graphql/scalars.js';
import { OrganisationKind } from '../organisations/organisation.entity.js';
import { Service } from '../services/service.entity.js';
import { RoutineRepository } from './routine.repository.js';
import { ServiceType } from '../services/service.type.js';
import { Routine } from './routine.entity.js';
import { DEFAULT_MOVE_REVIEW_DAYS, GrantsOnMove, type RoutineRules } from './routine.rules.js';
import { RoutineService } from './routine.service.js';
import { RoutineConnection, RoutineCreateInput, RoutineCreatePayload, RoutineRulesType, RoutineType } from './routine.type.js';

// Routines are the published rules of a service: public, like the service catalogue.
registerNode(Routine, {
  typeName: 'Routine',
  loadVisible: async (ctx, ids) => new Map((await ctx.em.find(Routine, { id: { $in: ids } })).map((r) => [r.id, r])),
});

export function rulesView(rules: RoutineRules): RoutineRulesType {
  return {
    ...rules,
    selfOrdering: rules.selfOrdering ?? false,
    grantsOnMove: rules.grantsOnMove ?? GrantsOnMove.END,
    moveReviewDays: rules.moveReviewDays ?? DEFAULT_MOVE_REVIEW_DAYS,
    roles: Object.entries(rules.roles).map(([role, r]) => ({ role, ...r, secondApproval: r.secondApproval ?? false })),
    assurance: Object.entries(rules.assurance).map(([action, level]) => ({ action, level })) as RoutineRulesType['assurance'],
  };
}

@Resolver(() => RoutineType)
export class RoutineResolver {
  @Mutation(() => RoutineCreatePayload, { description: "Publishes a service's new routine, in force from its date. Authority only." })
  routineCreate(
    @Ctx() ctx: Context,
    @Arg('service', () => ID) service: string,
    @Arg('input', () => RoutineCreateInput) input: RoutineCreateInput,
  ): Promise<RoutineCreatePayload> {
    return withUserErrors(RoutineCreatePayload, async () => ({ routine: await new RoutineService(ctx).create(service, input) }));
  }

  @FieldResolver(() => ServiceType)
  service(@Root() routine: Routine, @Ctx() ctx: Context) {
    return ctx.loaders.service.get(routine.service.id);
  }

  @FieldResolver(() => RoutineRulesType)
  rules(@Root() routine: Routine) {
    return rulesView(routine.rules);
  }
}

@Resolver(() => ServiceType)
export class ServiceRoutineResolver {
  @FieldResolver(() => RoutineConnection, { description: 'All routines of the service, oldest first: the history of its rules.' })
  async routines(@Root() service: Service, @Ctx() ctx: Context, @Args(() => PageArgs) page: PageArgs) {
    const repo = new RoutineRepository(ctx.em);
    const request = pageRequest(page, ctx.config.maxPageSize, 2);
    return new RoutineConnection(await repo.page(service.id, request), () => repo.count(service.id));
  }

  @FieldResolver(() => RoutineType, { nullable: true, description: 'The routine that applies to an organisation kind at a moment (default: now).' })
  routineInForce(
    @Root() service: Service,
    @Ctx() ctx: Context,
    @Arg('organisationKind', () => OrganisationKind, { nullable: true }) kind: OrganisationKind | null,
    @Arg('at', () => DateTime, { nullable: true }) at: Date | null,
  ) {
    return new RoutineRepository(ctx.em).inForce(service.id, kind, at ?? new Date());
  }
}
