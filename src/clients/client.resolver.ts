import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../graphql/context.js';
import { withUserErrors } from '../graphql/payload.js';
import { PageArgs, pageRequest, registerNode } from '../graphql/relay.js';
import { OrganisationType } from '../organisations/organisation.type.js';
import { ServiceType } from '../services/service.type.js';
import { Client } from './client.entity.js';
import { ClientRepository } from './client.repository.js';
import { ClientService } from './client.service.js';
import { ClientConnection, ClientCredentialType, ClientPayload, ClientRegisterInput, ClientSuspendInput, ClientType } from './client.type.js';

registerNode(Client, {
  typeName: 'Client',
  loadVisible: async (ctx, ids) => new Map((await new ClientRepository(ctx.em, ctx.policy).findVisible(ids)).map((c) => [c.id, c])),
});

@Resolver(() => ClientType)
export class ClientResolver {
  @Query(() => ClientConnection, { description: "Clients you administer: your services' (as authority) and your issuer organisations'." })
  async clients(@Ctx() ctx: Context, @Args(() => PageArgs) page: PageArgs) {
    ctx.policy.requireUser();
    const repo = new ClientRepository(ctx.em, ctx.policy);
    return new ClientConnection(await repo.page(pageRequest(page, ctx.config.maxPageSize, 2)), () => repo.count());
  }

  @Query(() => ClientType, { description: 'The machine client signed in (client-credentials token).' })
  async viewerClient(@Ctx() ctx: Context) {
    const { id } = ctx.policy.requireClient();
    const [client] = await new ClientRepository(ctx.em, ctx.policy).findVisible([id]);
    return client;
  }

  @Mutation(() => ClientPayload, { description: "Registers a client for a service (its authority) or an issuer organisation (its administrators)." })
  clientRegister(@Ctx() ctx: Context, @Arg('input', () => ClientRegisterInput) input: ClientRegisterInput) {
    return withUserErrors(ClientPayload, async () => ({ client: await new ClientService(ctx, ctx.trustedIssuers).register(input) }));
  }

  @Mutation(() => ClientPayload, { description: 'Suspends a client: its tokens are refused until it is resumed.' })
  clientSuspend(@Ctx() ctx: Context, @Arg('id', () => ID) id: string, @Arg('input', () => ClientSuspendInput) input: ClientSuspendInput) {
    return withUserErrors(ClientPayload, async () => ({ client: await new ClientService(ctx, ctx.trustedIssuers).suspend(id, input.reason) }));
  }

  @Mutation(() => ClientPayload, { description: 'Resumes a suspended client.' })
  clientResume(@Ctx() ctx: Context, @Arg('id', () => ID) id: string, @Arg('input', () => ClientSuspendInput) input: ClientSuspendInput) {
    return withUserErrors(ClientPayload, async () => ({ client: await new ClientService(ctx, ctx.trustedIssuers).resume(id, input.reason) }));
  }

  @FieldResolver(() => ServiceType, { nullable: true, description: 'The service it acts for.' })
  service(@Root() c: Client, @Ctx() ctx: Context) {
    return c.service ? ctx.loaders.service.get(c.service.id) : null;
  }

  @FieldResolver(() => OrganisationType, { nullable: true, description: 'The organisation it acts for.' })
  organisation(@Root() c: Client, @Ctx() ctx: Context) {
    return c.organisation ? ctx.loaders.organisation.get(c.organisation.id) : null;
  }

  @FieldResolver(() => [ClientCredentialType])
  credentials(@Root() c: Client, @Ctx() ctx: Context): Promise<ClientCredentialType[]> {
    return ctx.loaders.clientCredentials.load(c.id);
  }
}
