import { Arg, Args, Ctx, FieldResolver, ID, Query, Resolver, Root } from 'type-graphql';
import { idOfType } from '../domain/global-id.js';
import { PageArgs, pageRequest } from '../graphql/relay.js';
import { GrantState } from './grant.entity.js';
import type { Context } from '../graphql/context.js';
import { registerNode } from '../graphql/relay.js';
import { OrganisationType } from '../organisations/organisation.type.js';
import { ServiceRoleType, ServiceType, SubAreaType } from '../services/service.type.js';
import { UserType } from '../users/user.type.js';
import { ProfileState, type User } from '../users/user.entity.js';
import { Grant } from './grant.entity.js';
import { GrantRepository } from './grant.repository.js';
import { GrantConnection, GrantType } from './grant.type.js';

registerNode(Grant, {
  typeName: 'Grant',
  loadVisible: async (ctx, ids) => {
    const rows = await new GrantRepository(ctx.em, ctx.policy).findVisible(ids);
    return new Map(rows.map((r) => [r.id, r]));
  },
});

@Resolver(() => GrantType)
export class GrantResolver {
  @Query(() => GrantConnection, { description: 'Grants you may see: your own, and those of the people you administer or order for.' })
  async grants(
    @Ctx() ctx: Context,
    @Args(() => PageArgs) page: PageArgs,
    @Arg('service', () => ID, { nullable: true }) service: string | null,
    @Arg('state', () => GrantState, { nullable: true }) state: GrantState | null,
  ) {
    ctx.policy.requireUser();
    const repo = new GrantRepository(ctx.em, ctx.policy);
    const filter = { state, serviceId: service ? (idOfType(service, 'Service') ?? '00000000-0000-0000-0000-000000000000') : null };
    return new GrantConnection(await repo.page(filter, pageRequest(page, ctx.config.maxPageSize, 2)), () => repo.count(filter));
  }

  @FieldResolver(() => Boolean, {
    description: 'Whether it can be used now: active, within its validity, and the holder has completed the basic-information form.',
  })
  async usable(@Root() grant: Grant, @Ctx() ctx: Context) {
    const now = Date.now();
    if (grant.state !== GrantState.ACTIVE || grant.validFrom.getTime() > now || (grant.validTo && grant.validTo.getTime() <= now)) return false;
    const holder = await ctx.loaders.user.load(grant.user.id);
    return holder?.profileState === ProfileState.COMPLETE;
  }

  @FieldResolver(() => UserType, { description: 'The person holding the grant.' })
  user(@Root() grant: Grant, @Ctx() ctx: Context) {
    return ctx.loaders.user.load(grant.user.id);
  }

  @FieldResolver(() => ServiceType)
  service(@Root() grant: Grant, @Ctx() ctx: Context) {
    return ctx.loaders.service.get(grant.service.id);
  }

  @FieldResolver(() => ServiceRoleType)
  role(@Root() grant: Grant, @Ctx() ctx: Context) {
    return ctx.loaders.role.get(grant.role.id);
  }

  @FieldResolver(() => OrganisationType, { description: 'The organisation (subtree) the grant applies to.' })
  scope(@Root() grant: Grant, @Ctx() ctx: Context) {
    return ctx.loaders.organisation.get(grant.scope.id);
  }

  @FieldResolver(() => [SubAreaType], { description: 'Empty when the grant covers the whole service.' })
  async subAreas(@Root() grant: Grant, @Ctx() ctx: Context) {
    return (await ctx.loaders.subAreasByGrant.load(grant.id)).map((r) => r.subArea);
  }

  @FieldResolver(() => OrganisationType, { description: 'The issuer organisation that decided the grant.' })
  issuedBy(@Root() grant: Grant, @Ctx() ctx: Context) {
    return ctx.loaders.organisation.get(grant.issuedBy.id);
  }
}

/** A person's grants: grants link to people, so the field lives with them. */
@Resolver(() => UserType)
export class UserGrantResolver {
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
