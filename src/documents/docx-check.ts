import type { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import type yauzl from 'yauzl';
import { ExecutableScanner } from './executable-scan.js';
import { type FileSource, openZip } from './file-source.js';

/**
 * Limits on what a Word document may unpack to. Word's own documents stay far inside them: a CV or a
 * signed form is a few hundred KiB of XML and images, deflated 3 to 20 times; images barely compress.
 */
export const ZIP_LIMITS = {
  /** Parts in the archive (a long report with many images has a few hundred). */
  entries: 1000,
  /** Bytes all parts together unpack to, as declared and as actually inflated. */
  totalUncompressed: 50 * 1024 * 1024,
  /** Largest unpacked/packed ratio of one part, for parts larger than `ratioFrom`. */
  ratio: 100,
  ratioFrom: 64 * 1024,
  /** Bytes of [Content_Types].xml and relationship parts read to check what they declare. */
  xmlPart: 1024 * 1024,
} as const;

/** What a ZIP turned out to be. */
export type ZipVerdict = { kind: 'docx' } | { kind: 'foreign'; what: string } | { kind: 'refused'; reason: string };

const refused = (reason: string): ZipVerdict => ({ kind: 'refused', reason });
const BOMB = 'unpacks to far more than a document does (a "zip bomb")';
const MiB = 1024 * 1024;
const declaredTooMuch = (bytes: number) => `${BOMB}: its parts declare ${Math.ceil(bytes / MiB)} MiB, more than the ${ZIP_LIMITS.totalUncompressed / MiB} MiB allowed`;
const DAMAGED = 'is damaged: ';

const EOCD = 0x06054b50;
const EOCD_SIZE = 22;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EXTRA = 0x0001;
const DATA_DESCRIPTOR = 0x08074b50;
const FLAG_ENCRYPTED = 0x0001;
const FLAG_DATA_DESCRIPTOR = 0x0008;
const FLAG_STRONG_ENCRYPTION = 0x0040;
const STORED = 0;
const DEFLATED = 8;

interface Directory {
  entries: number;
  offset: number;
}

/**
 * The end-of-central-directory record, read the way yauzl reads it (the last signature, whose
 * comment must reach the end of the file exactly), so that both agree on where the directory is.
 */
async function endOfDirectory(source: FileSource): Promise<Directory | string> {
  const length = Math.min(source.size, 20 + EOCD_SIZE + 0xffff);
  const tail = await source.read(source.size - length, length);
  let at = -1;
  for (let i = tail.length - EOCD_SIZE; i >= 0; i--) {
    if (tail.readUInt32LE(i) === EOCD) {
      at = i;
      break;
    }
  }
  if (at === -1 || at + EOCD_SIZE + tail.readUInt16LE(at + 20) !== tail.length) {
    return `${DAMAGED}its ZIP directory is missing, or something is attached after it`;
  }
  const disk = tail.readUInt16LE(at + 4);
  const directoryDisk = tail.readUInt16LE(at + 6);
  const entriesHere = tail.readUInt16LE(at + 8);
  const entries = tail.readUInt16LE(at + 10);
  const size = tail.readUInt32LE(at + 12);
  const offset = tail.readUInt32LE(at + 16);
  if (entries === 0xffff || size === 0xffffffff || offset === 0xffffffff || (at >= 20 && tail.readUInt32LE(at - 20) === ZIP64_LOCATOR)) {
    return 'uses ZIP64, which a document of this size never needs';
  }
  if (disk !== 0 || directoryDisk !== 0 || entriesHere !== entries) return `${DAMAGED}it is split over several files`;
  // The directory ends where the end record starts: nothing hides between them.
  if (offset + size !== source.size - length + at) return `${DAMAGED}its ZIP directory is not where the archive says`;
  if (entries > ZIP_LIMITS.entries) return `has ${entries} parts, more than the ${ZIP_LIMITS.entries} a document has`;
  return { entries, offset };
}

function nextEntry(zip: yauzl.ZipFile): Promise<yauzl.Entry | null> {
  return new Promise((resolve, reject) => {
    const done = () => {
      zip.off('entry', onEntry);
      zip.off('end', onEnd);
      zip.off('error', onError);
    };
    const onEntry = (entry: yauzl.Entry) => (done(), resolve(entry));
    const onEnd = () => (done(), resolve(null));
    const onError = (error: Error) => (done(), reject(error));
    zip.on('entry', onEntry);
    zip.on('end', onEnd);
    zip.on('error', onError);
    zip.readEntry();
  });
}

/** Why one directory entry is refused, before anything is read from it. */
function entryProblem(entry: yauzl.Entry): string | null {
  const flags = entry.generalPurposeBitFlag;
  if (flags & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION)) return 'is password-protected, so its content cannot be checked';
  if (entry.extraFields.some((f) => f.id === ZIP64_EXTRA)) return 'uses ZIP64, which a document of this size never needs';
  if (entry.compressionMethod !== STORED && entry.compressionMethod !== DEFLATED) return `${DAMAGED}a part uses a compression method Word does not write`;
  // Control characters in a part name (yauzl refuses absolute paths, backslashes and "..").
  if (/[\u0000-\u001f\u007f]/.test(entry.fileName)) return 'has a part with an unsafe name';
  if (entry.uncompressedSize > ZIP_LIMITS.totalUncompressed) return declaredTooMuch(entry.uncompressedSize);
  if (entry.uncompressedSize > ZIP_LIMITS.ratioFrom && entry.uncompressedSize > ZIP_LIMITS.ratio * Math.max(1, entry.compressedSize)) {
    return `${BOMB}: a part is compressed ${Math.floor(entry.uncompressedSize / Math.max(1, entry.compressedSize))} to 1, more than the ${ZIP_LIMITS.ratio} to 1 allowed`;
  }
  if (entry.compressionMethod === STORED && entry.compressedSize !== entry.uncompressedSize) return `${DAMAGED}a stored part has two sizes`;
  return null;
}

/** An Office Open XML package is a Word document when it has the content-types part and a word/ folder. */
function whatPackageIs(names: string[]): ZipVerdict | null {
  const lower = names.map((n) => n.toLowerCase());
  const has = (prefix: string) => lower.some((n) => n.startsWith(prefix));
  if (!lower.includes('[content_types].xml')) return { kind: 'foreign', what: 'a ZIP archive' };
  if (has('xl/')) return { kind: 'foreign', what: 'an Excel workbook' };
  if (has('ppt/')) return { kind: 'foreign', what: 'a PowerPoint presentation' };
  if (!has('word/')) return { kind: 'foreign', what: 'an Office file of another kind' };
  // Macros make it a .docm, which people would open from us trusting the hub.
  if (lower.some((n) => n.endsWith('vbaproject.bin') || n.endsWith('vbadata.xml'))) return { kind: 'foreign', what: 'a macro-enabled Word document (.docm)' };
  // ActiveX controls and OLE objects (word/embeddings/*.bin) run code of their own; embedded Office files are .docx/.xlsx and are kept.
  if (has('word/activex/')) return refused('contains ActiveX controls, which can run programs');
  if (lower.some((n) => n.startsWith('word/embeddings/') && n.endsWith('.bin'))) return refused('contains embedded OLE objects, which can run programs');
  return null;
}

/** Local headers say what the directory says, and the parts tile the file from 0 to the directory. */
async function checkLocalHeaders(zip: yauzl.ZipFile, source: FileSource, entries: yauzl.Entry[], directoryOffset: number): Promise<string | null> {
  let expected = 0;
  for (const entry of [...entries].sort((a, b) => a.relativeOffsetOfLocalHeader - b.relativeOffsetOfLocalHeader)) {
    if (entry.relativeOffsetOfLocalHeader !== expected) return `${DAMAGED}its parts overlap or have gaps between them`;
    let local: yauzl.LocalFileHeader;
    try {
      local = await zip.readLocalFileHeaderPromise(entry);
    } catch {
      return `${DAMAGED}a part's local header is missing`;
    }
    const flags = entry.generalPurposeBitFlag;
    const descriptor = (flags & FLAG_DATA_DESCRIPTOR) !== 0;
    const agrees =
      local.fileName.equals(entry.fileNameRaw) &&
      local.compressionMethod === entry.compressionMethod &&
      (local.generalPurposeBitFlag & (FLAG_ENCRYPTED | FLAG_DATA_DESCRIPTOR | FLAG_STRONG_ENCRYPTION)) === (flags & (FLAG_ENCRYPTED | FLAG_DATA_DESCRIPTOR | FLAG_STRONG_ENCRYPTION)) &&
      // With a data descriptor the local sizes may be left zero; otherwise they must be the directory's.
      ((descriptor && local.crc32 === 0 && local.compressedSize === 0 && local.uncompressedSize === 0) ||
        (local.crc32 === entry.crc32 && local.compressedSize === entry.compressedSize && local.uncompressedSize === entry.uncompressedSize));
    if (!agrees) return `${DAMAGED}a part's local header disagrees with the ZIP directory`;
    let end = local.fileDataStart + entry.compressedSize;
    if (descriptor) {
      const bytes = await source.read(end, 16);
      const signed = bytes.length >= 4 && bytes.readUInt32LE(0) === DATA_DESCRIPTOR;
      const fields = signed ? bytes.subarray(4) : bytes;
      if (fields.length < 12 || fields.readUInt32LE(0) !== entry.crc32 || fields.readUInt32LE(4) !== entry.compressedSize || fields.readUInt32LE(8) !== entry.uncompressedSize) {
        return `${DAMAGED}a part's data descriptor disagrees with the ZIP directory`;
      }
      end += signed ? 16 : 12;
    }
    expected = end;
  }
  return expected === directoryOffset ? null : `${DAMAGED}there is data between its parts and its directory`;
}

/**
 * Inflates every part, stopping past its declared size (yauzl's validateEntrySizes), and checks its
 * CRC-32: a directory that lies about sizes is caught here, whatever it declared. Parts are also
 * searched for executable programs, and the small XML parts that say what the package loads are kept.
 */
async function inflateAll(zip: yauzl.ZipFile, entries: yauzl.Entry[], xml: Map<string, string>): Promise<string | null> {
  let total = 0;
  for (const entry of entries) {
    let stream: Readable;
    try {
      stream = await zip.openReadStreamPromise(entry);
    } catch {
      return `${DAMAGED}a part cannot be read`;
    }
    const name = entry.fileName.toLowerCase();
    const keep = name === '[content_types].xml' || name.endsWith('.rels');
    const kept: Buffer[] = [];
    let keptBytes = 0;
    let crc = 0;
    const executables = new ExecutableScanner();
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        total += chunk.length;
        if (total > ZIP_LIMITS.totalUncompressed) return `${BOMB}: its parts unpack to more than ${ZIP_LIMITS.totalUncompressed / MiB} MiB`;
        crc = crc32(chunk, crc);
        executables.push(chunk);
        if (executables.foundAt !== null) return 'contains an executable program';
        if (keep && keptBytes < ZIP_LIMITS.xmlPart) {
          kept.push(chunk.subarray(0, ZIP_LIMITS.xmlPart - keptBytes));
          keptBytes += Math.min(chunk.length, ZIP_LIMITS.xmlPart - keptBytes);
        }
      }
    } catch (error) {
      // yauzl's byte count: the part inflates to more, or fewer, bytes than the directory declares.
      if (/too many bytes in the stream/.test(String(error))) return `${BOMB}: a part is larger than its directory declares`;
      return /not enough bytes in the stream/.test(String(error)) ? `${DAMAGED}a part is smaller than its directory declares` : `${DAMAGED}a part cannot be decompressed`;
    } finally {
      stream.destroy();
    }
    executables.end();
    if (executables.foundAt !== null) return 'contains an executable program';
    if (crc !== entry.crc32) return `${DAMAGED}a part fails its checksum`;
    if (keep) xml.set(name, Buffer.concat(kept).toString('utf8'));
  }
  return null;
}

/** Relationship types that make Word fetch and run something when the document opens ("template injection"). */
const REMOTE_CODE_RELATIONSHIPS = /\/(attachedTemplate|oleObject|frame|subDocument|package)$/i;

function declaredProblem(xml: Map<string, string>): ZipVerdict | null {
  if (/macroEnabled/i.test(xml.get('[content_types].xml') ?? '')) return { kind: 'foreign', what: 'a macro-enabled Word document (.docm)' };
  for (const [name, text] of xml) {
    if (!name.endsWith('.rels')) continue;
    for (const [relationship] of text.matchAll(/<Relationship\b[^>]*>/g)) {
      const type = /\bType\s*=\s*["']([^"']*)["']/.exec(relationship)?.[1] ?? '';
      if (/\bTargetMode\s*=\s*["']External["']/i.test(relationship) && REMOTE_CODE_RELATIONSHIPS.test(type)) {
        return refused('loads a template or object from elsewhere when it is opened');
      }
    }
  }
  return null;
}

/**
 * Checks a file that starts like a ZIP archive, before anything of it is kept: its directory (at most
 * `ZIP_LIMITS.entries` parts, no ZIP64, no encryption, safe names, no part unpacking beyond the size
 * and ratio limits), that local headers agree with it and the parts tile the file, then what the
 * package is, and finally every part inflated for real (see `inflateAll`).
 */
export async function checkDocx(source: FileSource): Promise<ZipVerdict> {
  const directory = await endOfDirectory(source);
  if (typeof directory === 'string') return refused(directory);
  let zip: yauzl.ZipFile;
  try {
    zip = await openZip(source, { lazyEntries: true, decodeStrings: true, validateEntrySizes: true, strictFileNames: true, autoClose: false });
  } catch {
    return refused(`${DAMAGED}its ZIP directory cannot be read`);
  }
  // yauzl reports later failures through callbacks; an 'error' without a listener would end the process.
  zip.on('error', () => {});
  try {
    const entries: yauzl.Entry[] = [];
    const seen = new Set<string>();
    let declared = 0;
    for (;;) {
      let entry: yauzl.Entry | null;
      try {
        entry = await nextEntry(zip);
      } catch (error) {
        return refused(/fileName|path/i.test(String(error)) ? 'has a part with an unsafe name' : `${DAMAGED}its ZIP directory cannot be read`);
      }
      if (!entry) break;
      const problem = entryProblem(entry);
      if (problem) return refused(problem);
      // Part names are case-insensitive in Office packages: two spellings of one name would be read differently by different programs.
      const key = entry.fileName.toLowerCase();
      if (seen.has(key)) return refused(`${DAMAGED}two parts have the same name`);
      seen.add(key);
      declared += entry.uncompressedSize;
      if (declared > ZIP_LIMITS.totalUncompressed) return refused(declaredTooMuch(declared));
      entries.push(entry);
    }
    if (entries.length !== directory.entries) return refused(`${DAMAGED}its ZIP directory does not hold the parts it counts`);
    const kind = whatPackageIs(entries.map((e) => e.fileName));
    if (kind) return kind;
    const local = await checkLocalHeaders(zip, source, entries, directory.offset);
    if (local) return refused(local);
    const xml = new Map<string, string>();
    const inflated = await inflateAll(zip, entries, xml);
    if (inflated) return refused(inflated);
    return declaredProblem(xml) ?? { kind: 'docx' };
  } finally {
    zip.close();
  }
}
