import { Field, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { TextLimit } from '../graphql/input-guard.js';
import { connectionOf, Node } from '../graphql/relay.js';
import { DateTime } from '../graphql/scalars.js';
import { UserError } from '../graphql/user-errors.js';
import { REASON_MAX_LENGTH } from '../domain/problems.js';
import { DeliveryState, DisabledCause } from './webhook.entity.js';

registerEnumType(DeliveryState, { name: 'WebhookDeliveryState', description: 'Waiting or retrying, delivered, or given up (a dead letter).' });
registerEnumType(DisabledCause, {
  name: 'WebhookDisabledCause',
  description: 'Why a subscription stopped.',
  valuesConfig: {
    RECEIVER_GONE: { description: 'Its receiver answered 410 Gone: it wants no more webhooks. Nothing is retried or queued until it is enabled again.' },
    MANUAL: { description: 'Its client, or an administrator of the client, disabled it.' },
  },
});

@ObjectType('WebhookDelivery', { simpleResolvers: true, implements: Node, description: 'One event sent to one subscription.' })
export class WebhookDeliveryType extends Node {
  @Field(() => String, { description: 'The event id: the webhook-id header.' })
  eventId!: string;

  @Field(() => DeliveryState)
  state!: DeliveryState;

  @Field(() => Int)
  attempts!: number;

  @Field(() => Int, { nullable: true, description: 'The HTTP status of the last attempt.' })
  lastStatus!: number | null;

  @Field(() => String, { nullable: true })
  lastError!: string | null;

  @Field(() => DateTime)
  nextAttemptAt!: Date;

  @Field(() => DateTime, { nullable: true })
  deliveredAt!: Date | null;
}

export const WebhookDeliveryConnection = connectionOf('WebhookDelivery', WebhookDeliveryType);

@ObjectType('WebhookSubscription', { simpleResolvers: true, implements: Node, description: "A client's webhook: Standard Webhooks signed POSTs of its events." })
export class WebhookSubscriptionType extends Node {
  @Field(() => String)
  url!: string;

  @Field(() => [String])
  eventTypes!: string[];

  @Field(() => DateTime, { nullable: true, description: 'Until then the previous secret signs too.' })
  previousSecretUntil!: Date | null;

  @Field(() => DateTime, { nullable: true, description: 'Set while disabled: nothing is queued or sent.' })
  disabledAt!: Date | null;

  @Field(() => DisabledCause, { nullable: true })
  disabledCause!: DisabledCause | null;

  @Field(() => String, { nullable: true, description: 'Why, in words: the refused event for RECEIVER_GONE, the reason given for MANUAL.' })
  disabledReason!: string | null;

  @Field(() => DateTime)
  createdAt!: Date;
}

export const WebhookSubscriptionConnection = connectionOf('WebhookSubscription', WebhookSubscriptionType);

@InputType('WebhookSubscriptionCreateInput')
export class WebhookSubscriptionCreateInput {
  @Field(() => String, { description: 'https URL the events are POSTed to.' })
  @TextLimit({ maxLength: 2000 })
  url!: string;

  @Field(() => [String], { description: 'Event types, e.g. grant.activated, grant.ended, person.left.' })
  @TextLimit({ maxLength: 64 })
  eventTypes!: string[];
}

@InputType('WebhookSubscriptionReasonInput')
export class WebhookSubscriptionReasonInput {
  @Field(() => String)
  @TextLimit({ maxLength: REASON_MAX_LENGTH, multiline: true })
  reason!: string;
}

@ObjectType('WebhookSubscriptionPayload', { simpleResolvers: true })
export class WebhookSubscriptionPayload {
  @Field(() => WebhookSubscriptionType, { nullable: true })
  subscription!: object | null;

  @Field(() => String, { nullable: true, description: 'The signing secret (whsec_…): shown only in this answer.' })
  secret!: string | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@ObjectType('WebhookDeliveryPayload', { simpleResolvers: true })
export class WebhookDeliveryPayload {
  @Field(() => WebhookDeliveryType, { nullable: true })
  delivery!: object | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}
