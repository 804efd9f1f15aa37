import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { DocumentType } from '../documents/document.type.js';
import type { Context } from '../graphql/context.js';
import { idOfType } from '../domain/global-id.js';
import { withUserErrors } from '../graphql/payload.js';
import { PageArgs, pageRequest, registerNode } from '../graphql/relay.js';
import { OrganisationType } from '../organisations/organisation.type.js';
import { RoutineType } from '../routines/routine.type.js';
import { ServiceType } from '../services/service.type.js';
import type { User } from '../users/user.entity.js';
import { UserType } from '../users/user.type.js';
import { IssuerMandate } from './issuer-mandate.entity.js';
import { IssuerMandateRepository } from './issuer-mandate.repository.js';
import { IssuerMandateService } from './issuer-mandate.service.js';
import {
  IssuerMandateAdministratorInput,
  IssuerMandateConnection,
  IssuerMandateEndInput,
  IssuerMandateGrantInput,
  IssuerMandatePayload,
  IssuerMandateType,
  IssuerMandateUpdateInput,
  SupportContactType,
} from './issuer-mandate.type.js';

registerNode(IssuerMandate, {
  typeName: 'IssuerMandate',
  loadVisible: async (ctx, ids) => new Map((await new IssuerMandateRepository(ctx.em, ctx.policy).findVisible(ids)).map((m) => [m.id, m])),
});

const NO_ID = '00000000-0000-0000-0000-000000000000';

@Resolver(() => IssuerMandateType)
export class IssuerMandateResolver {
  @Query(() => IssuerMandateConnection, { description: 'Issuer mandates you may see: an authority sees its service\'s, a holder its own.' })
  async issuerMandates(
    @Ctx() ctx: Context,
    @Args(() => PageArgs) page: PageArgs,
    @Arg('service', () => ID, { nullable: true }) service: string | null,
    @Arg('activeOnly', () => Boolean, { defaultValue: false }) activeOnly: boolean,
  ) {
    ctx.policy.requireUser();
    const repo = new IssuerMandateRepository(ctx.em, ctx.policy);
    const filter = { serviceId: service ? (idOfType(service, 'Service') ?? NO_ID) : null, activeOnly };
    return new IssuerMandateConnection(await repo.page(filter, pageRequest(page, ctx.config.maxPageSize, 2)), () => repo.count(filter));
  }

  @Mutation(() => IssuerMandatePayload, { description: 'Grants an organisation issuer rights for a service by agreement. Authority only.' })
  issuerMandateGrant(@Ctx() ctx: Context, @Arg('input', () => IssuerMandateGrantInput) input: IssuerMandateGrantInput) {
    return withUserErrors(IssuerMandatePayload, async () => ({ issuerMandate: await new IssuerMandateService(ctx, ctx.config).grant(input) }));
  }

  @Mutation(() => IssuerMandatePayload, { description: 'Ends issuer rights now; responsibility returns to the next issuer up and every grant stays.' })
  issuerMandateEnd(@Ctx() ctx: Context, @Arg('id', () => ID) id: string, @Arg('input', () => IssuerMandateEndInput) input: IssuerMandateEndInput) {
    return withUserErrors(IssuerMandatePayload, async () => ({ issuerMandate: await new IssuerMandateService(ctx, ctx.config).end(id, input.reason) }));
  }

  @Mutation(() => IssuerMandatePayload, { description: "Changes standing issuer rights' end date or support contact, with a reason. Authority only." })
  issuerMandateUpdate(@Ctx() ctx: Context, @Arg('id', () => ID) id: string, @Arg('input', () => IssuerMandateUpdateInput) input: IssuerMandateUpdateInput) {
    return withUserErrors(IssuerMandatePayload, async () => ({ issuerMandate: await new IssuerMandateService(ctx, ctx.config).update(id, input) }));
  }

  @Mutation(() => IssuerMandatePayload, { description: 'Adds an administrator employed by the mandate holder, with a reason. Authority only.' })
  issuerMandateAdministratorAdd(
    @Ctx() ctx: Context,
    @Arg('id', () => ID) id: string,
    @Arg('input', () => IssuerMandateAdministratorInput) input: IssuerMandateAdministratorInput,
  ) {
    return withUserErrors(IssuerMandatePayload, async () => ({
      issuerMandate: await new IssuerMandateService(ctx, ctx.config).addAdministrator(id, input.person, input.reason),
    }));
  }

  @Mutation(() => IssuerMandatePayload, { description: 'Removes an administrator (never the last one), with a reason. Authority only.' })
  issuerMandateAdministratorRemove(
    @Ctx() ctx: Context,
    @Arg('id', () => ID) id: string,
    @Arg('input', () => IssuerMandateAdministratorInput) input: IssuerMandateAdministratorInput,
  ) {
    return withUserErrors(IssuerMandatePayload, async () => ({
      issuerMandate: await new IssuerMandateService(ctx, ctx.config).removeAdministrator(id, input.person, input.reason),
    }));
  }

  @FieldResolver(() => ServiceType)
  service(@Root() m: IssuerMandate, @Ctx() ctx: Context) {
    return ctx.loaders.service.get(m.service.id);
  }

  @FieldResolver(() => OrganisationType, { description: 'The organisation holding the rights.' })
  organisation(@Root() m: IssuerMandate, @Ctx() ctx: Context) {
    return ctx.loaders.organisation.get(m.organisation.id);
  }

  @FieldResolver(() => DocumentType, { description: 'The signed agreement.' })
  agreementDocument(@Root() m: IssuerMandate, @Ctx() ctx: Context) {
    return ctx.loaders.document.load(m.agreementDocument.id);
  }

  @FieldResolver(() => SupportContactType)
  supportContact(@Root() m: IssuerMandate): SupportContactType {
    return { email: m.supportEmail ?? null, phone: m.supportPhone ?? null, instructions: m.supportInstructions ?? null };
  }

  @FieldResolver(() => RoutineType, { description: 'The routine in force when it was granted.' })
  routine(@Root() m: IssuerMandate, @Ctx() ctx: Context) {
    return ctx.loaders.routine.load(m.routine.id);
  }

  @FieldResolver(() => [UserType], { description: "The people who administer the organisation's access (while the mandate stands)." })
  async administrators(@Root() m: IssuerMandate, @Ctx() ctx: Context) {
    return (await ctx.loaders.administratorsByIssuer.load(`${m.service.id}:${m.organisation.id}`)).map((a) => a.user);
  }
}

/** Who decides for a person, and where they get help: responsibility is the issuers' concept. */
@Resolver(() => UserType)
export class UserIssuerResolver {
  @FieldResolver(() => OrganisationType, {
    nullable: true,
    description: 'Who decides on the person\'s access to a service: the nearest issuer over their employer, else the authority.',
  })
  async responsibleIssuer(@Root() user: User, @Ctx() ctx: Context, @Arg('service', () => ID) service: string) {
    const found = await responsibleFor(user, ctx, service);
    return found ? ctx.loaders.organisation.get(found.issuerId) : null;
  }

  @FieldResolver(() => SupportContactType, {
    nullable: true,
    description: "Where the person gets help with a service: their issuer's support (null while the authority is their issuer).",
  })
  async supportContact(@Root() user: User, @Ctx() ctx: Context, @Arg('service', () => ID) service: string) {
    const found = await responsibleFor(user, ctx, service);
    return found ? ctx.loaders.supportContact.load(`${found.serviceId}:${found.issuerId}`) : null;
  }
}

/** The person's responsible issuer for a service named by its global id; null for an id that names none. */
async function responsibleFor(user: User, ctx: Context, service: string): Promise<{ serviceId: string; issuerId: string } | null> {
  const serviceId = idOfType(service, 'Service');
  const issuerId = serviceId ? await ctx.loaders.responsibleIssuer.load(`${serviceId}:${user.id}`) : null;
  return serviceId && issuerId ? { serviceId, issuerId } : null;
}
