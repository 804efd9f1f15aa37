import { Arg, Args, Ctx, FieldResolver, ID, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../graphql/context.js';
import { fromGlobalId, toGlobalId } from '../domain/global-id.js';
import { Node, PageArgs, pageRequest, registerNode } from '../graphql/relay.js';
import { AuditEvent } from './audit-event.entity.js';
import { AuditRepository } from './audit.repository.js';
import { AuditEventConnection, AuditEventType } from './audit.type.js';

registerNode(AuditEvent, {
  typeName: 'AuditEvent',
  loadVisible: async (ctx, ids) => {
    const rows = await new AuditRepository(ctx.em, ctx.policy).findVisible(ids);
    return new Map(rows.map((r) => [r.id, r]));
  },
});

@Resolver(() => AuditEventType)
export class AuditResolver {
  @Query(() => AuditEventConnection, { description: 'The audit trail you may read, oldest first; optionally about one object.' })
  async auditEvents(
    @Ctx() ctx: Context,
    @Args(() => PageArgs) page: PageArgs,
    @Arg('target', () => ID, { nullable: true, description: 'Only events about this object.' }) target: string | null,
  ) {
    ctx.policy.requireUser();
    const repo = new AuditRepository(ctx.em, ctx.policy);
    const request = pageRequest(page, ctx.config.maxPageSize, 2);
    // An id that is not ours matches nothing, exactly like an id of an object you cannot see.
    const targetId = target ? (fromGlobalId(target)?.id ?? '00000000-0000-0000-0000-000000000000') : null;
    return new AuditEventConnection(await repo.page(targetId, request), () => repo.count(targetId));
  }


  @FieldResolver(() => Node, { nullable: true, description: 'The object the change was made to.' })
  async target(@Root() event: AuditEvent, @Ctx() ctx: Context) {
    return ctx.loaders.node.load(toGlobalId(event.targetType, event.targetId));
  }
}
