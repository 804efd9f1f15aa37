import { describe, expect, it } from 'vitest';
import { DOCX, JPEG, PDF, PNG, sniff } from '../../src/documents/content-type.js';
import { inspectBytes } from '../../src/documents/file-inspection.js';
import { docx, elf, exe, legacyDoc, pdf, png, xlsx, zip } from '../support/files.js';
import { jpegImage, machOExecutable, peExecutable } from './builders.js';

const accepted = (type: string) => ({ kind: 'accepted', type });

describe('inspectFile: what a file is', () => {
  it('should accept a real PDF, PNG, JPEG and DOCX from their bytes', async () => {
    expect(await inspectBytes(pdf())).toEqual(accepted(PDF));
    expect(await inspectBytes(png())).toEqual(accepted(PNG));
    expect(await inspectBytes(jpegImage())).toEqual(accepted(JPEG));
    expect(await inspectBytes(docx())).toEqual(accepted(DOCX));
  });

  it('should accept a DOCX whether its parts are deflated or stored, and with an archive comment', async () => {
    expect(await inspectBytes(docx({ deflate: false }))).toEqual(accepted(DOCX));
    expect(await inspectBytes(docx({ comment: 'Saved by Word' }))).toEqual(accepted(DOCX));
  });

  it('should refuse a ZIP comment holding an end-of-directory signature: two readers could find two directories', async () => {
    const ambiguous = await inspectBytes(docx({ comment: `PK\u0005\u0006${'x'.repeat(40)}` }));
    expect(ambiguous).toMatchObject({ kind: 'refused', type: DOCX, reason: expect.stringMatching(/directory/) as unknown });
  });

  it('should name other ZIP files for what they are: plain archives, spreadsheets, macro-enabled Word', async () => {
    expect(await inspectBytes(zip({ 'hello.txt': 'plain zip' }))).toEqual({ kind: 'foreign', what: 'a ZIP archive' });
    expect(await inspectBytes(xlsx())).toEqual({ kind: 'foreign', what: 'an Excel workbook' });
    expect(await inspectBytes(zip({ 'word/document.xml': '<w:document/>' }))).toEqual({ kind: 'foreign', what: 'a ZIP archive' });
    expect(await inspectBytes(zip({ '[Content_Types].xml': '<Types/>', 'ppt/presentation.xml': '<p/>' }))).toEqual({ kind: 'foreign', what: 'a PowerPoint presentation' });
    const docm = zip({ '[Content_Types].xml': '<Types/>', 'word/document.xml': '<w:document/>', 'word/vbaProject.bin': Buffer.alloc(64) });
    expect(await inspectBytes(docm)).toEqual({ kind: 'foreign', what: 'a macro-enabled Word document (.docm)' });
  });

  it('should read the central directory, not search for names anywhere in the bytes', async () => {
    // The names a DOCX has, but only inside a stored file's content: the directory lists "notes.txt".
    const lookalike = zip({ 'notes.txt': 'see [Content_Types].xml and word/document.xml' }, { deflate: false });
    expect(lookalike.includes('[Content_Types].xml')).toBe(true);
    expect(await inspectBytes(lookalike)).toEqual({ kind: 'foreign', what: 'a ZIP archive' });
  });

  it('should refuse damaged ZIPs: truncated, a header with no directory, a directory pointing outside the file', async () => {
    const whole = docx();
    const refused = { kind: 'refused', type: DOCX };
    expect(await inspectBytes(whole.subarray(0, whole.length - 1))).toMatchObject(refused);
    expect(await inspectBytes(whole.subarray(0, Math.floor(whole.length / 2)))).toMatchObject(refused);
    expect(await inspectBytes(Buffer.concat([Buffer.from('PK\u0003\u0004'), Buffer.alloc(40)]))).toMatchObject(refused);
    const badOffset = Buffer.from(whole);
    badOffset.writeUInt32LE(0xfffffff0, badOffset.length - 6); // central directory offset
    expect(await inspectBytes(badOffset)).toMatchObject(refused);
    const badCount = Buffer.from(whole);
    badCount.writeUInt16LE(9, badCount.length - 12);
    badCount.writeUInt16LE(9, badCount.length - 14);
    expect(await inspectBytes(badCount)).toMatchObject(refused);
    const badNameLength = Buffer.from(whole);
    const directoryStart = badNameLength.readUInt32LE(badNameLength.length - 6);
    badNameLength.writeUInt16LE(0xffff, directoryStart + 28);
    expect(await inspectBytes(badNameLength)).toMatchObject(refused);
  });

  it('should name spoofed and foreign files for what they are, whatever they would be named', async () => {
    const foreign: [string, Buffer, string | null][] = [
      ['Windows executable', exe(), 'an executable program'],
      ['Windows executable with its PE header', peExecutable(), 'an executable program'],
      ['ELF executable', elf(), 'an executable program'],
      ['Mach-O executable', machOExecutable(), 'an executable program'],
      ['shell script', Buffer.from('#!/bin/sh\nrm -rf /\n'), 'a script'],
      ['HTML', Buffer.from('<!DOCTYPE html><html><script>alert(1)</script></html>'), 'a web page (HTML)'],
      ['HTML with a PDF comment', Buffer.from('<html><!-- %PDF-1.4 --></html>'), 'a web page (HTML)'],
      ['SVG', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'), 'an SVG image'],
      ['SVG after an XML declaration', Buffer.from('\ufeff<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>'), 'an SVG image'],
      ['legacy Word .doc', legacyDoc(), 'an old-format Office document (.doc, .xls or .ppt)'],
      ['GIF', Buffer.from('GIF89a\u0001\u0000\u0001\u0000'), 'a GIF image'],
      ['iPhone photo', Buffer.concat([Buffer.from('00000018', 'hex'), Buffer.from('ftypheic'), Buffer.alloc(16)]), 'an HEIC or AVIF image'],
      ['truncated PNG signature', png().subarray(0, 6), null],
      ['PNG signature with a wrong byte', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x00, 0, 0]), null],
      ['"%PDF" without the dash', Buffer.from('%PDF1.4'), null],
      ['a PDF header not at the start', Buffer.concat([Buffer.from(' '), pdf()]), null],
      ['two JPEG bytes', Buffer.from([0xff, 0xd8]), null],
      ['plain text', Buffer.from('Curriculum vitae'), null],
    ];
    for (const [what, bytes, expected] of foreign) expect(await inspectBytes(bytes), what).toEqual({ kind: 'foreign', what: expected });
  });
});

describe('sniff', () => {
  it('should take the first bytes as a candidate only, leaving the verdict to the type check', () => {
    expect(sniff(Buffer.from('%PDF-1.7 and then anything'))).toEqual({ kind: 'candidate', type: PDF });
    expect(sniff(Buffer.from('PK\u0003\u0004'))).toEqual({ kind: 'candidate', type: DOCX });
    expect(sniff(Buffer.alloc(0))).toEqual({ kind: 'unknown' });
  });
});
