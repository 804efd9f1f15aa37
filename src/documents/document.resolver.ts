import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { Context } from '../graphql/context.js';
import { toGlobalId } from '../domain/global-id.js';
import { registerNode } from '../graphql/relay.js';
import { Document } from './document.entity.js';
import { DocumentService } from './document.service.js';
import { DocumentType } from './document.type.js';

registerNode(Document, {
  typeName: 'Document',
  loadVisible: async (ctx, ids) => {
    const documents = await new DocumentService(ctx).findVisible(ids);
    return new Map(documents.map((d) => [d.id, d]));
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
