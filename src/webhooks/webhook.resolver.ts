import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../graphql/context.js';
import { withUserErrors } from '../graphql/payload.js';
import { PageArgs, pageRequest, registerNode } from '../graphql/relay.js';
import { DeliveryState, WebhookDelivery, WebhookSubscription } from './webhook.entity.js';
import { WebhookRepository } from './webhook.repository.js';
import { WebhookService } from './webhook.service.js';
import {
  WebhookDeliveryConnection,
  WebhookDeliveryPayload,
  WebhookDeliveryType,
  WebhookSubscriptionConnection,
  WebhookSubscriptionCreateInput,
  WebhookSubscriptionPayload,
  WebhookSubscriptionReasonInput,
  WebhookSubscriptionType,
} from './webhook.type.js';
import { Client } from '../clients/client.entity.js';
import { ClientType } from '../clients/client.type.js';

// node(id:) answers what the lists answer: the client's own, and those of the clients a person administers.
registerNode(WebhookSubscription, { typeName: 'WebhookSubscription', loadVisible: (ctx, ids) => new WebhookRepository(ctx.em, ctx.policy).subscriptionsVisible(ids) });
registerNode(WebhookDelivery, { typeName: 'WebhookDelivery', loadVisible: (ctx, ids) => new WebhookRepository(ctx.em, ctx.policy).deliveriesVisible(ids) });

const service = (ctx: Context) => new WebhookService(ctx, ctx.config.webhookAllowPrivateUrls);

@Resolver(() => WebhookSubscriptionType)
export class WebhookResolver {
  @Query(() => WebhookSubscriptionConnection, { description: "The signed-in client's webhook subscriptions." })
  async webhookSubscriptions(@Ctx() ctx: Context, @Args(() => PageArgs) page: PageArgs) {
    const s = service(ctx);
    return new WebhookSubscriptionConnection(await s.subscriptions(pageRequest(page, ctx.config.maxPageSize, 2)), () => s.countSubscriptions());
  }

  @Mutation(() => WebhookSubscriptionPayload, { description: 'Subscribes the signed-in client to its events from now on; answers the signing secret once.' })
  webhookSubscriptionCreate(@Ctx() ctx: Context, @Arg('input', () => WebhookSubscriptionCreateInput) input: WebhookSubscriptionCreateInput) {
    return withUserErrors(WebhookSubscriptionPayload, () => service(ctx).create(input));
  }

  @Mutation(() => WebhookSubscriptionPayload, { description: 'A new signing secret; the previous one signs too for 24 hours.' })
  webhookSubscriptionRotateSecret(@Ctx() ctx: Context, @Arg('id', () => ID) id: string) {
    return withUserErrors(WebhookSubscriptionPayload, () => service(ctx).rotateSecret(id));
  }

  @Mutation(() => WebhookSubscriptionPayload, { description: 'Stops a subscription (the client, or an administrator of it); its deliveries stay visible.' })
  webhookSubscriptionDisable(
    @Ctx() ctx: Context,
    @Arg('id', () => ID) id: string,
    @Arg('input', () => WebhookSubscriptionReasonInput, { nullable: true }) input: WebhookSubscriptionReasonInput | null,
  ) {
    return withUserErrors(WebhookSubscriptionPayload, async () => ({ subscription: await service(ctx).disable(id, input?.reason ?? null), secret: null }));
  }

  @Mutation(() => WebhookSubscriptionPayload, {
    description: 'Starts a disabled subscription again (after 410 Gone or a manual stop), from where it stopped: the refused delivery first, then what happened meanwhile.',
  })
  webhookSubscriptionEnable(@Ctx() ctx: Context, @Arg('id', () => ID) id: string, @Arg('input', () => WebhookSubscriptionReasonInput) input: WebhookSubscriptionReasonInput) {
    return withUserErrors(WebhookSubscriptionPayload, async () => ({ subscription: await service(ctx).enable(id, input.reason), secret: null }));
  }

  @Mutation(() => WebhookDeliveryPayload, { description: 'Sends a dead letter again (the client, or an administrator of it).' })
  webhookDeliveryReplay(@Ctx() ctx: Context, @Arg('id', () => ID) id: string) {
    return withUserErrors(WebhookDeliveryPayload, async () => ({ delivery: await service(ctx).replay(id) }));
  }

  @FieldResolver(() => WebhookDeliveryConnection, { description: 'Its deliveries in a state: dead letters by default.' })
  async deliveries(
    @Root() s: WebhookSubscription,
    @Ctx() ctx: Context,
    @Args(() => PageArgs) page: PageArgs,
    @Arg('state', () => DeliveryState, { defaultValue: DeliveryState.DEAD }) state: DeliveryState,
  ) {
    const loader = ctx.loaders.webhookDeliveriesBySubscription;
    const request = pageRequest(page, ctx.config.maxPageSize, 2, 20, { nested: true });
    return new WebhookDeliveryConnection(await loader.page(s.id, state, request), () => loader.count(s.id, state));
  }
}

@Resolver(() => ClientType)
export class ClientWebhookResolver {
  @FieldResolver(() => WebhookSubscriptionConnection, {
    description: "The client's webhook subscriptions, newest first: for the client itself and the people who administer it.",
  })
  async webhookSubscriptions(@Root() c: Client, @Ctx() ctx: Context, @Args(() => PageArgs) page: PageArgs) {
    const loader = ctx.loaders.webhookSubscriptionsByClient;
    const request = pageRequest(page, ctx.config.maxPageSize, 2, 20, { nested: true });
    return new WebhookSubscriptionConnection(await loader.page(c.id, null, request), () => loader.count(c.id, null));
  }
}

@Resolver(() => WebhookDeliveryType)
export class WebhookDeliveryResolver {
  @FieldResolver(() => String)
  eventId(@Root() d: WebhookDelivery) {
    return d.eventId;
  }
}
