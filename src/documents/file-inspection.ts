import { type AllowedContentType, DOCX, JPEG, PDF, PNG, sniff } from './content-type.js';
import { checkDocx } from './docx-check.js';
import { ExecutableScanner } from './executable-scan.js';
import { bufferSource, type FileSource } from './file-source.js';
import { checkJpeg, checkPng } from './image-check.js';
import { checkPdf } from './pdf-check.js';

/** What a file is, from its bytes, and whether it may be kept. */
export type Inspection =
  | { kind: 'accepted'; type: AllowedContentType }
  /** One of our types, refused for `reason`: the end of a sentence starting "This PDF …". */
  | { kind: 'refused'; type: AllowedContentType; reason: string }
  /** Not one of our types; `what` names it where it is recognised ("an executable program"). */
  | { kind: 'foreign'; what: string | null };

async function containsExecutable(source: FileSource): Promise<boolean> {
  const scanner = new ExecutableScanner();
  for await (const chunk of source.chunks()) {
    scanner.push(chunk);
    if (scanner.foundAt !== null) return true;
  }
  scanner.end();
  return scanner.foundAt !== null;
}

async function deepCheck(type: AllowedContentType, source: FileSource): Promise<Inspection> {
  let reason: string | null = null;
  switch (type) {
    case DOCX: {
      const verdict = await checkDocx(source);
      if (verdict.kind === 'foreign') return { kind: 'foreign', what: verdict.what };
      reason = verdict.kind === 'refused' ? verdict.reason : null;
      break;
    }
    case PDF:
      // checkPdf searches for programs itself, in the same pass as its names.
      reason = await checkPdf(source);
      return reason ? { kind: 'refused', type, reason } : { kind: 'accepted', type };
    case PNG:
      reason = await checkPng(source);
      break;
    case JPEG:
      reason = await checkJpeg(source);
      break;
  }
  if (reason) return { kind: 'refused', type, reason };
  // No type we take carries a program: not in a DOCX's comment or stored parts, not in an image chunk.
  if (await containsExecutable(source)) return { kind: 'refused', type, reason: 'contains an executable program' };
  return { kind: 'accepted', type };
}

/**
 * Decides what a file is and whether it may be kept: its signature, then the whole structure of its
 * type (see checkPdf, checkDocx, checkPng, checkJpeg), reading it in bounded pieces.
 */
export async function inspectFile(source: FileSource): Promise<Inspection> {
  const sniffed = sniff(await source.read(0, 512));
  if (sniffed.kind === 'foreign') return { kind: 'foreign', what: sniffed.what };
  if (sniffed.kind === 'unknown') return { kind: 'foreign', what: null };
  return deepCheck(sniffed.type, source);
}

/** `inspectFile` for bytes in memory (tests, fuzzing). */
export function inspectBytes(bytes: Buffer): Promise<Inspection> {
  return inspectFile(bufferSource(bytes));
}
