import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { Context } from '../graphql/context.js';
import { registerNode } from '../graphql/relay.js';
import { OrganisationType } from '../organisations/organisation.type.js';
import { ServiceRoleType, ServiceType, SubAreaType } from '../services/service.type.js';
import { UserType } from '../users/user.type.js';
import { Grant } from './grant.entity.js';
import { GrantRepository } from './grant.repository.js';
import { GrantType } from './grant.type.js';

registerNode(Grant, {
  typeName: 'Grant',
  loadVisible: async (ctx, ids) => {
    const rows = await new GrantRepository(ctx.em, ctx.policy).findVisible(ids);
    return new Map(rows.map((r) => [r.id, r]));
  },
});

@Resolver(() => GrantType)
export class GrantResolver {
  @FieldResolver(() => UserType, { description: 'The person holding the grant.' })
  user(@Root() grant: Grant, @Ctx() ctx: Context) {
    return ctx.loaders.user.load(grant.user.id);
  }

  @FieldResolver(() => ServiceType)
  service(@Root() grant: Grant, @Ctx() ctx: Context) {
    return ctx.loaders.service.load(grant.service.id);
  }

  @FieldResolver(() => ServiceRoleType)
  role(@Root() grant: Grant, @Ctx() ctx: Context) {
    return ctx.loaders.role.load(grant.role.id);
  }

  @FieldResolver(() => OrganisationType, { description: 'The organisation (subtree) the grant applies to.' })
  scope(@Root() grant: Grant, @Ctx() ctx: Context) {
    return ctx.loaders.organisation.load(grant.scope.id);
  }

  @FieldResolver(() => [SubAreaType], { description: 'Empty when the grant covers the whole service.' })
  async subAreas(@Root() grant: Grant, @Ctx() ctx: Context) {
    return (await ctx.loaders.subAreasByGrant.load(grant.id)).map((r) => r.subArea);
  }

  @FieldResolver(() => OrganisationType, { description: 'The issuer organisation that decided the grant.' })
  issuedBy(@Root() grant: Grant, @Ctx() ctx: Context) {
    return ctx.loaders.organisation.load(grant.issuedBy.id);
  }
}
