import { Arg, Args, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../graphql/context.js';
import { PageArgs, pageRequest, registerNode } from '../graphql/relay.js';
import { registerEntityKey } from '../graphql/federation.js';
import { Organisation, OrganisationKind } from './organisation.entity.js';
import { OrganisationRepository } from './organisation.repository.js';
import { OrganisationConnection, OrganisationType } from './organisation.type.js';

registerNode(Organisation, {
  typeName: 'Organisation',
  loadVisible: async (ctx, ids) => {
    const rows = await new OrganisationRepository(ctx.em, ctx.policy).findVisible(ids);
    return new Map(rows.map((r) => [r.id, r]));
  },
});

registerEntityKey({
  typeName: 'Organisation',
  field: 'registrationNumber',
  loadVisible: (ctx, numbers) => new OrganisationRepository(ctx.em, ctx.policy).findVisibleByRegistrationNumber(numbers),
});

const KEY_WIDTH = 2;

@Resolver(() => OrganisationType)
export class OrganisationResolver {
  @Query(() => OrganisationConnection, { description: 'Organisations you may see, by name.' })
  organisations(
    @Ctx() ctx: Context,
    @Args(() => PageArgs) page: PageArgs,
    @Arg('kind', () => OrganisationKind, { nullable: true }) kind: OrganisationKind | null,
  ) {
    ctx.policy.requireUser();
    const repo = new OrganisationRepository(ctx.em, ctx.policy);
    const request = pageRequest(page, ctx.config.maxPageSize, KEY_WIDTH);
    return repo.page({ kind }, request).then((p) => new OrganisationConnection(p, () => repo.count({ kind })));
  }

  @FieldResolver(() => OrganisationType, { nullable: true, description: 'The organisation above this one; null at a root.' })
  parent(@Root() org: Organisation, @Ctx() ctx: Context) {
    return org.parent ? ctx.loaders.organisation.load(org.parent.id) : null;
  }

  @FieldResolver(() => OrganisationConnection, { description: 'The organisations directly below this one that you may see.' })
  async children(@Root() org: Organisation, @Ctx() ctx: Context, @Args(() => PageArgs) page: PageArgs) {
    const request = pageRequest(page, ctx.config.maxPageSize, KEY_WIDTH, 20, { nested: true });
    const loader = ctx.loaders.childrenByOrganisation;
    return new OrganisationConnection(await loader.page(org.id, {}, request), () => loader.count(org.id, {}));
  }
}
