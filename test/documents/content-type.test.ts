import { describe, expect, it } from 'vitest';
import { DOCX, JPEG, PDF, PNG, detectContentType, zipEntryNames } from '../../src/documents/content-type.js';
import { docx, elf, exe, jpeg, legacyDoc, pdf, png, xlsx, zip } from '../support/files.js';

describe('detectContentType', () => {
  it('should recognise a real PDF, PNG, JPEG and DOCX from their bytes', () => {
    expect(detectContentType(pdf())).toBe(PDF);
    expect(detectContentType(png())).toBe(PNG);
    expect(detectContentType(jpeg())).toBe(JPEG);
    expect(detectContentType(docx())).toBe(DOCX);
  });

  it('should recognise a DOCX whether its parts are deflated or stored, and with an archive comment', () => {
    expect(detectContentType(docx({ deflate: false }))).toBe(DOCX);
    expect(detectContentType(docx({ comment: 'Saved by Word' }))).toBe(DOCX);
    // A comment that itself contains an end-of-directory signature must not fool the backwards scan.
    expect(detectContentType(docx({ comment: `PK\u0005\u0006${'x'.repeat(40)}` }))).toBe(DOCX);
  });

  it('should refuse other ZIP files: plain archives, spreadsheets, macro-enabled Word', () => {
    expect(detectContentType(zip({ 'hello.txt': 'plain zip' }))).toBeNull();
    expect(detectContentType(xlsx())).toBeNull();
    expect(detectContentType(zip({ 'word/document.xml': '<w:document/>' }))).toBeNull(); // no [Content_Types].xml
    expect(detectContentType(zip({ '[Content_Types].xml': '<Types/>', 'ppt/presentation.xml': '<p/>' }))).toBeNull();
    const docm = zip({ '[Content_Types].xml': '<Types/>', 'word/document.xml': '<w:document/>', 'word/vbaProject.bin': Buffer.alloc(64) });
    expect(detectContentType(docm)).toBeNull();
  });

  it('should read the central directory, not search for names anywhere in the bytes', () => {
    // The names a DOCX has, but only inside a stored file's content: the directory lists "notes.txt".
    const lookalike = zip({ 'notes.txt': 'see [Content_Types].xml and word/document.xml' }, { deflate: false });
    expect(lookalike.includes('[Content_Types].xml')).toBe(true);
    expect(detectContentType(lookalike)).toBeNull();
    expect(zipEntryNames(docx())).toEqual(['[Content_Types].xml', '_rels/.rels', 'word/document.xml']);
  });

  it('should refuse damaged ZIPs: truncated, a header with no directory, a directory pointing outside the file', () => {
    const whole = docx();
    expect(detectContentType(whole.subarray(0, whole.length - 1))).toBeNull();
    expect(detectContentType(whole.subarray(0, Math.floor(whole.length / 2)))).toBeNull();
    expect(detectContentType(Buffer.concat([Buffer.from('PK\u0003\u0004'), Buffer.alloc(40)]))).toBeNull();
    const badOffset = Buffer.from(whole);
    badOffset.writeUInt32LE(0xfffffff0, badOffset.length - 6); // central directory offset
    expect(detectContentType(badOffset)).toBeNull();
    const badCount = Buffer.from(whole);
    badCount.writeUInt16LE(9, badCount.length - 12);
    badCount.writeUInt16LE(9, badCount.length - 14);
    expect(detectContentType(badCount)).toBeNull();
    const badNameLength = Buffer.from(whole);
    const directoryStart = badNameLength.readUInt32LE(badNameLength.length - 6);
    badNameLength.writeUInt16LE(0xffff, directoryStart + 28);
    expect(detectContentType(badNameLength)).toBeNull();
  });

  it('should refuse spoofed and foreign files, whatever they would be named', () => {
    const refused: [string, Buffer][] = [
      ['empty', Buffer.alloc(0)],
      ['Windows executable', exe()],
      ['ELF executable', elf()],
      ['HTML', Buffer.from('<!DOCTYPE html><html><script>alert(1)</script></html>')],
      ['HTML with a PDF comment', Buffer.from('<html><!-- %PDF-1.4 --></html>')],
      ['legacy Word .doc', legacyDoc()],
      ['truncated PNG signature', png().subarray(0, 6)],
      ['PNG signature with a wrong byte', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x00, 0, 0])],
      ['"%PDF" without the dash', Buffer.from('%PDF1.4')],
      ['a PDF header not at the start', Buffer.concat([Buffer.from(' '), pdf()])],
      ['two JPEG bytes', Buffer.from([0xff, 0xd8])],
      ['SVG', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')],
      ['GIF', Buffer.from('GIF89a\u0001\u0000\u0001\u0000')],
    ];
    for (const [what, bytes] of refused) expect(detectContentType(bytes), what).toBeNull();
  });
});
