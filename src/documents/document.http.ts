import type { ServerResponse } from 'node:http';
import { execute, sql } from '../db/sql.js';
import type { Context } from '../graphql/context.js';
import { type CanReadDocument, serveDocument as serveDownload } from './document.download.js';

/** The request's actor may read a document when they may see what it is attached to (the policy's scope). */
export function canReadDocument(ctx: Context): CanReadDocument {
  return async (documentId) => {
    const rows = await execute(ctx.em, sql`select 1 from documents t where t.id = ${documentId} and ${ctx.policy.readableDocuments('t')}`);
    return rows.length > 0;
  };
}

/** GET /documents/<global id> for the server's request context; see document.download.ts. */
export function serveDocument(ctx: Context, res: ServerResponse, globalId: string): Promise<void> {
  return serveDownload(res, ctx.em, canReadDocument(ctx), globalId);
}
