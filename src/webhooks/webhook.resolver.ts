import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../graphql/context.js';
import { withUserErrors } from '../graphql/payload.js';
import { PageArgs, pageRequest, registerNode } from '../graphql/relay.js';
import { DeliveryState, WebhookDelivery, WebhookSubscription } from './webhook.entity.js';
import { WebhookService } from './webhook.service.js';
import {
  WebhookDeliveryConnection,
  WebhookDeliveryPayload,
  WebhookDeliveryType,
  WebhookSubscriptionConnection,
  WebhookSubscriptionCreateInput,
  WebhookSubscriptionPayload,
  WebhookSubscriptionType,
} from './webhook.type.js';

// Reachable only through the client's own subscriptions; node(id:) answers null for them.
registerNode(WebhookSubscription, { typeName: 'WebhookSubscription', loadVisible: () => Promise.resolve(new Map()) });
registerNode(WebhookDelivery, { typeName: 'WebhookDelivery', loadVisible: () => Promise.resolve(new Map()) });

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

  @Mutation(() => WebhookSubscriptionPayload, { description: 'Stops a subscription; its deliveries stay visible.' })
  webhookSubscriptionDisable(@Ctx() ctx: Context, @Arg('id', () => ID) id: string) {
    return withUserErrors(WebhookSubscriptionPayload, async () => ({ subscription: await service(ctx).disable(id), secret: null }));
  }

  @Mutation(() => WebhookDeliveryPayload, { description: 'Sends a dead letter again.' })
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
    const svc = service(ctx);
    return new WebhookDeliveryConnection(await svc.deliveries(s.id, state, pageRequest(page, ctx.config.maxPageSize, 2, 20, { nested: true })), () => svc.countDeliveries(s.id, state));
  }
}

@Resolver(() => WebhookDeliveryType)
export class WebhookDeliveryResolver {
  @FieldResolver(() => String)
  eventId(@Root() d: WebhookDelivery) {
    return d.eventId;
  }
}
