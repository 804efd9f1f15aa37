import { createHash } from 'node:crypto';
import type { FileUpload } from 'graphql-upload-minimal';
import type { Em } from '../db/orm.js';
import type { Problems } from '../graphql/problems.js';
import { UserErrorCode } from '../graphql/user-errors.js';
import { User } from '../users/user.entity.js';
import { Document, type DocumentKind } from './document.entity.js';
import { detectContentType } from './content-type.js';

export interface ReceivedFile {
  filename: string;
  contentType: string;
  bytes: Buffer;
  sha256: string;
}

/**
 * Reads an upload of a mutation input and checks it; problems are added to the input's list and
 * null returned, so the mutation reports them with its other errors and stores nothing.
 */
export async function acceptUpload(upload: Promise<FileUpload> | FileUpload, field: string[], maxBytes: number, problems: Problems): Promise<ReceivedFile | null> {
  const file = await upload;
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of file.createReadStream()) {
      size += (chunk as Buffer).length;
      if (size > maxBytes) break;
      chunks.push(chunk as Buffer);
    }
  } catch {
    size = maxBytes + 1;
  }
  if (size > maxBytes) {
    problems.add(UserErrorCode.FILE_TOO_LARGE, field, `The file is larger than ${maxBytes} bytes.`);
    return null;
  }
  const bytes = Buffer.concat(chunks);
  if (bytes.length === 0) {
    problems.add(UserErrorCode.FILE_EMPTY, field, 'The file is empty.');
    return null;
  }
  const contentType = detectContentType(bytes);
  if (!contentType) {
    problems.add(UserErrorCode.FILE_TYPE_NOT_ALLOWED, field, 'Only PDF, DOCX, PNG and JPEG files are accepted.');
    return null;
  }
  return { filename: file.filename, contentType, bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** Creates the document in the caller's transaction, so it exists only if the change does. */
export function storeDocument(em: Em, file: ReceivedFile, kind: DocumentKind, uploaderId: string | null): Document {
  return em.create(Document, {
    kind,
    filename: file.filename.replace(/^.*[\\/]/, '').slice(0, 255),
    contentType: file.contentType,
    size: file.bytes.length,
    sha256: file.sha256,
    content: file.bytes,
    uploadedBy: uploaderId ? em.getReference(User, uploaderId) : null,
  });
}
