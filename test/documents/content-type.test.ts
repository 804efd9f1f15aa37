import { describe, expect, it } from 'vitest';
import { detectContentType } from '../../src/documents/content-type.js';
import { exe, pdf, png } from '../support/files.js';
import { docx, zip } from '../support/zip.js';

describe('detectContentType', () => {
  it('should recognise PDF, PNG, JPEG and DOCX from their bytes', () => {
    expect(detectContentType(pdf())).toBe('application/pdf');
    expect(detectContentType(png())).toBe('image/png');
    expect(detectContentType(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46]))).toBe('image/jpeg');
    expect(detectContentType(docx())).toBe('application/vnd.openxmlformats-officedocument.wordprocessingml.document');
  });

  it('should refuse what only looks like an allowed type', () => {
    const refused = [
      Buffer.alloc(0),
      exe(),
      Buffer.from('<html><script>alert(1)</script></html>'),
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a]), // a truncated PNG signature
      zip({ 'hello.txt': 'plain zip' }),
      zip({ '[Content_Types].xml': '<Types/>', 'xl/workbook.xml': '<workbook/>' }), // a spreadsheet, not a Word document
      Buffer.concat([Buffer.from('PK\u0003\u0004'), Buffer.alloc(40)]), // a ZIP header with no directory
      Buffer.from('%PD'),
    ];
    for (const bytes of refused) expect(detectContentType(bytes), bytes.subarray(0, 12).toString('hex')).toBeNull();
  });
});
