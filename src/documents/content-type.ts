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

/** File name extensions of each type: a stored name always ends with one (see `filenameFor`). */
export const CONTENT_TYPE_EXTENSIONS: Readonly<Record<AllowedContentType, readonly string[]>> = {
  'application/pdf': ['.pdf'],
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': ['.docx'],
  'image/png': ['.png'],
  'image/jpeg': ['.jpg', '.jpeg'],
};

/** What the first bytes of a file say it is. */
export type Sniffed =
  /** Starts like one of the types we take; the type's own check decides. A ZIP may still turn out another kind. */
  | { kind: 'candidate'; type: AllowedContentType }
  /** Something we recognise and do not take, named for the message ("an executable program"). */
  | { kind: 'foreign'; what: string }
  | { kind: 'unknown' };

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const OLE2_SIGNATURE = Buffer.from('d0cf11e0a1b11ae1', 'hex');

const startsWith = (bytes: Buffer, prefix: Buffer | string, at = 0): boolean => {
  const p = typeof prefix === 'string' ? Buffer.from(prefix, 'latin1') : prefix;
  return bytes.length >= at + p.length && bytes.subarray(at, at + p.length).equals(p);
};

/** Foreign formats people upload by mistake or attackers upload on purpose, by their magic numbers. */
const FOREIGN_SIGNATURES: { test: (b: Buffer) => boolean; what: string }[] = [
  { test: (b) => startsWith(b, '\x7fELF'), what: 'an executable program' },
  { test: (b) => startsWith(b, 'MZ'), what: 'an executable program' },
  {
    test: (b) => b.length >= 4 && [0xfeedface, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe, 0xcafebabe].includes(b.readUInt32BE(0)),
    what: 'an executable program',
  },
  { test: (b) => startsWith(b, '#!'), what: 'a script' },
  { test: (b) => startsWith(b, OLE2_SIGNATURE), what: 'an old-format Office document (.doc, .xls or .ppt)' },
  { test: (b) => startsWith(b, 'GIF87a') || startsWith(b, 'GIF89a'), what: 'a GIF image' },
  { test: (b) => startsWith(b, 'RIFF') && startsWith(b, 'WEBP', 8), what: 'a WebP image' },
  { test: (b) => startsWith(b, 'II*\0') || startsWith(b, 'MM\0*'), what: 'a TIFF image' },
  { test: (b) => startsWith(b, 'ftyp', 4) && /^(heic|heix|mif1|msf1|hevc|avif)$/.test(b.toString('latin1', 8, 12)), what: 'an HEIC or AVIF image' },
  { test: (b) => startsWith(b, 'ftyp', 4), what: 'a video or audio file' },
  { test: (b) => startsWith(b, '{\\rtf'), what: 'an RTF document' },
  { test: (b) => startsWith(b, Buffer.from([0x1f, 0x8b])), what: 'a compressed archive' },
  { test: (b) => startsWith(b, 'Rar!\x1a\x07'), what: 'a RAR archive' },
  { test: (b) => startsWith(b, "7z\xbc\xaf\x27\x1c"), what: 'a 7-Zip archive' },
];

/** A text file's start, after a byte-order mark and whitespace, lower-cased, for the markup checks below. */
function textStart(bytes: Buffer): string {
  let text = bytes.toString('latin1', 0, Math.min(bytes.length, 512));
  if (text.startsWith('\xef\xbb\xbf')) text = text.slice(3);
  return text.trimStart().toLowerCase();
}

/**
 * What the first bytes (at least the first 512 where the file has them) say the file is; never by
 * the file's name or the client's claim. A candidate is only a start: `inspectFile` checks the rest.
 */
export function sniff(head: Buffer): Sniffed {
  if (startsWith(head, '%PDF-')) return { kind: 'candidate', type: PDF };
  if (startsWith(head, PNG_SIGNATURE)) return { kind: 'candidate', type: PNG };
  if (startsWith(head, Buffer.from([0xff, 0xd8, 0xff]))) return { kind: 'candidate', type: JPEG };
  if (startsWith(head, 'PK\x03\x04')) return { kind: 'candidate', type: DOCX };
  if (startsWith(head, 'PK\x05\x06')) return { kind: 'foreign', what: 'an empty ZIP archive' };
  const foreign = FOREIGN_SIGNATURES.find((s) => s.test(head));
  if (foreign) return { kind: 'foreign', what: foreign.what };
  const text = textStart(head);
  if (/^(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*)*<svg[\s>]/.test(text)) return { kind: 'foreign', what: 'an SVG image' };
  if (/^(<!doctype html|<html|<head|<body|<script|<iframe|<!--)/.test(text)) return { kind: 'foreign', what: 'a web page (HTML)' };
  if (text.startsWith('<?xml')) return { kind: 'foreign', what: 'an XML file' };
  return { kind: 'unknown' };
}
