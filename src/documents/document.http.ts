import type { ServerResponse } from 'node:http';
import type { Context } from '../graphql/context.js';
import { idOfType } from '../graphql/global-id.js';
import { execute, sql } from '../db/sql.js';

/**
 * GET /documents/<global id>: the file, to those who may see what it is attached to. Unknown,
 * malformed and out-of-scope ids get the same 404.
 */
export async function serveDocument(ctx: Context, res: ServerResponse, globalId: string): Promise<void> {
  const id = idOfType(decodeURIComponent(globalId), 'Document');
  const [row] = id
    ? await execute<{ filename: string; content_type: string; size: number; sha256: string; content: Buffer }>(
        ctx.em,
        sql`select t.filename, t.content_type, t.size, t.sha256, t.content from documents t where t.id = ${id} and ${ctx.policy.readableDocuments('t')}`,
      )
    : [];
  if (!row) {
    res.writeHead(404, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify({ errors: [{ message: 'No document with this id.', extensions: { code: 'NOT_FOUND' } }] }));
    return;
  }
  const content = Buffer.isBuffer(row.content) ? row.content : Buffer.from(row.content as unknown as Uint8Array);
  res.writeHead(200, {
    'content-type': row.content_type,
    'content-length': String(content.length),
    'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(row.filename)}`,
    'x-content-type-options': 'nosniff',
    'cache-control': 'private, no-store',
    etag: `"${row.sha256}"`,
  });
  res.end(content);
}
