import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { DocumentType } from '../documents/document.type.js';
import type { Context } from '../graphql/context.js';
import { idOfType } from '../domain/global-id.js';
import { withUserErrors } from '../graphql/payload.js';
import { PageArgs, pageRequest, registerNode } from '../graphql/relay.js';
import { OrganisationType } from '../organisations/organisation.type.js';
import { RoutineType } from '../routines/routine.type.js';
import { ServiceType } from '../services/service.type.js';
import { UserType } from '../users/user.type.js';
import { AppointmentState, OrdererAppointment } from './orderer-appointment.entity.js';
import { OrdererAppointmentRepository } from './orderer-appointment.repository.js';
import { OrdererAppointmentService } from './orderer-appointment.service.js';
import {
  OrdererAppointmentConnection,
  OrdererAppointmentDecisionInput,
  OrdererAppointmentPayload,
  OrdererAppointmentRequestInput,
  OrdererAppointmentType,
} from './orderer-appointment.type.js';

registerNode(OrdererAppointment, {
  typeName: 'OrdererAppointment',
  loadVisible: async (ctx, ids) => new Map((await new OrdererAppointmentRepository(ctx.em, ctx.policy).findVisible(ids)).map((a) => [a.id, a])),
});

const NO_ID = '00000000-0000-0000-0000-000000000000';

@Resolver(() => OrdererAppointmentType)
export class OrdererAppointmentResolver {
  @Query(() => OrdererAppointmentConnection, { description: 'Your own appointments and those of the people you administer.' })
  async ordererAppointments(
    @Ctx() ctx: Context,
    @Args(() => PageArgs) page: PageArgs,
    @Arg('service', () => ID, { nullable: true }) service: string | null,
    @Arg('state', () => AppointmentState, { nullable: true }) state: AppointmentState | null,
  ) {
    ctx.policy.requireUser();
    const repo = new OrdererAppointmentRepository(ctx.em, ctx.policy);
    const filter = { serviceId: service ? (idOfType(service, 'Service') ?? NO_ID) : null, state };
    return new OrdererAppointmentConnection(await repo.page(filter, pageRequest(page, ctx.config.maxPageSize, 2)), () => repo.count(filter));
  }

  @Mutation(() => OrdererAppointmentPayload, { description: 'Asks to become orderer for a part of your organisation, with the signed form.' })
  ordererAppointmentRequest(@Ctx() ctx: Context, @Arg('input', () => OrdererAppointmentRequestInput) input: OrdererAppointmentRequestInput) {
    return withUserErrors(OrdererAppointmentPayload, async () => ({ ordererAppointment: await new OrdererAppointmentService(ctx, ctx.config).request(input) }));
  }

  @Mutation(() => OrdererAppointmentPayload, { description: "Approves a request. The person's responsible issuer only." })
  ordererAppointmentApprove(
    @Ctx() ctx: Context,
    @Arg('id', () => ID) id: string,
    @Arg('input', () => OrdererAppointmentDecisionInput, { nullable: true }) input: OrdererAppointmentDecisionInput | null,
  ) {
    return withUserErrors(OrdererAppointmentPayload, async () => ({ ordererAppointment: await new OrdererAppointmentService(ctx, ctx.config).approve(id, input?.reason) }));
  }

  @Mutation(() => OrdererAppointmentPayload, { description: "Rejects a request with a reason. The person's responsible issuer only." })
  ordererAppointmentReject(@Ctx() ctx: Context, @Arg('id', () => ID) id: string, @Arg('input', () => OrdererAppointmentDecisionInput) input: OrdererAppointmentDecisionInput) {
    return withUserErrors(OrdererAppointmentPayload, async () => ({ ordererAppointment: await new OrdererAppointmentService(ctx, ctx.config).reject(id, input.reason ?? '') }));
  }

  @Mutation(() => OrdererAppointmentPayload, { description: "Revokes an approved appointment with a reason. The person's responsible issuer only." })
  ordererAppointmentRevoke(@Ctx() ctx: Context, @Arg('id', () => ID) id: string, @Arg('input', () => OrdererAppointmentDecisionInput) input: OrdererAppointmentDecisionInput) {
    return withUserErrors(OrdererAppointmentPayload, async () => ({ ordererAppointment: await new OrdererAppointmentService(ctx, ctx.config).revoke(id, input.reason ?? '') }));
  }

  @FieldResolver(() => UserType, { description: 'The manager appointed.' })
  user(@Root() a: OrdererAppointment, @Ctx() ctx: Context) {
    return ctx.loaders.user.load(a.user.id);
  }

  @FieldResolver(() => ServiceType)
  service(@Root() a: OrdererAppointment, @Ctx() ctx: Context) {
    return ctx.loaders.service.get(a.service.id);
  }

  @FieldResolver(() => OrganisationType, { description: 'The subtree the orderer orders for.' })
  scope(@Root() a: OrdererAppointment, @Ctx() ctx: Context) {
    return ctx.loaders.organisation.get(a.scope.id);
  }

  @FieldResolver(() => DocumentType)
  requestForm(@Root() a: OrdererAppointment, @Ctx() ctx: Context) {
    return ctx.loaders.document.load(a.requestForm.id);
  }

  @FieldResolver(() => RoutineType, { description: 'The routine in force when it was requested: the one it is judged by.' })
  routine(@Root() a: OrdererAppointment, @Ctx() ctx: Context) {
    return ctx.loaders.routine.load(a.routine.id);
  }

  @FieldResolver(() => UserType, { nullable: true })
  decidedBy(@Root() a: OrdererAppointment, @Ctx() ctx: Context) {
    return a.decidedBy ? ctx.loaders.user.load(a.decidedBy.id) : null;
  }
}
