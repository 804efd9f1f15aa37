/** The file types attachments may have, recognised from their bytes. */
export type AllowedContentType =
  | 'application/pdf'
  | 'image/png'
  | 'image/jpeg'
  | 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

export const PDF: AllowedContentType = 'application/pdf';
export const PNG: AllowedContentType = 'image/png';
export const JPEG: AllowedContentType = 'image/jpeg';
export const DOCX: AllowedContentType = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

/** Every type we recognise, in the order the messages name them. */
export const ALLOWED_CONTENT_TYPES: readonly AllowedContentType[] = [PDF, DOCX, PNG, JPEG];

/** How a person calls each type, for error messages. */
export const CONTENT_TYPE_NAMES: Readonly<Record<AllowedContentType, string>> = {
  'application/pdf': 'PDF',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'DOCX',
  'image/png': 'PNG',
  'image/jpeg': 'JPEG',
};

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const LOCAL_FILE_HEADER = 0x04034b50;
const CENTRAL_DIRECTORY_HEADER = 0x02014b50;
const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const EOCD_SIZE = 22;
const CENTRAL_HEADER_SIZE = 46;

/**
 * Names of the entries in a ZIP file's central directory, or null when it is not a well-formed,
 * single-disk, non-ZIP64 archive. Every offset is bounds-checked: the input is hostile.
 */
export function zipEntryNames(bytes: Buffer): string[] | null {
  if (bytes.length < EOCD_SIZE + 4 || bytes.readUInt32LE(0) !== LOCAL_FILE_HEADER) return null;
  // The end record is the last 22 bytes plus an optional comment of up to 65,535 bytes; scanning
  // backwards and requiring the comment to reach exactly the end avoids matching bytes inside data.
  const earliest = Math.max(0, bytes.length - EOCD_SIZE - 0xffff);
  for (let at = bytes.length - EOCD_SIZE; at >= earliest; at--) {
    if (bytes.readUInt32LE(at) !== END_OF_CENTRAL_DIRECTORY) continue;
    if (at + EOCD_SIZE + bytes.readUInt16LE(at + 20) !== bytes.length) continue;
    return centralDirectory(bytes, at);
  }
  return null;
}

function centralDirectory(bytes: Buffer, eocd: number): string[] | null {
  const disk = bytes.readUInt16LE(eocd + 4);
  const directoryDisk = bytes.readUInt16LE(eocd + 6);
  const entriesHere = bytes.readUInt16LE(eocd + 8);
  const entries = bytes.readUInt16LE(eocd + 10);
  const size = bytes.readUInt32LE(eocd + 12);
  const start = bytes.readUInt32LE(eocd + 16);
  // Split archives and ZIP64 (0xFFFF / 0xFFFFFFFF markers) are not what a Word document is under our size cap.
  if (disk !== 0 || directoryDisk !== 0 || entriesHere !== entries || entries === 0xffff || start === 0xffffffff) return null;
  if (start + size > eocd) return null;

  const names: string[] = [];
  let offset = start;
  for (let i = 0; i < entries; i++) {
    if (offset + CENTRAL_HEADER_SIZE > start + size || bytes.readUInt32LE(offset) !== CENTRAL_DIRECTORY_HEADER) return null;
    const nameLength = bytes.readUInt16LE(offset + 28);
    const extraLength = bytes.readUInt16LE(offset + 30);
    const commentLength = bytes.readUInt16LE(offset + 32);
    const localHeader = bytes.readUInt32LE(offset + 42);
    const next = offset + CENTRAL_HEADER_SIZE + nameLength + extraLength + commentLength;
    if (next > start + size) return null;
    // Each entry must point at a local header before the directory, as a real archive's do.
    if (localHeader + 30 > start || bytes.readUInt32LE(localHeader) !== LOCAL_FILE_HEADER) return null;
    names.push(bytes.toString('utf8', offset + CENTRAL_HEADER_SIZE, offset + CENTRAL_HEADER_SIZE + nameLength));
    offset = next;
  }
  return names;
}

/** A Word document: OOXML's content-types part and a word/ folder (a spreadsheet has xl/, a deck ppt/). */
function isWordDocument(names: string[]): boolean {
  if (!names.includes('[Content_Types].xml') || !names.some((n) => n.startsWith('word/'))) return false;
  // A VBA project makes it a macro-enabled .docm, which people would open from us trusting the hub.
  return !names.some((n) => n.toLowerCase().endsWith('vbaproject.bin'));
}

/** What the bytes are, by their signature; never by the file's name or the client's claim. */
export function detectContentType(bytes: Buffer): AllowedContentType | null {
  if (bytes.length >= 5 && bytes.toString('latin1', 0, 5) === '%PDF-') return PDF;
  if (bytes.length >= PNG_SIGNATURE.length && bytes.subarray(0, PNG_SIGNATURE.length).equals(PNG_SIGNATURE)) return PNG;
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return JPEG;
  const names = zipEntryNames(bytes);
  if (names && isWordDocument(names)) return DOCX;
  return null;
}
