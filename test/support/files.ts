import type { ReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { crc32, deflateRawSync, deflateSync } from 'node:zlib';
import type { FileUpload } from 'graphql-upload-minimal';

/** Real, small files built here, so what the detector sees is what a client would send. */

export { samplePdf as pdf } from '../../src/scale/sample-pdf.js';

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typeAndData = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typeAndData));
  return Buffer.concat([length, typeAndData, crc]);
}

/** A valid 1×1 RGBA PNG with correct CRCs and a zlib-compressed scanline. */
export function png(): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(1, 0); // width
  header.writeUInt32BE(1, 4); // height
  header.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA, deflate, no filter, no interlace
  const scanline = Buffer.from([0, 0x2a, 0x6f, 0xb4, 0xff]);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(scanline)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** The start of a JFIF JPEG (SOI, APP0 "JFIF") followed by EOI: what a camera or scanner writes first. */
export function jpeg(): Buffer {
  return Buffer.from('ffd8ffe000104a46494600010101004800480000ffd9', 'hex');
}

/** A Windows executable's DOS header. */
export function exe(): Buffer {
  return Buffer.concat([Buffer.from('MZ\u0090\u0000', 'latin1'), Buffer.alloc(60), Buffer.from('This program cannot be run in DOS mode.')]);
}

/** A Linux executable's ELF header. */
export function elf(): Buffer {
  return Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(56)]);
}

/** A legacy Word .doc: an OLE2 compound file. */
export function legacyDoc(): Buffer {
  return Buffer.concat([Buffer.from('d0cf11e0a1b11ae1', 'hex'), Buffer.alloc(504)]);
}

export interface ZipOptions {
  /** Deflate the entries, as Word does (default), or store them. */
  deflate?: boolean;
  /** An archive comment after the end-of-central-directory record. */
  comment?: string;
}

/** A ZIP writer (PKWARE APPNOTE 6.3: local headers, data, central directory, end record). */
export function zip(entries: Record<string, string | Buffer>, options: ZipOptions = {}): Buffer {
  const deflate = options.deflate ?? true;
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, content] of Object.entries(entries)) {
    const nameBytes = Buffer.from(name, 'utf8');
    const raw = Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8');
    const data = deflate ? deflateRawSync(raw) : raw;
    const crc = crc32(raw);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0x0800, 6); // names are UTF-8
    local.writeUInt16LE(deflate ? 8 : 0, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(raw.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(deflate ? 8 : 0, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(raw.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, data);
    centrals.push(central, nameBytes);
    offset += 30 + nameBytes.length + data.length;
  }
  const directory = Buffer.concat(centrals);
  const comment = Buffer.from(options.comment ?? '', 'utf8');
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Object.keys(entries).length, 8);
  end.writeUInt16LE(Object.keys(entries).length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  end.writeUInt16LE(comment.length, 20);
  return Buffer.concat([...locals, directory, end, comment]);
}

const CONTENT_TYPES = (main: string) =>
  `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="${main}"/>
</Types>`;

/** The parts Word writes for the smallest document it opens. */
export function docx(options: ZipOptions = {}): Buffer {
  return zip(
    {
      '[Content_Types].xml': CONTENT_TYPES('/word/document.xml'),
      '_rels/.rels': '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Target="word/document.xml"/></Relationships>',
      'word/document.xml': '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>CV</w:t></w:r></w:p></w:body></w:document>',
    },
    options,
  );
}

/** An Excel workbook: the same packaging as DOCX, with xl/ instead of word/. */
export function xlsx(): Buffer {
  return zip({
    '[Content_Types].xml': CONTENT_TYPES('/xl/workbook.xml'),
    '_rels/.rels': '<Relationships/>',
    'xl/workbook.xml': '<workbook/>',
  });
}

/** A FileUpload as graphql-upload-minimal resolves it, streaming `chunks`. */
export function upload(chunks: Buffer | Buffer[], filename = 'file.pdf', mimetype = 'application/pdf'): FileUpload {
  const parts = Array.isArray(chunks) ? chunks : [chunks];
  return uploadOf(() => Readable.from(parts, { objectMode: false }), filename, mimetype);
}

/** A FileUpload around any stream factory (the declared return type is fs.ReadStream; a Readable is what is used). */
export function uploadOf(createReadStream: () => Readable, filename = 'file.pdf', mimetype = 'application/pdf'): FileUpload {
  return { filename, fieldName: '0', mimetype, encoding: '7bit', createReadStream: () => createReadStream() as ReadStream };
}
