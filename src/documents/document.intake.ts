import type { FileUpload } from 'graphql-upload-minimal';
import type { Problems } from '../graphql/problems.js';
import { UserErrorsException } from '../graphql/user-errors.js';
import { ALLOWED_CONTENT_TYPES, type AllowedContentType } from './content-type.js';
import { checkFile, readUpload, type ReceivedFile } from './document.service.js';

export { storeDocument, type ReceivedFile } from './document.service.js';

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
