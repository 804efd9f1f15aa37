import { Arg, Ctx, Int, Query, Resolver } from 'type-graphql';
import { InvalidArgument } from '../domain/errors.js';
import type { Context } from '../graphql/context.js';
import { eventFeed } from './event.service.js';
import { EventFeedType, EventType } from './event.type.js';

@Resolver(() => EventType)
export class EventResolver {
  @Query(() => EventFeedType, {
    description: "The signed-in client's events after a cursor, oldest first (machine clients only; kept EVENT_RETENTION_DAYS).",
  })
  async events(
    @Ctx() ctx: Context,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Arg('first', () => Int, { defaultValue: 100 }) first: number,
    @Arg('types', () => [String], { nullable: true }) types: string[] | null,
  ): Promise<EventFeedType> {
    if (first < 0 || first > 1000) throw new InvalidArgument('`first` must be between 0 and 1000.', 'first');
    const page = await eventFeed(ctx, { after, first, types });
    return { edges: page.events.map((e) => ({ cursor: e.cursor, node: e })), endCursor: page.endCursor, hasNextPage: page.hasNextPage };
  }
}
