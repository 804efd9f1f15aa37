import { createDeflateRaw, crc32, deflateRawSync, deflateSync } from 'node:zlib';
import { docx, elf, pdf } from '../support/files.js';

/**
 * Hostile and edge-case files for the upload checks, built here from their specifications so that
 * each test says exactly which byte makes the difference.
 */

/** A smallest real baseline JPEG: 8×8 grey, one Huffman code per table, every coefficient zero. */
export function jpegImage(): Buffer {
  const segment = (marker: number, data: Buffer) => {
    const head = Buffer.alloc(4);
    head.writeUInt16BE(0xff00 | marker, 0);
    head.writeUInt16BE(data.length + 2, 2);
    return Buffer.concat([head, data]);
  };
  const app0 = Buffer.from('4a46494600010100000100010000', 'hex'); // "JFIF\0", 1.1, no density units
  const dqt = Buffer.concat([Buffer.from([0x00]), Buffer.alloc(64, 1)]);
  const sof0 = Buffer.from([8, 0, 8, 0, 8, 1, 1, 0x11, 0]); // 8-bit, 8×8, one component, table 0
  const huffman = (tableClass: number) => Buffer.concat([Buffer.from([tableClass << 4]), Buffer.from([1, ...Array<number>(15).fill(0)]), Buffer.from([0])]);
  const sos = Buffer.from([1, 1, 0x00, 0, 63, 0]);
  // DC: category 0 ("0"); AC: end of block ("0"); padded with ones.
  const scan = Buffer.from([0x3f]);
  return Buffer.concat([
    Buffer.from([0xff, 0xd8]),
    segment(0xe0, app0),
    segment(0xdb, dqt),
    segment(0xc0, sof0),
    segment(0xc4, huffman(0)),
    segment(0xc4, huffman(1)),
    segment(0xda, sos),
    scan,
    Buffer.from([0xff, 0xd9]),
  ]);
}

/** A Windows program's headers: DOS header whose e_lfanew points at "PE\0\0" and a COFF header. */
export function peExecutable(): Buffer {
  const dos = Buffer.alloc(0x80);
  dos.write('MZ', 0, 'latin1');
  dos.writeUInt32LE(0x80, 0x3c);
  dos.write('This program cannot be run in DOS mode.', 0x4e, 'latin1');
  const coff = Buffer.alloc(24);
  coff.write('PE\0\0', 0, 'latin1');
  coff.writeUInt16LE(0x8664, 4); // x86-64
  return Buffer.concat([dos, coff, Buffer.alloc(256)]);
}

/** A 64-bit macOS program's mach_header: arm64, MH_EXECUTE. */
export function machOExecutable(): Buffer {
  const header = Buffer.alloc(64);
  header.writeUInt32LE(0xfeedfacf, 0);
  header.writeUInt32LE(0x0100000c, 4);
  header.writeUInt32LE(2, 12);
  return header;
}

/** A well-formed PDF with `extra` as an object of its own just before the cross-reference table. */
export function pdfWith(extra: string | Buffer): Buffer {
  const base = pdf();
  const at = base.lastIndexOf('\nxref\n') + 1;
  const object = Buffer.concat([Buffer.from('6 0 obj\n', 'latin1'), Buffer.isBuffer(extra) ? extra : Buffer.from(extra, 'latin1'), Buffer.from('\nendobj\n', 'latin1')]);
  const rest = base.subarray(at).toString('latin1').replace(/startxref\n\d+/, `startxref\n${at + object.length}`);
  return Buffer.concat([base.subarray(0, at), object, Buffer.from(rest, 'latin1')]);
}

/** A stream object holding `data` as is, under `dictionary`. */
export function pdfStream(data: Buffer, dictionary = ''): Buffer {
  return Buffer.concat([Buffer.from(`<< /Length ${data.length} ${dictionary}>>\nstream\n`, 'latin1'), data, Buffer.from('\nendstream', 'latin1')]);
}

/** `%PDF-` followed by a Linux program: the attack as it was found. */
export function pdfThenElf(): Buffer {
  return pdfWith(pdfStream(Buffer.concat([elf(), Buffer.alloc(4096)])));
}

/** One ZIP entry exactly as written: sizes and CRC may lie. */
export interface RawEntry {
  name: string;
  /** The bytes stored in the archive (already deflated when method is 8). */
  data: Buffer;
  method?: 0 | 8;
  crc: number;
  uncompressedSize: number;
  compressedSize?: number;
  flags?: number;
  /** Sizes written in the local header instead of the directory's (a local header that disagrees). */
  localUncompressedSize?: number;
  extra?: Buffer;
}

export function deflated(name: string, content: string | Buffer): RawEntry {
  const raw = Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8');
  return { name, data: deflateRawSync(raw), method: 8, crc: crc32(raw), uncompressedSize: raw.length };
}

/** A ZIP writer that writes whatever it is told (APPNOTE 6.3 layout: local records, directory, end record). */
export function rawZip(entries: RawEntry[], options: { eocd?: (end: Buffer) => void; between?: Buffer } = {}): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const extra = e.extra ?? Buffer.alloc(0);
    const compressedSize = e.compressedSize ?? e.data.length;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800 | (e.flags ?? 0), 6);
    local.writeUInt16LE(e.method ?? 8, 8);
    local.writeUInt32LE(e.crc >>> 0, 14);
    local.writeUInt32LE(compressedSize, 18);
    local.writeUInt32LE(e.localUncompressedSize ?? e.uncompressedSize, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(extra.length, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800 | (e.flags ?? 0), 8);
    central.writeUInt16LE(e.method ?? 8, 10);
    central.writeUInt32LE(e.crc >>> 0, 16);
    central.writeUInt32LE(compressedSize, 20);
    central.writeUInt32LE(e.uncompressedSize, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt16LE(extra.length, 30);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, extra, e.data);
    centrals.push(central, name, extra);
    offset += 30 + name.length + extra.length + e.data.length;
  }
  const between = options.between ?? Buffer.alloc(0);
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset + between.length, 16);
  options.eocd?.(end);
  return Buffer.concat([...locals, between, directory, end]);
}

const CONTENT_TYPES = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`;

/** The parts of a Word document around `document` (word/document.xml) and any `more` parts. */
export function docxParts(document: RawEntry, more: RawEntry[] = []): RawEntry[] {
  return [
    deflated('[Content_Types].xml', CONTENT_TYPES),
    deflated('_rels/.rels', '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>'),
    document,
    ...more,
  ];
}

/** `size` zero bytes, deflated and CRC'd in 1 MiB pieces so that the test itself stays small in memory. */
export async function deflatedZeros(size: number): Promise<{ data: Buffer; crc: number }> {
  const piece = Buffer.alloc(1024 * 1024);
  const deflate = createDeflateRaw({ level: 9 });
  const out: Buffer[] = [];
  deflate.on('data', (chunk: Buffer) => out.push(chunk));
  const done = new Promise<void>((resolve, reject) => deflate.on('end', resolve).on('error', reject));
  let crc = 0;
  for (let left = size; left > 0; left -= piece.length) {
    const bytes = left >= piece.length ? piece : piece.subarray(0, left);
    crc = crc32(bytes, crc);
    if (!deflate.write(bytes)) await new Promise((resolve) => deflate.once('drain', resolve));
  }
  deflate.end();
  await done;
  return { data: Buffer.concat(out), crc };
}

/** The classic zip bomb: a Word document whose word/document.xml is 1 GiB of zeros, honestly declared. */
export async function zipBombDocx(): Promise<Buffer> {
  const size = 1024 * 1024 * 1024;
  const { data, crc } = await deflatedZeros(size);
  // 1 GiB is more than 32 bits can hold only from 4 GiB on: the directory says the truth here.
  return rawZip(docxParts({ name: 'word/document.xml', data, method: 8, crc, uncompressedSize: size }));
}

/**
 * A zip bomb that lies: its directory (and local header) declare 40 KiB for word/document.xml,
 * within every declared limit, but the part inflates to 200 MiB.
 */
export async function lyingDocx(): Promise<Buffer> {
  const { data, crc } = await deflatedZeros(200 * 1024 * 1024);
  return rawZip(docxParts({ name: 'word/document.xml', data, method: 8, crc, uncompressedSize: 40 * 1024 }));
}

/** zlib-wrapped, as PDF's FlateDecode is. */
export const flate = (text: string): Buffer => deflateSync(Buffer.from(text, 'latin1'));

export { docx };
