import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { JPEG, PNG } from '../../src/documents/content-type.js';
import { inspectBytes } from '../../src/documents/file-inspection.js';
import { elf, png } from '../support/files.js';
import { jpegImage } from './builders.js';

const refusedFor = (type: string, reason: RegExp) => ({ kind: 'refused', type, reason: expect.stringMatching(reason) as unknown });

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([Buffer.from(type, 'latin1'), data])));
  return Buffer.concat([length, Buffer.from(type, 'latin1'), data, crc]);
}

/** The test PNG with `chunk` put just before its IEND. */
function pngWith(chunk: Buffer): Buffer {
  const whole = png();
  return Buffer.concat([whole.subarray(0, whole.length - 12), chunk, whole.subarray(whole.length - 12)]);
}

describe('checkPng', () => {
  it('should refuse a PNG cut before its IEND, with data after it, or with a broken checksum', async () => {
    const whole = png();
    expect(await inspectBytes(whole.subarray(0, whole.length - 12))).toEqual(refusedFor(PNG, /IEND/));
    expect(await inspectBytes(Buffer.concat([whole, Buffer.from('<?php system($_GET[1]); ?>')]))).toEqual(refusedFor(PNG, /after its end/));
    const corrupt = Buffer.from(whole);
    corrupt[43] ^= 0xff; // inside IDAT's data
    expect(await inspectBytes(corrupt)).toEqual(refusedFor(PNG, /checksum/));
  });

  it('should refuse a header that is not IHDR first, invalid, or declaring a pixel flood', async () => {
    const whole = png();
    const noHeader = Buffer.concat([whole.subarray(0, 8), whole.subarray(8 + 25)]);
    expect(await inspectBytes(noHeader)).toEqual(refusedFor(PNG, /IHDR/));
    const huge = Buffer.from(whole);
    huge.writeUInt32BE(100_000, 16);
    huge.writeUInt32BE(100_000, 20);
    huge.writeUInt32BE(crc32(huge.subarray(12, 29)), 29);
    expect(await inspectBytes(huge)).toEqual(refusedFor(PNG, /megapixels/));
    const badDepth = Buffer.from(whole);
    badDepth[24] = 3;
    badDepth.writeUInt32BE(crc32(badDepth.subarray(12, 29)), 29);
    expect(await inspectBytes(badDepth)).toEqual(refusedFor(PNG, /header is invalid/));
  });

  it('should refuse an unknown critical chunk and a program in an ancillary one, and keep ordinary ancillary chunks', async () => {
    expect(await inspectBytes(pngWith(pngChunk('XXXX', Buffer.from('x'))))).toEqual(refusedFor(PNG, /critical chunk/));
    expect(await inspectBytes(pngWith(pngChunk('zzTx', elf())))).toEqual(refusedFor(PNG, /executable program/));
    expect(await inspectBytes(pngWith(pngChunk('tEXt', Buffer.from('Comment\0scanned at the office'))))).toEqual({ kind: 'accepted', type: PNG });
  });
});

describe('checkJpeg', () => {
  it('should accept a JPEG with appended images (previews, HDR gain maps) and padding', async () => {
    const image = jpegImage();
    expect(await inspectBytes(Buffer.concat([image, image, Buffer.alloc(16)]))).toEqual({ kind: 'accepted', type: JPEG });
  });

  it('should refuse a JPEG without its end marker, with other data after it, or without image data', async () => {
    const image = jpegImage();
    expect(await inspectBytes(image.subarray(0, image.length - 2))).toEqual(refusedFor(JPEG, /FFD9/));
    expect(await inspectBytes(Buffer.concat([image, Buffer.from('ftypmp42 a motion photo video')]))).toEqual(refusedFor(JPEG, /after its end/));
    expect(await inspectBytes(Buffer.from('ffd8ffe000104a46494600010101004800480000ffd9', 'hex'))).toEqual(refusedFor(JPEG, /no image data/));
  });

  it('should refuse a frame declaring a pixel flood, and a broken segment length', async () => {
    const image = jpegImage();
    const sof = image.indexOf(Buffer.from([0xff, 0xc0]));
    const flood = Buffer.from(image);
    flood.writeUInt16BE(65_000, sof + 5);
    flood.writeUInt16BE(65_000, sof + 7);
    expect(await inspectBytes(flood)).toEqual(refusedFor(JPEG, /megapixels/));
    const broken = Buffer.from(image);
    broken.writeUInt16BE(1, sof + 2);
    expect(await inspectBytes(broken)).toEqual(refusedFor(JPEG, /segment length/));
  });
});
