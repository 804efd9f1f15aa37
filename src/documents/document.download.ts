import type { ServerResponse } from 'node:http';
import type { Em } from '../db/orm.js';
import { idOfType } from '../graphql/global-id.js';
import { ALLOWED_CONTENT_TYPES, type AllowedContentType } from './content-type.js';
import { Document } from './document.entity.js';
import { sanitizeFilename } from './document.service.js';

/** Whether the asking actor may read the document with this internal id (a uuid). */
export type CanReadDocument = (documentId: string) => Promise<boolean>;

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

/**
 * GET /documents/<global id>: the file, as an attachment, to those `canRead` allows. A malformed,
 * unknown or unreadable id gets the same 404, and the content is loaded only once reading is allowed.
 */
export async function serveDocument(res: ServerResponse, em: Em, canRead: CanReadDocument, globalId: string): Promise<void> {
  const id = internalId(globalId);
  // Permission first, for any well-formed id: unknown and forbidden take the same path.
  if (!id || !(await canRead(id))) return notFound(res);
  const document = await em.findOne(Document, id, { populate: ['content'] });
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
