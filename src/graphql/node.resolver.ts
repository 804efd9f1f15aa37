import DataLoader from 'dataloader';
import { Arg, Ctx, ID, Query, Resolver } from 'type-graphql';
import type { Context } from './context.js';
import { fromGlobalId } from '../domain/global-id.js';
import { InvalidArgument } from '../domain/errors.js';
import { Node, nodeRegistration } from './relay.js';

/** Resolves global ids to the objects the viewer may see, one query per type per batch. */
export function createNodeLoader(ctx: () => Context): DataLoader<string, object | null> {
  return new DataLoader(async (globalIds) => {
    const byType = new Map<string, string[]>();
    for (const gid of globalIds) {
      const decoded = fromGlobalId(gid);
      if (!decoded || !nodeRegistration(decoded.type)) continue;
      if (!byType.has(decoded.type)) byType.set(decoded.type, []);
      byType.get(decoded.type)!.push(decoded.id);
    }
    const found = new Map<string, object>();
    for (const [type, ids] of byType) {
      const visible = await nodeRegistration(type)!.loadVisible(ctx(), [...new Set(ids)]);
      for (const [id, obj] of visible) found.set(`${type}:${id}`, obj);
    }
    return globalIds.map((gid) => {
      const decoded = fromGlobalId(gid);
      return decoded ? (found.get(`${decoded.type}:${decoded.id}`) ?? null) : null;
    });
  });
}

@Resolver()
export class NodeResolver {
  @Query(() => Node, {
    nullable: true,
    description: 'The object with this global id; null when it does not exist or you may not see it.',
  })
  node(@Ctx() ctx: Context, @Arg('id', () => ID) id: string) {
    return ctx.loaders.node.load(id);
  }

  @Query(() => [Node], { nullable: 'items', description: 'Objects by global id, in order; null where `node` would be.' })
  nodes(@Ctx() ctx: Context, @Arg('ids', () => [ID]) ids: string[]) {
    if (ids.length > ctx.config.maxPageSize) throw new InvalidArgument(`Ask for at most ${ctx.config.maxPageSize} ids at once.`, 'ids');
    return ctx.loaders.node.loadMany(ids);
  }
}
