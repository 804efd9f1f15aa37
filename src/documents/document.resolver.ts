import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { Context } from '../graphql/context.js';
import { toGlobalId } from '../domain/global-id.js';
import { registerNode } from '../graphql/relay.js';
import { sql, execute } from '../db/sql.js';
import { Document } from './document.entity.js';
import { DocumentType } from './document.type.js';

registerNode(Document, {
  typeName: 'Document',
  loadVisible: async (ctx, ids) => {
    const q = sql`select t.id, t.kind, t.filename, t.content_type, t.size, t.sha256, t.uploaded_by_id, t.created_at
      from documents t where t.id in (${ids}) and ${ctx.policy.readableDocuments('t')}`;
    const rows = await execute<Record<string, unknown>>(ctx.em, q);
    return new Map(rows.map((r) => [String(r.id), ctx.em.map(Document, r)]));
  },
});

@Resolver(() => DocumentType)
export class DocumentResolver {
  @FieldResolver(() => String, { description: 'Where to download it (GET with the same bearer token).' })
  downloadPath(@Root() document: Document) {
    return `/documents/${toGlobalId('Document', document.id)}`;
  }

  @FieldResolver(() => String, { nullable: true, description: 'Who uploaded it, by name.' })
  async uploadedBy(@Root() document: Document, @Ctx() ctx: Context) {
    if (!document.uploadedBy) return null;
    const user = await ctx.loaders.user.load(document.uploadedBy.id);
    return user ? `${user.givenName} ${user.familyName}` : null;
  }
}
