import { crc32 } from 'node:zlib';
import { ByteReader } from './byte-reader.js';
import type { FileSource } from './file-source.js';

/**
 * An image larger than this is refused: a few bytes can declare billions of pixels, which a viewer
 * allocates before it finds out ("pixel flood"). An A4 page scanned at 600 dpi has 35 megapixels.
 */
export const MAX_PIXELS = 100_000_000;

const tooManyPixels = (width: number, height: number) => width * height > MAX_PIXELS;

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const PNG_CRITICAL = new Set(['IHDR', 'PLTE', 'IDAT', 'IEND']);
/** Allowed bit depths per PNG colour type (PNG specification, table 11.1). */
const PNG_DEPTHS: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };

/**
 * A PNG: the signature, a valid IHDR first, every chunk whole with a correct CRC, image data, and
 * IEND as the very last bytes (nothing attached after it). Returns why it is refused, or null.
 */
export async function checkPng(source: FileSource): Promise<string | null> {
  const reader = new ByteReader(source.chunks());
  const signature = await reader.take(8);
  if (!signature?.equals(PNG_SIGNATURE)) return 'is damaged: its PNG signature is wrong';
  let chunks = 0;
  let sawData = false;
  for (;;) {
    const header = await reader.take(8);
    if (!header) return 'is incomplete: it has no IEND chunk at its end';
    const length = header.readUInt32BE(0);
    const type = header.toString('latin1', 4, 8);
    if (length > 0x7fffffff || !/^[A-Za-z]{4}$/.test(type)) return 'is damaged: a chunk header is invalid';
    if (chunks++ === 0 && (type !== 'IHDR' || length !== 13)) return 'is damaged: it does not start with an IHDR chunk';
    // Critical chunks (upper-case first letter) that a decoder does not know make it give up.
    if (type[0] === type[0].toUpperCase() && !PNG_CRITICAL.has(type)) return `is damaged: it has an unknown critical chunk (${type})`;
    let crc = crc32(header.subarray(4, 8));
    let data: Buffer | null = null;
    if (type === 'IHDR') {
      data = await reader.take(13);
      if (data) crc = crc32(data, crc);
    } else if (!(await reader.skip(length, (piece) => (crc = crc32(piece, crc))))) return 'is incomplete: its last chunk is cut off';
    const stored = await reader.take(4);
    if (!stored || (type === 'IHDR' && !data)) return 'is incomplete: its last chunk is cut off';
    if (stored.readUInt32BE(0) !== crc) return `is damaged: the ${type} chunk fails its checksum`;
    if (data) {
      const width = data.readUInt32BE(0);
      const height = data.readUInt32BE(4);
      const [depth, colour, compression, filter, interlace] = data.subarray(8);
      if (width === 0 || height === 0 || width > 0x7fffffff || height > 0x7fffffff) return 'is damaged: its size is invalid';
      if (!PNG_DEPTHS[colour]?.includes(depth) || compression !== 0 || filter !== 0 || interlace > 1) return 'is damaged: its header is invalid';
      if (tooManyPixels(width, height)) return `is larger than ${MAX_PIXELS / 1e6} megapixels`;
    }
    if (type === 'IDAT') sawData = true;
    if (type === 'IEND') break;
  }
  if (!sawData) return 'is damaged: it has no image data';
  if (!(await reader.atEnd())) return 'has data attached after its end (IEND)';
  return null;
}

const isFrame = (marker: number) => marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
const isRestart = (marker: number) => marker >= 0xd0 && marker <= 0xd7;

/** One JPEG image from its SOI (already read when `started`) to its EOI, after which the reader is left. */
async function checkJpegImage(reader: ByteReader, started = false): Promise<string | null> {
  const start = started ? null : await reader.take(2);
  if (!started && start?.readUInt16BE(0) !== 0xffd8) return 'is damaged: it does not start with a JPEG start-of-image marker';
  let frame = false;
  let scan = false;
  let marker = -1;
  for (;;) {
    if (marker === -1) {
      let b = await reader.byte();
      if (b !== 0xff) return b === -1 ? 'is incomplete: it has no end-of-image marker (FFD9)' : 'is damaged: a segment does not start with a marker';
      while (b === 0xff) b = await reader.byte(); // fill bytes
      if (b === -1) return 'is incomplete: it has no end-of-image marker (FFD9)';
      marker = b;
    }
    const current = marker;
    marker = -1;
    if (current === 0xd9) break;
    if (current === 0xd8 || current === 0x00) return 'is damaged: a marker is out of place';
    if (isRestart(current) || current === 0x01) continue;
    const lengthBytes = await reader.take(2);
    if (!lengthBytes) return 'is incomplete: it has no end-of-image marker (FFD9)';
    const length = lengthBytes.readUInt16BE(0);
    if (length < 2) return 'is damaged: a segment length is invalid';
    if (isFrame(current)) {
      const header = await reader.take(length - 2);
      if (!header || header.length < 6) return 'is damaged: its frame header is invalid';
      const height = header.readUInt16BE(1);
      const width = header.readUInt16BE(3);
      if (width === 0 || height === 0 || header[5] === 0) return 'is damaged: its size is invalid';
      if (tooManyPixels(width, height)) return `is larger than ${MAX_PIXELS / 1e6} megapixels`;
      frame = true;
      continue;
    }
    if (!(await reader.skip(length - 2))) return 'is incomplete: it has no end-of-image marker (FFD9)';
    if (current !== 0xda) continue;
    if (!frame) return 'is damaged: image data comes before its frame header';
    scan = true;
    // Entropy-coded data: 0xFF is followed by 0x00 (a data byte) or a restart marker; anything else ends it.
    for (;;) {
      if (!(await reader.skipPast(0xff))) return 'is incomplete: it has no end-of-image marker (FFD9)';
      let b = await reader.byte();
      while (b === 0xff) b = await reader.byte();
      if (b === -1) return 'is incomplete: it has no end-of-image marker (FFD9)';
      if (b === 0x00 || isRestart(b)) continue;
      marker = b;
      break;
    }
  }
  if (!frame || !scan) return 'is damaged: it has no image data';
  return null;
}

/**
 * A JPEG: segments whole from SOI to EOI, a frame header before the image data. Phones and cameras
 * append further complete JPEGs after the first (previews, depth and HDR gain maps, MPF), and some
 * pad with 0x00 or 0xFF; those are taken. Anything else after the end (a video, an archive) is not.
 */
export async function checkJpeg(source: FileSource): Promise<string | null> {
  const reader = new ByteReader(source.chunks());
  const problem = await checkJpegImage(reader);
  if (problem) return problem;
  for (;;) {
    const b = await reader.byte();
    if (b === -1) return null;
    if (b === 0x00) continue;
    if (b !== 0xff) return 'has data attached after its end (FFD9)';
    let next = await reader.byte();
    while (next === 0xff) next = await reader.byte();
    if (next === -1) return null;
    if (next === 0x00) continue;
    if (next !== 0xd8) return 'has data attached after its end (FFD9)';
    const appended = await checkJpegImage(reader, true);
    if (appended) return appended.replace(/^is /, 'has an attached image that is ');
  }
}
