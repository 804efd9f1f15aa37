import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FileUpload } from 'graphql-upload-minimal';
import type { Actor } from '../auth/actor.js';
import type { Em } from '../db/orm.js';
import { execute, sql } from '../db/sql.js';
import { idOfType } from '../domain/global-id.js';
import type { Problems } from '../domain/problems.js';
import { problem, ProblemCode, ProblemsFound } from '../domain/errors.js';
import { User } from '../users/user.entity.js';
import { ALLOWED_CONTENT_TYPES, type AllowedContentType, CONTENT_TYPE_EXTENSIONS, CONTENT_TYPE_NAMES } from './content-type.js';
import { Document, type DocumentKind } from './document.entity.js';
import { fileSource } from './file-source.js';
import { type Inspection, inspectFile } from './file-inspection.js';
import { isStaged, spool, type SpooledFile } from '../domain/upload-spool.js';

/** An upload that passed every check, read into memory to be stored. */
export interface ReceivedFile {
  /** The client's name for it, sanitized and ending in its type's extension (see `filenameFor`); for display and download only. */
  filename: string;
  /** What the bytes are, checked from them (see `inspectFile`). */
  contentType: AllowedContentType;
  bytes: Buffer;
  size: number;
  /** Hex SHA-256 of `bytes`. */
  sha256: string;
}

/** How large an uploaded file may be (`UPLOAD_MAX_FILE_SIZE`); services that take attachments are built with it. */
export interface UploadLimits {
  uploadMaxFileSize: number;
}

/** The codes this module reports, in one place so a new, more precise code is a one-line change. */
export const DOCUMENT_ERROR_CODES = {
  tooLarge: ProblemCode.FILE_TOO_LARGE,
  empty: ProblemCode.FILE_EMPTY,
  // Also for a file of an accepted type that is damaged or unsafe (a zip bomb, a PDF with scripts): the message says which.
  typeNotAllowed: ProblemCode.FILE_TYPE_NOT_ALLOWED,
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

/**
 * The name to store for a file of `type`: its own, with the type's extension added when it has
 * another, so that a download opens with the program for what the bytes are ("cv.exe" → "cv.exe.pdf").
 */
export function filenameFor(name: string, type: AllowedContentType): string {
  const clean = sanitizeFilename(name);
  const extensions = CONTENT_TYPE_EXTENSIONS[type];
  if (extensions.some((e) => clean.toLowerCase().endsWith(e) && clean.length > e.length)) return clean;
  return sanitizeFilename(`${clean}${extensions[0]}`);
}

function failure(code: ProblemCode, field: string[], message: string): ProblemsFound {
  return new ProblemsFound([problem(code, field, message)]);
}

function listOf(types: readonly AllowedContentType[]): string {
  const names = types.map((type) => CONTENT_TYPE_NAMES[type]);
  return names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}` : (names[0] ?? 'no');
}

/** The accepted type the client's file name claims, for a message; never used to decide anything. */
function claimedType(filename: string, allowed: readonly AllowedContentType[]): AllowedContentType | null {
  const lower = filename.toLowerCase();
  return allowed.find((type) => CONTENT_TYPE_EXTENSIONS[type].some((e) => lower.endsWith(e))) ?? null;
}

/** Why the inspected file may not be kept here, for the person who sent it; null when it may. */
function refusal(inspection: Inspection, allowed: readonly AllowedContentType[], filename: string): string | null {
  const accepted = `only ${listOf(allowed)} files are accepted here.`;
  switch (inspection.kind) {
    case 'accepted':
      return allowed.includes(inspection.type) ? null : `This file is a ${CONTENT_TYPE_NAMES[inspection.type]}; ${accepted}`;
    case 'refused':
      return `This ${CONTENT_TYPE_NAMES[inspection.type]} ${inspection.reason}.`;
    case 'foreign': {
      if (!inspection.what) return `Only ${listOf(allowed)} files are accepted here.`;
      const claimed = claimedType(filename, allowed);
      return claimed ? `This file is ${inspection.what}, not a ${CONTENT_TYPE_NAMES[claimed]}.` : `This file is ${inspection.what}; ${accepted}`;
    }
  }
}

/** Checks a staged upload and, only when it passed, reads it into memory. */
async function receive(file: FileUpload, staged: SpooledFile, maxBytes: number, field: string[], allowed: readonly AllowedContentType[]): Promise<ReceivedFile> {
  if (staged.truncated || staged.size > maxBytes) throw failure(DOCUMENT_ERROR_CODES.tooLarge, field, `The file is larger than the limit of ${maxBytes} bytes.`);
  if (staged.size === 0) throw failure(DOCUMENT_ERROR_CODES.empty, field, 'The file is empty.');
  const source = await fileSource(staged.path);
  let inspection: Inspection;
  try {
    inspection = await inspectFile(source);
  } finally {
    await source.close();
  }
  const problem = refusal(inspection, allowed, String(file.filename ?? ''));
  if (problem || inspection.kind !== 'accepted') throw failure(DOCUMENT_ERROR_CODES.typeNotAllowed, field, problem ?? 'The file cannot be accepted.');
  const bytes = await readFile(staged.path);
  if (bytes.length !== staged.size) throw new Error('a staged upload changed size between its check and its reading');
  return { filename: filenameFor(file.filename, inspection.type), contentType: inspection.type, bytes, size: bytes.length, sha256: staged.sha256 };
}

/**
 * Receives one upload of a mutation input: from its temporary file when the multipart reader staged
 * it (every request over HTTP), else staged here first. It is checked from disk, with a hard cap of
 * `maxBytes`, and read into memory only once it passed. Throws a `ProblemsFound`
 * (FILE_TOO_LARGE, FILE_EMPTY, FILE_TYPE_NOT_ALLOWED) naming `field`; anything else is rethrown.
 */
export async function readUpload(
  upload: Promise<FileUpload> | FileUpload,
  maxBytes: number,
  field: string[],
  allowed: readonly AllowedContentType[] = ALLOWED_CONTENT_TYPES,
): Promise<ReceivedFile> {
  const file = await upload;
  if (isStaged(file)) return receive(file, file.staged, maxBytes, field, allowed);
  const directory = await mkdtemp(join(tmpdir(), 'hub-upload-'));
  try {
    const staged = await spool(file.createReadStream(), join(directory, 'file'), maxBytes);
    return await receive(file, staged, maxBytes, field, allowed);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

/**
 * Creates the document in the caller's transaction and nothing else: it is written by the caller's
 * flush, so it exists only if the object it belongs to does.
 */
export function storeDocument(em: Em, file: ReceivedFile, kind: DocumentKind, uploaderId: string | null): Document {
  return em.create(Document, {
    kind,
    filename: filenameFor(file.filename, file.contentType),
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
    return await readUpload(upload, maxBytes, field, allowed);
  } catch (error) {
    if (!(error instanceof ProblemsFound)) throw error;
    for (const e of error.problems) problems.add(e.code, e.field, e.message);
  }
  return null;
}

/** A document with its bytes, as a download hands it out. */
export interface DocumentDownload {
  document: Document;
  content: Buffer;
}

/** Reading documents: those attached to something the actor may read (Policy.readableDocuments), whichever edge asks. */
export class DocumentService {
  constructor(private readonly actor: Actor) {}

  /** The documents the actor may read among `ids`, without their content. */
  async findVisible(ids: string[]): Promise<Document[]> {
    if (ids.length === 0) return [];
    const { em, policy } = this.actor;
    const rows = await execute<Record<string, unknown>>(
      em,
      sql`select t.id, t.kind, t.filename, t.content_type, t.size, t.sha256, t.uploaded_by_id, t.created_at
        from documents t where t.id in (${ids}) and ${policy.readableDocuments('t')}`,
    );
    return rows.map((r) => em.map(Document, r));
  }

  /**
   * A document and its bytes, by global id, for a registered user who may read it. Permission first:
   * a malformed, unknown or unreadable id is the same NOT_FOUND, and the content is read only once
   * reading is allowed.
   */
  async download(globalId: string): Promise<DocumentDownload> {
    this.actor.policy.requireUser();
    const id = idOfType(globalId, 'Document');
    const [document] = id ? await this.findVisible([id]) : [];
    if (!document) throw new ProblemsFound([problem(ProblemCode.NOT_FOUND, ['id'], 'No document with this id.')]);
    const [row] = await execute<{ content: Uint8Array }>(this.actor.em, sql`select t.content from documents t where t.id = ${document.id}`);
    if (!row) throw new ProblemsFound([problem(ProblemCode.NOT_FOUND, ['id'], 'No document with this id.')]);
    return { document, content: Buffer.isBuffer(row.content) ? row.content : Buffer.from(row.content) };
  }
}
