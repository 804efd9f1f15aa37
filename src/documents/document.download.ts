import type { ServerResponse } from 'node:http';
import type { Actor } from '../auth/actor.js';
import { AccessDenied, InvalidArgument, ProblemCode, ProblemsFound } from '../domain/errors.js';
import { ALLOWED_CONTENT_TYPES, type AllowedContentType } from './content-type.js';
import { type DocumentDownload, DocumentService, sanitizeFilename } from './document.service.js';

const NOT_FOUND_BODY = JSON.stringify({ errors: [{ message: 'No document with this id.', extensions: { code: 'NOT_FOUND' } }] });

/** A JSON error answer, never cached or sniffed. */
function refuse(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    'cache-control': 'private, no-store',
    'x-content-type-options': 'nosniff',
    ...headers,
  });
  res.end(body);
}

const errorBody = (code: string, message: string, extensions: Record<string, unknown> = {}) =>
  JSON.stringify({ errors: [{ message, extensions: { code, ...extensions } }] });

/**
 * How this route answers the core's errors: not found (whatever the reason) 404, bad input 400, not
 * signed in 401, not allowed 403. Anything else is the server's to log and mask.
 */
function answerError(res: ServerResponse, error: unknown): void {
  if (error instanceof ProblemsFound && error.problems.every((p) => p.code === ProblemCode.NOT_FOUND)) return refuse(res, 404, NOT_FOUND_BODY);
  if (error instanceof InvalidArgument) return refuse(res, 400, errorBody('BAD_USER_INPUT', error.message));
  if (error instanceof AccessDenied) {
    if (error.kind === 'UNAUTHENTICATED') return refuse(res, 401, errorBody('UNAUTHENTICATED', error.message), { 'www-authenticate': 'Bearer' });
    return refuse(res, 403, errorBody('FORBIDDEN', error.message, error.reason ? { reason: error.reason } : {}));
  }
  throw error;
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

/** The path segment as the client meant it; malformed percent-encoding is an id that names nothing. */
function decodedSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return '';
  }
}

/**
 * GET /documents/<global id>: the file, as an attachment, to those who may read it. The document
 * service decides who may; a malformed, unknown or unreadable id gets the same 404.
 */
export async function serveDocument(actor: Actor, res: ServerResponse, globalId: string): Promise<void> {
  let found: DocumentDownload;
  try {
    found = await new DocumentService(actor).download(decodedSegment(globalId));
  } catch (error) {
    return answerError(res, error);
  }
  const { document, content } = found;
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
