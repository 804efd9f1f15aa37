import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import yauzl from 'yauzl';

const CHUNK = 64 * 1024;

/**
 * A file being checked, read in bounded pieces: from its temporary file on disk during an upload,
 * from memory in unit tests. Nothing here holds more than one chunk of it.
 */
export interface FileSource {
  readonly size: number;
  /** Up to `length` bytes from `position` (fewer at the end of the file). */
  read(position: number, length: number): Promise<Buffer>;
  /** The bytes from `start` up to `end` (exclusive), in order, in chunks of at most 64 KiB. */
  chunks(start?: number, end?: number): AsyncIterable<Buffer>;
}

export function bufferSource(bytes: Buffer): FileSource {
  return {
    size: bytes.length,
    read: async (position, length) => bytes.subarray(position, Math.min(bytes.length, position + length)),
    async *chunks(start = 0, end = bytes.length) {
      for (let at = start; at < Math.min(end, bytes.length); at += CHUNK) yield bytes.subarray(at, Math.min(end, at + CHUNK));
    },
  };
}

/** Reads the file at `path` through one descriptor; `close` must be called when done. */
export async function fileSource(path: string): Promise<FileSource & { close(): Promise<void> }> {
  const handle = await open(path, 'r');
  const { size } = await handle.stat();
  const read = async (position: number, length: number): Promise<Buffer> => {
    const buffer = Buffer.alloc(Math.max(0, Math.min(length, size - position)));
    let filled = 0;
    while (filled < buffer.length) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, position + filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return buffer.subarray(0, filled);
  };
  return {
    size,
    read,
    async *chunks(start = 0, end = size) {
      for (let at = start; at < Math.min(end, size); at += CHUNK) {
        const chunk = await read(at, Math.min(CHUNK, end - at));
        if (chunk.length === 0) return;
        yield chunk;
      }
    },
    close: () => handle.close(),
  };
}

/** yauzl reading through a FileSource (its own descriptor handling would close ours). */
class SourceReader extends yauzl.RandomAccessReader {
  constructor(private readonly source: FileSource) {
    super();
  }

  override _readStreamForRange(start: number, end: number): Readable {
    return Readable.from(this.source.chunks(start, end), { objectMode: false });
  }
}

/** The file as a ZIP archive, for yauzl, which reads its directory and entries on demand. */
export function openZip(source: FileSource, options: yauzl.Options): Promise<yauzl.ZipFile> {
  return yauzl.fromRandomAccessReaderPromise(new SourceReader(source), source.size, options);
}
