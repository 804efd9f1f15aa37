import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { GrantState } from '../grants/grant.entity.js';
import { GrantConnection } from '../grants/grant.type.js';
import type { Context } from '../graphql/context.js';
import { idOfType } from '../domain/global-id.js';
import { PageArgs, pageRequest, registerNode } from '../graphql/relay.js';
import { withUserErrors } from '../graphql/payload.js';
import { OrganisationType } from '../organisations/organisation.type.js';
import { SupportContactType } from '../issuers/issuer-mandate.type.js';
import { Placement, User, ProfileState } from './user.entity.js';
import { UserRepository } from './user.repository.js';
import { UserService } from './user.service.js';
import { ProfileCompleteInput } from '../orders/order.type.js';
import { SelfRegistrationService } from '../orders/self-registration.service.js';
import { PlacementType, ProfileCompletePayload, UserConnection, UserContactUpdateInput, UserContactUpdatePayload, UserType } from './user.type.js';
import { NO_ORGANISATION_PATH, Organisation } from '../organisations/organisation.entity.js';

registerNode(User, {
  typeName: 'User',
  loadVisible: async (ctx, ids) => {
    const rows = await new UserRepository(ctx.em, ctx.policy).findVisible(ids);
    return new Map(rows.map((r) => [r.id, r]));
  },
});

@Resolver(() => UserType)
export class UserResolver {
  @Query(() => UserType, { nullable: true, description: 'The signed-in user; null when not signed in or not registered yet.' })
  me(@Ctx() ctx: Context) {
    const user = ctx.viewer.user;
    return user ? ctx.loaders.user.load(user.id) : null;
  }

  @Query(() => UserConnection, { description: 'People you may see, by name: yourself and the people of your scopes.' })
  async users(
    @Ctx() ctx: Context,
    @Args(() => PageArgs) page: PageArgs,
    @Arg('organisation', () => ID, { nullable: true, description: 'Only people employed in this organisation or below it.' }) organisation: string | null,
  ) {
    ctx.policy.requireUser();
    let organisationPath: string | null = null;
    if (organisation) {
      const org = await ctx.loaders.node.load(organisation);
      // An organisation you cannot see filters to nothing, like one that does not exist.
      organisationPath = org instanceof Organisation ? org.path : NO_ORGANISATION_PATH;
    }
    const list = new UserRepository(ctx.em, ctx.policy).staff({ organisationPath });
    return new UserConnection(await list.page(pageRequest(page, ctx.config.maxPageSize, list.keyWidth)), () => list.count());
  }

  @Mutation(() => UserContactUpdatePayload, { description: "Changes a person's e-mail address or phone number." })
  userContactUpdate(
    @Ctx() ctx: Context,
    @Arg('id', () => ID) id: string,
    @Arg('input', () => UserContactUpdateInput) input: UserContactUpdateInput,
  ): Promise<UserContactUpdatePayload> {
    return withUserErrors(UserContactUpdatePayload, async () => ({
      user: await new UserService(ctx).updateContact(idOfType(id, 'User'), input),
    }));
  }

  @Mutation(() => ProfileCompletePayload, {
    name: 'profileComplete',
    description: 'Fills in your basic-information form (asked at the first sign-in after approval).',
  })
  completeProfile(@Ctx() ctx: Context, @Arg('input', () => ProfileCompleteInput) input: ProfileCompleteInput): Promise<ProfileCompletePayload> {
    return withUserErrors(ProfileCompletePayload, async () => ({ user: await new SelfRegistrationService(ctx, ctx.config).completeProfile(input) }));
  }

  @FieldResolver(() => String, { description: 'Given and family name, as shown in lists.' })
  displayName(@Root() user: User) {
    return `${user.givenName} ${user.familyName}`;
  }

  @FieldResolver(() => Boolean, {
    description: 'Whether the basic-information form is filled in; grants are usable only once it is.',
  })
  profileComplete(@Root() user: User) {
    return user.profileState === ProfileState.COMPLETE;
  }

  @FieldResolver(() => OrganisationType, { description: 'The organisation that employs the person.' })
  employer(@Root() user: User, @Ctx() ctx: Context) {
    return ctx.loaders.organisation.load(user.employer.id);
  }

  @FieldResolver(() => [PlacementType], { description: 'Where the person works outside their employer.' })
  placements(@Root() user: User, @Ctx() ctx: Context) {
    return ctx.loaders.placementsByUser.load(user.id);
  }

  @FieldResolver(() => OrganisationType, {
    nullable: true,
    description: 'Who decides on the person\'s access to a service: the nearest issuer over their employer, else the authority.',
  })
  async responsibleIssuer(@Root() user: User, @Ctx() ctx: Context, @Arg('service', () => ID) service: string) {
    const serviceId = idOfType(service, 'Service');
    if (!serviceId) return null;
    const issuerId = await ctx.loaders.responsibleIssuer.load(`${serviceId}:${user.id}`);
    return issuerId ? ctx.loaders.organisation.load(issuerId) : null;
  }

  @FieldResolver(() => SupportContactType, {
    nullable: true,
    description: "Where the person gets help with a service: their issuer's support (null while the authority is their issuer).",
  })
  async supportContact(@Root() user: User, @Ctx() ctx: Context, @Arg('service', () => ID) service: string) {
    const serviceId = idOfType(service, 'Service');
    if (!serviceId) return null;
    const issuerId = await ctx.loaders.responsibleIssuer.load(`${serviceId}:${user.id}`);
    return issuerId ? ctx.loaders.supportContact.load(`${serviceId}:${issuerId}`) : null;
  }

  @FieldResolver(() => GrantConnection, { description: "The person's grants that you may see, oldest first." })
  async grants(
    @Root() user: User,
    @Ctx() ctx: Context,
    @Args(() => PageArgs) page: PageArgs,
    @Arg('state', () => GrantState, { nullable: true }) state: GrantState | null,
  ) {
    const request = pageRequest(page, ctx.config.maxPageSize, 2, 20, { nested: true });
    const filter = { state };
    const loader = ctx.loaders.grantsByUser;
    return new GrantConnection(await loader.page(user.id, filter, request), () => loader.count(user.id, filter));
  }
}

@Resolver(() => PlacementType)
export class PlacementResolver {
  @FieldResolver(() => OrganisationType)
  organisation(@Root() placement: Placement, @Ctx() ctx: Context) {
    return ctx.loaders.organisation.load(placement.organisation.id);
  }
}
