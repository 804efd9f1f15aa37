import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { DocumentType } from '../documents/document.type.js';
import { GrantType } from '../grants/grant.type.js';
import type { Context } from '../graphql/context.js';
import { idOfType } from '../domain/global-id.js';
import { withUserErrors } from '../graphql/payload.js';
import { PageArgs, pageRequest, registerNode } from '../graphql/relay.js';
import { UserError } from '../graphql/user-errors.js';
import { OrganisationType } from '../organisations/organisation.type.js';
import { RoutineType } from '../routines/routine.type.js';
import type { ServiceRole } from '../services/service.entity.js';
import { ServiceRoleType, ServiceType, SubAreaType } from '../services/service.type.js';
import { ProfileCompletePayload, UserType } from '../users/user.type.js';
import { Order, OrderAttachment, OrderState } from './order.entity.js';
import { OrderRepository } from './order.repository.js';
import { OrderService } from './order.service.js';
import {
  OrderBulkCreateInput,
  OrderBulkCreatePayload,
  OrderConnection,
  OrderCreateInput,
  OrderDecisionInput,
  OrderAttachmentType,
  RoleQuotaType,
  OrderEventType,
  OrderPayload,
  OrderResubmitInput,
  ProfileCompleteInput,
  OrderType,
  SelfRegistrationSubmitInput,
} from './order.type.js';
import { SelfRegistrationService } from './self-registration.service.js';

registerNode(Order, {
  typeName: 'Order',
  loadVisible: async (ctx, ids) => new Map((await new OrderRepository(ctx.em, ctx.policy).findVisible(ids)).map((o) => [o.id, o])),
});

const NO_ID = '00000000-0000-0000-0000-000000000000';
const order = (ctx: Context) => new OrderService(ctx, ctx.config);

@Resolver(() => OrderType)
export class OrderResolver {
  @Query(() => OrderConnection, { description: 'Orders you may see, oldest first; `toDecide` gives your inbox as issuer.' })
  async orders(
    @Ctx() ctx: Context,
    @Args(() => PageArgs) page: PageArgs,
    @Arg('service', () => ID, { nullable: true }) service: string | null,
    @Arg('state', () => OrderState, { nullable: true }) state: OrderState | null,
    @Arg('toDecide', () => Boolean, { defaultValue: false }) toDecide: boolean,
  ) {
    ctx.policy.requireUser();
    const repo = new OrderRepository(ctx.em, ctx.policy);
    const filter = { serviceId: service ? (idOfType(service, 'Service') ?? NO_ID) : null, state, toDecide };
    return new OrderConnection(await repo.page(filter, pageRequest(page, ctx.config.maxPageSize, 2)), () => repo.count(filter));
  }

  @Mutation(() => OrderPayload, { description: 'Orders a grant for one employee in your scope.' })
  orderCreate(@Ctx() ctx: Context, @Arg('input', () => OrderCreateInput) input: OrderCreateInput) {
    return withUserErrors(OrderPayload, async () => ({ order: await order(ctx).create(input) }));
  }

  @Mutation(() => OrderBulkCreatePayload, { description: 'Orders the same grant for many employees; answers per person.' })
  orderBulkCreate(@Ctx() ctx: Context, @Arg('input', () => OrderBulkCreateInput) input: OrderBulkCreateInput) {
    return withUserErrors(OrderBulkCreatePayload, async () => ({
      results: (await order(ctx).createMany(input)).map((r) => ({ person: r.person, order: r.order, userErrors: r.problems.map((p) => UserError.from(p)) })),
    }));
  }

  @Mutation(() => OrderPayload, { description: 'Approves an order: the grant is created. Responsible issuer only.' })
  orderApprove(@Ctx() ctx: Context, @Arg('id', () => ID) id: string, @Arg('input', () => OrderDecisionInput, { nullable: true }) input: OrderDecisionInput | null) {
    return withUserErrors(OrderPayload, async () => ({ order: await order(ctx).approve(id, input?.reason, input?.rejectedSubAreas ?? []) }));
  }

  @Mutation(() => OrderPayload, { description: 'Rejects an order with a reason. Responsible issuer only.' })
  orderReject(@Ctx() ctx: Context, @Arg('id', () => ID) id: string, @Arg('input', () => OrderDecisionInput) input: OrderDecisionInput) {
    return withUserErrors(OrderPayload, async () => ({ order: await order(ctx).reject(id, input.reason ?? '') }));
  }

  @Mutation(() => OrderPayload, { description: 'Sends an order back to its orderer for changes, with a reason. Responsible issuer only.' })
  orderSendBack(@Ctx() ctx: Context, @Arg('id', () => ID) id: string, @Arg('input', () => OrderDecisionInput) input: OrderDecisionInput) {
    return withUserErrors(OrderPayload, async () => ({ order: await order(ctx).sendBack(id, input.reason ?? '') }));
  }

  @Mutation(() => OrderPayload, { description: 'Withdraws an undecided order. Whoever placed it only.' })
  orderWithdraw(@Ctx() ctx: Context, @Arg('id', () => ID) id: string, @Arg('input', () => OrderDecisionInput, { nullable: true }) input: OrderDecisionInput | null) {
    return withUserErrors(OrderPayload, async () => ({ order: await order(ctx).withdraw(id, input?.reason) }));
  }

  @Mutation(() => OrderPayload, { description: 'Resubmits an order that was sent back, with changes.' })
  orderResubmit(@Ctx() ctx: Context, @Arg('id', () => ID) id: string, @Arg('input', () => OrderResubmitInput) input: OrderResubmitInput) {
    return withUserErrors(OrderPayload, async () => ({ order: await order(ctx).resubmit(id, input) }));
  }

  @Mutation(() => OrderPayload, { description: 'Registers yourself for a service with your business e-ID (VIAS).' })
  selfRegistrationSubmit(@Ctx() ctx: Context, @Arg('input', () => SelfRegistrationSubmitInput) input: SelfRegistrationSubmitInput) {
    return withUserErrors(OrderPayload, async () => ({ order: await new SelfRegistrationService(ctx, ctx.config).submit(input) }));
  }

  @Query(() => [OrganisationType], { description: 'The organisations your e-ID lets you register under (by its registration number).' })
  selfRegistrationOrganisations(@Ctx() ctx: Context) {
    return new SelfRegistrationService(ctx, ctx.config).organisationsForIdentity();
  }

  @FieldResolver(() => UserType, { description: 'The person the grant is for.' })
  person(@Root() o: Order, @Ctx() ctx: Context) {
    return ctx.loaders.user.load(o.user.id);
  }

  @FieldResolver(() => UserType, { description: 'Who placed the order.' })
  orderedBy(@Root() o: Order, @Ctx() ctx: Context) {
    return ctx.loaders.user.load(o.orderedBy.id);
  }

  @FieldResolver(() => UserType, { nullable: true, description: 'Two-stage approval: who gave the first approval; the second is someone else.' })
  firstApprovedBy(@Root() o: Order, @Ctx() ctx: Context) {
    return o.firstApprovedBy ? ctx.loaders.user.load(o.firstApprovedBy.id) : null;
  }

  @FieldResolver(() => ServiceType)
  service(@Root() o: Order, @Ctx() ctx: Context) {
    return ctx.loaders.service.get(o.service.id);
  }

  @FieldResolver(() => ServiceRoleType)
  role(@Root() o: Order, @Ctx() ctx: Context) {
    return ctx.loaders.role.get(o.role.id);
  }

  @FieldResolver(() => [SubAreaType])
  async subAreas(@Root() o: Order, @Ctx() ctx: Context) {
    return (await ctx.loaders.subAreasByOrder.load(o.id)).map((r) => r.subArea);
  }

  @FieldResolver(() => OrganisationType)
  scope(@Root() o: Order, @Ctx() ctx: Context) {
    return ctx.loaders.organisation.get(o.scope.id);
  }

  @FieldResolver(() => OrganisationType, { description: 'The issuer that decides.' })
  decider(@Root() o: Order, @Ctx() ctx: Context) {
    return ctx.loaders.organisation.get(o.decider.id);
  }

  @FieldResolver(() => RoutineType, { description: 'The routine in force when it was submitted: the one it is judged by.' })
  routine(@Root() o: Order, @Ctx() ctx: Context) {
    return ctx.loaders.routine.load(o.routine.id);
  }

  @FieldResolver(() => GrantType, { nullable: true, description: 'The grant created by the approval.' })
  grant(@Root() o: Order, @Ctx() ctx: Context) {
    return o.grant ? ctx.loaders.grant.load(o.grant.id) : null;
  }

  @FieldResolver(() => [DocumentType])
  async attachments(@Root() o: Order, @Ctx() ctx: Context) {
    return (await ctx.loaders.attachmentsByOrder.load(o.id)).filter((a) => !a.replacedAt).map((a) => a.document);
  }

  @FieldResolver(() => [OrderEventType], { description: 'Every state change: who, when, why.' })
  history(@Root() o: Order, @Ctx() ctx: Context) {
    return ctx.loaders.eventsByOrder.load(o.id);
  }

  @FieldResolver(() => [OrderAttachmentType], {
    description: 'Every attachment with the sub-area it supports (a CV per area), those a resubmission replaced included; `attachments` lists the current documents alone.',
  })
  async supportingDocuments(@Root() o: Order, @Ctx() ctx: Context) {
    return ctx.loaders.attachmentsByOrder.load(o.id);
  }
}

@Resolver(() => OrderAttachmentType)
export class OrderAttachmentResolver {
  @FieldResolver(() => DocumentType)
  document(@Root() a: OrderAttachment) {
    return a.document;
  }

  @FieldResolver(() => SubAreaType, { nullable: true, description: 'The sub-area the document supports; null where the routine wants one for the whole order.' })
  subArea(@Root() a: OrderAttachment) {
    return a.subArea ?? null;
  }
}

/** The basic-information form after an approved self-registration. */
@Resolver(() => UserType)
export class ProfileResolver {
  @Mutation(() => ProfileCompletePayload, {
    name: 'profileComplete',
    description: 'Fills in your basic-information form (asked at the first sign-in after approval).',
  })
  completeProfile(@Ctx() ctx: Context, @Arg('input', () => ProfileCompleteInput) input: ProfileCompleteInput): Promise<ProfileCompletePayload> {
    return withUserErrors(ProfileCompletePayload, async () => ({ user: await new SelfRegistrationService(ctx, ctx.config).completeProfile(input) }));
  }
}

@Resolver(() => OrderEventType)
export class OrderEventResolver {
  @FieldResolver(() => UserType, { nullable: true })
  actor(@Root() e: { actor?: { id: string } | null }, @Ctx() ctx: Context) {
    return e.actor ? ctx.loaders.user.load(e.actor.id) : null;
  }
}

/** A role's quota seen from the asker's own organisation: ordering is the concept that counts it. */
@Resolver(() => ServiceRoleType)
export class RoleQuotaResolver {
  @FieldResolver(() => RoleQuotaType, {
    nullable: true,
    description: "The role's quota for your organisation (the one your e-ID names, else your employer): null where the routine sets none.",
  })
  async quotaOfMyOrganisation(@Root() role: ServiceRole, @Ctx() ctx: Context): Promise<RoleQuotaType | null> {
    const quota = await new SelfRegistrationService(ctx, ctx.config).quotaOfOwnOrganisation(role);
    return quota ? { ...quota, full: quota.used >= quota.limit } : null;
  }
}
