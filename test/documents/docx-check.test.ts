import { randomBytes } from 'node:crypto';
import { crc32, deflateRawSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { DOCX } from '../../src/documents/content-type.js';
import { ZIP_LIMITS } from '../../src/documents/docx-check.js';
import { inspectBytes } from '../../src/documents/file-inspection.js';
import { elf } from '../support/files.js';
import { deflated, docxParts, lyingDocx, rawZip, type RawEntry, zipBombDocx } from './builders.js';

const refusedFor = (reason: RegExp) => ({ kind: 'refused', type: DOCX, reason: expect.stringMatching(reason) as unknown });
const body = (text = 'CV') => deflated('word/document.xml', `<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>${text}</w:t></w:r></w:p></w:body></w:document>`);

describe('checkDocx', () => {
  let bomb: Buffer;
  let liar: Buffer;

  beforeAll(async () => {
    [bomb, liar] = await Promise.all([zipBombDocx(), lyingDocx()]);
  }, 120_000);

  it('should accept a Word document written entry by entry', async () => {
    expect(await inspectBytes(rawZip(docxParts(body())))).toEqual({ kind: 'accepted', type: DOCX });
  });

  it('should refuse a 1 MiB zip bomb whose document.xml inflates to 1 GiB, from its directory alone', async () => {
    expect(bomb.length).toBeLessThan(2 * 1024 * 1024);
    const started = Date.now();
    expect(await inspectBytes(bomb)).toEqual(refusedFor(/zip bomb.*declare 1024 MiB/));
    // Refused before inflating: 1 GiB would take seconds.
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('should refuse a zip bomb whose directory lies about its size, by inflating it and stopping past the declared size', async () => {
    expect(await inspectBytes(liar)).toEqual(refusedFor(/larger than its directory declares/));
  });

  it('should refuse more parts than a document has, and parts too compressed to be text', async () => {
    const many = Array.from({ length: ZIP_LIMITS.entries }, (_, i) => deflated(`word/media/p${i}.xml`, 'x'));
    expect(await inspectBytes(rawZip(docxParts(body(), many)))).toEqual(refusedFor(/parts, more than/));
    const dense = Buffer.alloc(1024 * 1024, 0x20); // 1 MiB of spaces deflates over 1000:1
    expect(await inspectBytes(rawZip(docxParts(deflated('word/document.xml', dense))))).toEqual(refusedFor(/zip bomb.*compressed \d+ to 1/));
    // Six parts of 9 MiB, each compressed under 100 to 1: together over the 50 MiB a document may unpack to.
    const big = Array.from({ length: 6 }, (_, i) => deflated(`word/media/image${i}.bmp`, Buffer.concat([randomBytes(96 * 1024), Buffer.alloc(9 * 1024 * 1024)])));
    expect(await inspectBytes(rawZip(docxParts(body(), big)))).toEqual(refusedFor(/zip bomb.*declare 55 MiB/));
    // Small parts may compress as they like: a 60 KiB run of spaces is a blank page, not a bomb.
    expect(await inspectBytes(rawZip(docxParts(deflated('word/document.xml', Buffer.alloc(60 * 1024, 0x20)))))).toEqual({ kind: 'accepted', type: DOCX });
  });

  it('should refuse ZIP64, encryption, and unsafe part names', async () => {
    const zip64 = rawZip(docxParts(body(), [{ ...deflated('word/a.xml', 'a'), extra: Buffer.from('01000800' + '0100000000000000', 'hex') }]));
    expect(await inspectBytes(zip64)).toEqual(refusedFor(/ZIP64/));
    const markers = rawZip(docxParts(body()), { eocd: (end) => end.writeUInt32LE(0xffffffff, 16) });
    expect(await inspectBytes(markers)).toEqual(refusedFor(/ZIP64/));
    expect(await inspectBytes(rawZip(docxParts(body(), [{ ...deflated('word/secret.xml', 'x'), flags: 1 }])))).toEqual(refusedFor(/password/));
    for (const name of ['../../etc/cron.d/x', '/etc/passwd', 'word\\..\\x.xml', 'word/a\u0000.xml']) {
      expect(await inspectBytes(rawZip(docxParts(body(), [deflated(name, 'x')]))), name).toEqual(refusedFor(/unsafe name/));
    }
    expect(await inspectBytes(rawZip(docxParts(body(), [deflated('WORD/DOCUMENT.XML', 'x')])))).toEqual(refusedFor(/same name/));
  });

  it('should refuse local headers that disagree with the directory, and data hidden between parts', async () => {
    const disagree = rawZip(docxParts({ ...body(), localUncompressedSize: 5 }));
    expect(await inspectBytes(disagree)).toEqual(refusedFor(/local header disagrees/));
    const hidden = rawZip(docxParts(body()), { between: Buffer.from('hidden payload') });
    expect(await inspectBytes(hidden)).toEqual(refusedFor(/between its parts and its directory/));
    const badCrc = rawZip(docxParts({ ...body(), crc: 1234 }));
    expect(await inspectBytes(badCrc)).toEqual(refusedFor(/checksum/));
  });

  it('should refuse programs inside parts, ActiveX, OLE objects and remote templates; keep embedded Office files', async () => {
    const program: RawEntry = { name: 'word/media/image1.png', data: deflateRawSync(elf()), method: 8, crc: crc32(elf()), uncompressedSize: elf().length };
    expect(await inspectBytes(rawZip(docxParts(body(), [program])))).toEqual(refusedFor(/executable program/));
    expect(await inspectBytes(rawZip(docxParts(body(), [deflated('word/activeX/activeX1.xml', '<ax/>')])))).toEqual(refusedFor(/ActiveX/));
    expect(await inspectBytes(rawZip(docxParts(body(), [deflated('word/embeddings/oleObject1.bin', 'ole')])))).toEqual(refusedFor(/OLE/));
    const template = deflated(
      'word/_rels/settings.xml.rels',
      '<Relationships><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/attachedTemplate" Target="http://evil.example/t.dotm" TargetMode="External"/></Relationships>',
    );
    expect(await inspectBytes(rawZip(docxParts(body(), [template])))).toEqual(refusedFor(/template/));
    const link = deflated(
      'word/_rels/document.xml.rels',
      '<Relationships><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink" Target="https://linkedin.com/in/x" TargetMode="External"/></Relationships>',
    );
    const chart = deflated('word/embeddings/Microsoft_Excel_Worksheet.xlsx', 'PK...');
    expect(await inspectBytes(rawZip(docxParts(body(), [link, chart])))).toEqual({ kind: 'accepted', type: DOCX });
  });
});
