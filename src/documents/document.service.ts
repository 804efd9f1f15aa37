import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { FileUpload } from 'graphql-upload-minimal';
import type { Em } from '../db/orm.js';
import type { Problems } from '../graphql/problems.js';
import { UserError, UserErrorCode, UserErrorsException } from '../graphql/user-errors.js';
import { User } from '../users/user.entity.js';
import { ALLOWED_CONTENT_TYPES, type AllowedContentType, CONTENT_TYPE_NAMES, detectContentType } from './content-type.js';
import { Document, type DocumentKind } from './document.entity.js';

/** An upload read in full, within its size cap, not yet stored. */
export interface ReceivedFile {
  /** The client's name for it, sanitized (see `sanitizeFilename`); for display and download only. */
  filename: string;
  /** What the bytes are by their signature; null when they are none of the types we take. */
  contentType: AllowedContentType | null;
  bytes: Buffer;
  size: number;
  /** Hex SHA-256 of `bytes`. */
  sha256: string;
}

/** The codes this module reports, in one place so a new, more precise code is a one-line change. */
export const DOCUMENT_ERROR_CODES = {
  tooLarge: UserErrorCode.FILE_TOO_LARGE,
  empty: UserErrorCode.FILE_EMPTY,
  typeNotAllowed: UserErrorCode.FILE_TYPE_NOT_ALLOWED,
} as const;

const MAX_FILENAME = 255;
const FALLBACK_FILENAME = 'document';
// C0/C1 controls, line and paragraph separators, bidi overrides and isolates ("cv\u202Efdp.exe"), BOM.
const UNSAFE_CHARACTERS = /[\p{Cc}\p{Zl}\p{Zp}\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069\uFEFF]/gu;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * The name to keep: the last path segment, NFC (macOS sends decomposed å), without control or bidi
 * characters, at most 255 characters with the extension kept. Idempotent.
 */
export function sanitizeFilename(name: string): string {
  const cleaned = String(name ?? '')
    .replace(LONE_SURROGATE, '\uFFFD')
    .normalize('NFC')
    .replace(UNSAFE_CHARACTERS, '');
  const base = cleaned.split(/[\\/]/).pop()!.trim();
  if (base === '' || base === '.' || base === '..') return FALLBACK_FILENAME;
  const characters = Array.from(base);
  if (characters.length <= MAX_FILENAME) return base;
  // Cut the stem, not the extension, so the download still opens with the right program.
  const dot = base.lastIndexOf('.');
  const extension = dot > 0 ? Array.from(base.slice(dot)) : [];
  const kept = extension.length > 0 && extension.length <= 16 ? extension : [];
  return characters.slice(0, MAX_FILENAME - kept.length).join('').trimEnd() + kept.join('');
}

function failure(code: UserErrorCode, field: string[], message: string): UserErrorsException {
  return new UserErrorsException([UserError.of(code, field, message)]);
}

function tooLarge(field: string[], maxBytes: number): UserErrorsException {
  return failure(DOCUMENT_ERROR_CODES.tooLarge, field, `The file is larger than the limit of ${maxBytes} bytes.`);
}

/** graphql-upload-minimal's own maxFileSize: an HttpError 413 from createReadStream() or on the stream. */
function isUploadSizeLimit(error: unknown): boolean {
  return error instanceof Error && (error as { status?: unknown }).status === 413 && error.message.startsWith('File truncated');
}

/**
 * Reads the stream, hashing as it goes, and rejects as soon as more than `maxBytes` arrived. After
 * a rejection the rest is drained and dropped, not destroyed: destroying a busboy file stream stalls
 * the multipart parser, so the request's later files would never arrive and the request would hang.
 */
function collect(stream: Readable, maxBytes: number, field: string[]): Promise<{ bytes: Buffer; sha256: string }> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    let chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      chunks = [];
      reject(error);
    };
    stream.on('data', (chunk: Buffer | string) => {
      if (settled) return;
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      size += bytes.length;
      if (size > maxBytes) return fail(tooLarge(field, maxBytes));
      hash.update(bytes);
      chunks.push(bytes);
    });
    // busboy ends a file cut at its limit normally, only flagging it, so the flag must be checked.
    stream.on('limit', () => fail(tooLarge(field, maxBytes)));
    stream.on('error', (error) => fail(isUploadSizeLimit(error) ? tooLarge(field, maxBytes) : error));
    stream.on('end', () => {
      if ((stream as Readable & { truncated?: boolean }).truncated) return fail(tooLarge(field, maxBytes));
      if (settled) return;
      settled = true;
      resolve({ bytes: Buffer.concat(chunks, size), sha256: hash.digest('hex') });
    });
  });
}

/**
 * Reads one upload of a mutation input in full, with a hard cap of `maxBytes`. Throws a
 * `UserErrorsException` (FILE_TOO_LARGE, FILE_EMPTY) naming `field`; anything else the upload throws
 * (a client that went away, a broken request) is rethrown as is. The type is detected, not checked:
 * see `checkFile`.
 */
export async function readUpload(upload: Promise<FileUpload> | FileUpload, maxBytes: number, field: string[]): Promise<ReceivedFile> {
  const file = await upload;
  let stream: Readable;
  try {
    stream = file.createReadStream();
  } catch (error) {
    // The limit was hit before anyone asked for the stream.
    throw isUploadSizeLimit(error) ? tooLarge(field, maxBytes) : error;
  }
  const { bytes, sha256 } = await collect(stream, maxBytes, field);
  if (bytes.length === 0) throw failure(DOCUMENT_ERROR_CODES.empty, field, 'The file is empty.');
  return { filename: sanitizeFilename(file.filename), contentType: detectContentType(bytes), bytes, size: bytes.length, sha256 };
}

/** FILE_TYPE_NOT_ALLOWED unless the bytes are one of `allowed`; null when the file may be kept. */
export function checkFile(file: ReceivedFile, allowed: readonly AllowedContentType[], field: string[]): UserError | null {
  if (file.contentType && allowed.includes(file.contentType)) return null;
  const names = allowed.map((type) => CONTENT_TYPE_NAMES[type]);
  const list = names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}` : (names[0] ?? 'no');
  return UserError.of(DOCUMENT_ERROR_CODES.typeNotAllowed, field, `Only ${list} files are accepted here.`);
}

/**
 * Creates the document in the caller's transaction and nothing else: it is written by the caller's
 * flush, so it exists only if the object it belongs to does.
 */
export function storeDocument(em: Em, file: ReceivedFile, kind: DocumentKind, uploaderId: string | null): Document {
  // A programming error, not a user's: every caller runs checkFile first.
  if (!file.contentType) throw new Error('storeDocument: the file is of no accepted type; call checkFile first');
  return em.create(Document, {
    kind,
    filename: sanitizeFilename(file.filename),
    contentType: file.contentType,
    size: file.bytes.length,
    sha256: file.sha256,
    content: file.bytes,
    uploadedBy: uploaderId ? em.getReference(User, uploaderId) : null,
  });
}

/**
 * Reads an upload of a mutation input and checks it; problems are added to the input's list and
 * null returned, so the mutation reports them with its other errors and stores nothing.
 */
export async function acceptUpload(
  upload: Promise<FileUpload> | FileUpload,
  field: string[],
  maxBytes: number,
  problems: Problems,
  allowed: readonly AllowedContentType[] = ALLOWED_CONTENT_TYPES,
): Promise<ReceivedFile | null> {
  try {
    const file = await readUpload(upload, maxBytes, field);
    const wrongType = checkFile(file, allowed, field);
    if (!wrongType) return file;
    problems.add(wrongType.code, wrongType.field, wrongType.message);
  } catch (error) {
    if (!(error instanceof UserErrorsException)) throw error;
    for (const e of error.errors) problems.add(e.code, e.field, e.message);
  }
  return null;
}
