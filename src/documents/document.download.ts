import type { ServerResponse } from 'node:http';
import { execute, sql } from '../db/sql.js';
import type { Context } from '../graphql/context.js';
import { idOfType } from '../domain/global-id.js';
import { ALLOWED_CONTENT_TYPES, type AllowedContentType } from './content-type.js';
import { Document } from './document.entity.js';
import { sanitizeFilename } from './document.service.js';

const NOT_FOUND_BODY = JSON.stringify({ errors: [{ message: 'No document with this id.', extensions: { code: 'NOT_FOUND' } }] });

function notFound(res: ServerResponse): void {
  res.writeHead(404, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(NOT_FOUND_BODY)),
    'cache-control': 'private, no-store',
    'x-content-type-options': 'nosniff',
  });
  res.end(NOT_FOUND_BODY);
}

/** RFC 5987 ext-value: percent-encode everything outside attr-char, which encodeURIComponent leaves `'()*` in. */
export function encodeRfc5987(value: string): string {
  return encodeURIComponent(value).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * RFC 6266 attachment disposition; the name travels only as UTF-8 ext-value, never as a quoted
 * string. Sanitized again because rows not made by storeDocument (seeds) may hold anything.
 */
export function attachmentDisposition(filename: string): string {
  return `attachment; filename*=UTF-8''${encodeRfc5987(sanitizeFilename(filename))}`;
}

function internalId(globalId: string): string | null {
  try {
    return idOfType(decodeURIComponent(globalId), 'Document');
  } catch {
    return null; // malformed percent-encoding
  }
}

/** The request's actor may read a document when they may see what it is attached to (the policy's scope). */
async function canRead(ctx: Context, documentId: string): Promise<boolean> {
  const rows = await execute(ctx.em, sql`select 1 from documents t where t.id = ${documentId} and ${ctx.policy.readableDocuments('t')}`);
  return rows.length > 0;
}

/**
 * GET /documents/<global id>: the file, as an attachment, to those who may read it. A malformed,
 * unknown or unreadable id gets the same 404, and the content is loaded only once reading is allowed.
 */
export async function serveDocument(ctx: Context, res: ServerResponse, globalId: string): Promise<void> {
  const id = internalId(globalId);
  // Permission first, for any well-formed id: unknown and forbidden take the same path.
  if (!id || !(await canRead(ctx, id))) return notFound(res);
  const document = await ctx.em.findOne(Document, id, { populate: ['content'] });
  if (!document) return notFound(res);
  const content = Buffer.isBuffer(document.content) ? document.content : Buffer.from(document.content);
  // Rows come from storeDocument; anything else (a hand-made row) is served as opaque bytes.
  const contentType = ALLOWED_CONTENT_TYPES.includes(document.contentType as AllowedContentType) ? document.contentType : 'application/octet-stream';
  res.writeHead(200, {
    'content-type': contentType,
    'content-length': String(content.length),
    'content-disposition': attachmentDisposition(document.filename),
    'x-content-type-options': 'nosniff',
    'cache-control': 'private, no-store',
    etag: `"${document.sha256}"`,
  });
  res.end(content);
}
