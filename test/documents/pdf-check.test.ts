import { describe, expect, it } from 'vitest';
import { PDF } from '../../src/documents/content-type.js';
import { inspectBytes } from '../../src/documents/file-inspection.js';
import { elf, pdf } from '../support/files.js';
import { flate, machOExecutable, pdfStream, pdfThenElf, pdfWith, peExecutable } from './builders.js';

const refusedFor = (reason: RegExp) => ({ kind: 'refused', type: PDF, reason: expect.stringMatching(reason) as unknown });

describe('checkPdf', () => {
  it('should accept a real PDF, one with a link, a form field and a signature, and one saved twice (incremental update)', async () => {
    expect(await inspectBytes(pdf())).toEqual({ kind: 'accepted', type: PDF });
    const form = pdfWith('<< /Type /Annot /Subtype /Link /A << /S /URI /URI (https://example.se/cv) >> /FT /Sig /V << /Type /Sig /Filter /Adobe.PPKLite /ByteRange [0 10 20 30] /Contents <0A1B2C> >> >>');
    expect(await inspectBytes(form)).toEqual({ kind: 'accepted', type: PDF });
    const updated = Buffer.concat([pdf(), Buffer.from('7 0 obj\n<< /Producer (Acrobat) >>\nendobj\nstartxref\n9\n%%EOF\r\n\n  ', 'latin1')]);
    expect(await inspectBytes(updated)).toEqual({ kind: 'accepted', type: PDF });
  });

  it('should refuse `%PDF-` followed by an executable, wherever in the file the program starts', async () => {
    expect(await inspectBytes(pdfThenElf())).toEqual(refusedFor(/executable program/));
    expect(await inspectBytes(pdfWith(pdfStream(peExecutable())))).toEqual(refusedFor(/executable program/));
    expect(await inspectBytes(pdfWith(pdfStream(machOExecutable())))).toEqual(refusedFor(/executable program/));
    // A program straddling the scanner's 64 KiB reading boundary.
    const padded = pdfWith(pdfStream(Buffer.concat([Buffer.alloc(64 * 1024 - 300, 0x20), elf(), Buffer.alloc(100)])));
    expect(await inspectBytes(padded)).toEqual(refusedFor(/executable program/));
  });

  it('should refuse JavaScript, also hidden by #-escapes, without spaces, or inside a compressed object stream', async () => {
    const js = '<< /Type /Action /S /JavaScript /JS (app.alert(1)) >>';
    expect(await inspectBytes(pdfWith(js))).toEqual(refusedFor(/JavaScript/));
    expect(await inspectBytes(pdfWith('<</S/Java#53cript/JS(x)>>'))).toEqual(refusedFor(/JavaScript/));
    expect(await inspectBytes(pdfWith('<< /OpenAction << /JS 7 0 R >> >>'))).toEqual(refusedFor(/JavaScript/));
    const objectStream = pdfStream(flate(`1 0 ${js}`), '/Type /ObjStm /N 1 /First 4 /Filter /FlateDecode ');
    expect(Buffer.from(objectStream).includes('JavaScript')).toBe(false);
    expect(await inspectBytes(pdfWith(objectStream))).toEqual(refusedFor(/JavaScript/));
  });

  it('should refuse Launch actions, attached files, rich media, XFA and encryption', async () => {
    expect(await inspectBytes(pdfWith('<< /S /Launch /F (cmd.exe) >>'))).toEqual(refusedFor(/Launch/));
    expect(await inspectBytes(pdfWith('<< /Names << /EmbeddedFiles 8 0 R >> >>'))).toEqual(refusedFor(/attached files/));
    expect(await inspectBytes(pdfWith('<< /Type /Filespec /F (a.exe) /EF << /F 9 0 R >> >>'))).toEqual(refusedFor(/attached files/));
    expect(await inspectBytes(pdfWith('<< /Subtype /FileAttachment /FS 9 0 R >>'))).toEqual(refusedFor(/attached files/));
    expect(await inspectBytes(pdfWith('<< /Subtype /RichMedia >>'))).toEqual(refusedFor(/rich media/));
    expect(await inspectBytes(pdfWith('<< /AcroForm << /XFA 10 0 R >> >>'))).toEqual(refusedFor(/XFA/));
    expect(await inspectBytes(pdfWith('<< /Encrypt 11 0 R >>'))).toEqual(refusedFor(/encrypted/));
  });

  it('should read short names only outside stream data, where compressed bytes would otherwise match them by chance', async () => {
    // "/JS" and "/EF" as a compressed image's bytes happen to spell them: not names any reader parses.
    const image = pdfStream(Buffer.from('\x00\x9f/JS\x00\x81/EF ', 'latin1'), '/Subtype /Image /Filter /DCTDecode ');
    expect(await inspectBytes(pdfWith(image))).toEqual({ kind: 'accepted', type: PDF });
    // The long names are looked for everywhere: a reader sent into stream data by the xref table would find them.
    expect(await inspectBytes(pdfWith(pdfStream(Buffer.from('/Launch ', 'latin1'))))).toEqual(refusedFor(/Launch/));
  });

  it('should refuse object streams it cannot read, and damaged ones', async () => {
    const lzw = pdfStream(Buffer.from('garbage'), '/Type /ObjStm /N 1 /First 4 /Filter /LZWDecode ');
    expect(await inspectBytes(pdfWith(lzw))).toEqual(refusedFor(/encoding/));
    const broken = pdfStream(flate('1 0 << >>').subarray(0, 6), '/Type /ObjStm /N 1 /First 4 /Filter /FlateDecode ');
    expect(await inspectBytes(pdfWith(broken))).toEqual(refusedFor(/damaged/));
    const harmless = pdfStream(flate('1 0 << /Type /Font /BaseFont /Helvetica >>'), '/Type /ObjStm /N 1 /First 4 /Filter /FlateDecode ');
    expect(await inspectBytes(pdfWith(harmless))).toEqual({ kind: 'accepted', type: PDF });
    // Each object stream is inflated on its own: ten thousand tiny ones would cost seconds.
    const many = Buffer.concat(Array(10_001).fill(Buffer.concat([pdfStream(flate('1 0 <<>>'), '/Type /ObjStm /Filter /FlateDecode '), Buffer.from('\n')])));
    expect(await inspectBytes(pdfWith(many))).toEqual(refusedFor(/more than 10000 object streams/));
  });

  it('should refuse a PDF without its trailer, with data after %%EOF, or of an unknown version', async () => {
    const whole = pdf();
    expect(await inspectBytes(whole.subarray(0, whole.length - 20))).toEqual(refusedFor(/%%EOF/));
    expect(await inspectBytes(Buffer.concat([whole, Buffer.from('PK\u0003\u0004 appended archive')]))).toEqual(refusedFor(/%%EOF/));
    expect(await inspectBytes(Buffer.from(whole.toString('latin1').replace(/startxref\n\d+\n/, ''), 'latin1'))).toEqual(refusedFor(/startxref/));
    expect(await inspectBytes(Buffer.from(whole.toString('latin1').replace('%PDF-1.4', '%PDF-9.9'), 'latin1'))).toEqual(refusedFor(/version/));
    expect(await inspectBytes(Buffer.from('%PDF-1.7\nno objects at all\nstartxref\n0\n%%EOF\n'))).toEqual(refusedFor(/no objects/));
  });
});
