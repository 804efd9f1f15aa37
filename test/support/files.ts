/** Small but real files for upload tests. */
export function pdf(text = 'Signed agreement'): Buffer {
  const body = `1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj 3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj`;
  return Buffer.from(`%PDF-1.4\n% ${text}\n${body}\ntrailer<</Root 1 0 R>>\n%%EOF\n`, 'latin1');
}

export function png(): Buffer {
  return Buffer.from(
    '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a4c50000000049454e44ae426082',
    'hex',
  );
}

export function exe(): Buffer {
  return Buffer.concat([Buffer.from('MZ'), Buffer.alloc(200, 0x90)]);
}
