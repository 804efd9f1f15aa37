import { Field, ID, ObjectType } from 'type-graphql';
import { DateTime, JSONObject } from '../graphql/scalars.js';

@ObjectType('EventSubject', { simpleResolvers: true, description: 'What an event is about.' })
export class EventSubjectType {
  @Field(() => String, { description: 'Grant, User, Organisation or IssuerMandate.' })
  type!: string;

  @Field(() => ID, { description: 'Its global id.' })
  id!: string;
}

@ObjectType('Event', { simpleResolvers: true, description: 'A change delivered to clients: in the feed, and as a signed webhook (webhook-id = id).' })
export class EventType {
  @Field(() => ID, { description: 'Stable id; the webhook-id of its deliveries.' })
  id!: string;

  @Field(() => String, { description: 'e.g. grant.activated, grant.ended, person.left, organisation.moved, mandate.granted.' })
  type!: string;

  @Field(() => EventSubjectType)
  subject!: EventSubjectType;

  @Field(() => DateTime)
  occurredAt!: Date;

  @Field(() => JSONObject)
  data!: Record<string, unknown>;
}

@ObjectType('EventEdge', { simpleResolvers: true })
export class EventEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => EventType)
  node!: EventType;
}

@ObjectType('EventFeed', { simpleResolvers: true, description: 'A page of the feed; resume with `after: endCursor`.' })
export class EventFeedType {
  @Field(() => [EventEdge])
  edges!: EventEdge[];

  @Field(() => String, { nullable: true, description: "Where to resume: the last event's cursor, or `after` when nothing new came." })
  endCursor!: string | null;

  @Field(() => Boolean)
  hasNextPage!: boolean;
}
