import { Args, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../graphql/context.js';
import { PageArgs, pageRequest, registerNode } from '../graphql/relay.js';
import { OrganisationType } from '../organisations/organisation.type.js';
import { Service, ServiceRole, SubArea } from './service.entity.js';
import { ServiceRepository } from './service.repository.js';
import { ServiceConnection, ServiceRoleType, ServiceType, SubAreaType } from './service.type.js';

// The service catalogue is public: anyone, signed in or not, may read it.
registerNode(Service, { typeName: 'Service', loadVisible: (ctx, ids) => new ServiceRepository(ctx.em).byIds(Service, ids) });
registerNode(ServiceRole, { typeName: 'ServiceRole', loadVisible: (ctx, ids) => new ServiceRepository(ctx.em).byIds(ServiceRole, ids) });
registerNode(SubArea, { typeName: 'SubArea', loadVisible: (ctx, ids) => new ServiceRepository(ctx.em).byIds(SubArea, ids) });

@Resolver(() => ServiceType)
export class ServiceResolver {
  @Query(() => ServiceConnection, { description: 'The services access can be requested to. Public.' })
  async services(@Ctx() ctx: Context, @Args(() => PageArgs) page: PageArgs) {
    const repo = new ServiceRepository(ctx.em);
    const request = pageRequest(page, ctx.config.maxPageSize, 2);
    return new ServiceConnection(await repo.page(request), () => repo.count());
  }

  @FieldResolver(() => OrganisationType, { description: 'The authority that owns the service.' })
  owner(@Root() service: Service, @Ctx() ctx: Context) {
    return ctx.loaders.organisation.get(service.owner.id);
  }

  @FieldResolver(() => [ServiceRoleType])
  roles(@Root() service: Service, @Ctx() ctx: Context) {
    return ctx.loaders.rolesByService.load(service.id);
  }

  @FieldResolver(() => [SubAreaType], { description: 'Empty when the service has no sub-areas.' })
  subAreas(@Root() service: Service, @Ctx() ctx: Context) {
    return ctx.loaders.subAreasByService.load(service.id);
  }
}

@Resolver(() => ServiceRoleType)
export class ServiceRoleResolver {
  @FieldResolver(() => ServiceType)
  service(@Root() role: ServiceRole, @Ctx() ctx: Context) {
    return ctx.loaders.service.get(role.service.id);
  }
}
