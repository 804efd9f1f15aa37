import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FileUpload } from 'graphql-upload-minimal';

/** An upload written to a temporary file, whole or cut at its size cap, with what was learnt on the way. */
export interface SpooledFile {
  /** The temporary file; whoever chose the path removes it. */
  path: string;
  /** Bytes written: never more than the cap. */
  size: number;
  /** More bytes came than the cap allows: the rest was read and dropped. */
  truncated: boolean;
  /** Hex SHA-256 of the bytes written. */
  sha256: string;
}

/** A FileUpload whose bytes already lie in a temporary file (the multipart reader makes these). */
export interface StagedUpload extends FileUpload {
  readonly staged: SpooledFile;
}

export function isStaged(file: FileUpload): file is StagedUpload {
  return typeof (file as Partial<StagedUpload>).staged?.path === 'string';
}

/**
 * Writes `stream` to a new file at `path`, hashing as it goes, and keeps at most `maxBytes`; bytes
 * past the cap are read and dropped (not left unread: a multipart parser waits for each part to be
 * consumed before it reads the next). Memory use is one chunk, whatever the size.
 */
export async function spool(stream: Readable, path: string, maxBytes: number): Promise<SpooledFile> {
  const hash = createHash('sha256');
  let size = 0;
  let truncated = false;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      if (truncated || size + chunk.length > maxBytes) {
        truncated = true;
        return done();
      }
      size += chunk.length;
      hash.update(chunk);
      done(null, chunk);
    },
  });
  await pipeline(stream, meter, createWriteStream(path, { flags: 'wx', mode: 0o600 }));
  // busboy cuts a file at its own limit and only flags it.
  if ((stream as Readable & { truncated?: boolean }).truncated) truncated = true;
  return { path, size, truncated, sha256: hash.digest('hex') };
}
