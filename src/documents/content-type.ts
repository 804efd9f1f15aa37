/** The file types attachments may have, recognised from their bytes. */
export type AllowedContentType = 'application/pdf' | 'image/png' | 'image/jpeg' | 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

/** Names of the entries in a ZIP file's central directory; null when it is not a well-formed ZIP. */
function zipEntries(bytes: Buffer): string[] | null {
  // The end-of-central-directory record is in the last 22 + 65,535 bytes (after an optional comment).
  const from = Math.max(0, bytes.length - 22 - 0xffff);
  for (let at = bytes.length - 22; at >= from; at--) {
    if (bytes.readUInt32LE(at) !== 0x06054b50) continue;
    const count = bytes.readUInt16LE(at + 10);
    let offset = bytes.readUInt32LE(at + 16);
    const names: string[] = [];
    for (let i = 0; i < count; i++) {
      if (offset + 46 > bytes.length || bytes.readUInt32LE(offset) !== 0x02014b50) return null;
      const nameLength = bytes.readUInt16LE(offset + 28);
      const extra = bytes.readUInt16LE(offset + 30);
      const comment = bytes.readUInt16LE(offset + 32);
      names.push(bytes.subarray(offset + 46, offset + 46 + nameLength).toString('utf8'));
      offset += 46 + nameLength + extra + comment;
    }
    return names;
  }
  return null;
}

/** What the bytes are, by their signature; never by the file's name or the client's claim. */
export function detectContentType(bytes: Buffer): AllowedContentType | null {
  if (bytes.length >= 5 && bytes.subarray(0, 5).toString('latin1') === '%PDF-') return 'application/pdf';
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(PNG)) return 'image/png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes.length >= 22 && bytes.readUInt32LE(0) === 0x04034b50) {
    const names = zipEntries(bytes);
    // A Word document is a ZIP with the OOXML content-types part and a word/ folder (not xl/, not ppt/).
    if (names?.includes('[Content_Types].xml') && names.some((n) => n.startsWith('word/'))) return DOCX;
  }
  return null;
}
