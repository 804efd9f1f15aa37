/**
 * Finds an executable program anywhere in a stream of bytes: an ELF file (Linux), a PE file
 * (Windows: "MZ" whose header points at "PE\0\0"), a Mach-O file (macOS) or a universal binary or
 * Java class. Each is recognised by its header's structure, not by two or four magic bytes alone, so
 * that compressed data, which holds every short byte sequence somewhere, does not look like a program:
 * a chance match needs 7 to 12 fixed bytes at once.
 */

type Verdict = 'yes' | 'no' | 'more';

const MACHO_CPU_TYPES = new Set([7, 0x01000007, 12, 0x0100000c, 0x0200000c, 18, 0x01000012]);

const CHECKS: { magic: Buffer; check: (b: Buffer, i: number) => Verdict }[] = [
  {
    // e_ident: class 32/64-bit, data little/big-endian, version 1.
    magic: Buffer.from('\x7fELF', 'latin1'),
    check: (b, i) => (i + 7 > b.length ? 'more' : [1, 2].includes(b[i + 4]) && [1, 2].includes(b[i + 5]) && b[i + 6] === 1 ? 'yes' : 'no'),
  },
  {
    // The DOS header's e_lfanew (offset 0x3C) points at the PE signature, within the first KiB in practice.
    magic: Buffer.from('MZ', 'latin1'),
    check: (b, i) => {
      if (i + 64 > b.length) return 'more';
      const pe = b.readUInt32LE(i + 60);
      if (pe < 64 || pe > 1024) return 'no';
      if (i + pe + 4 > b.length) return 'more';
      return b.readUInt32BE(i + pe) === 0x50450000 ? 'yes' : 'no';
    },
  },
  ...[
    { magic: 'feedface', bigEndian: true },
    { magic: 'feedfacf', bigEndian: true },
    { magic: 'cefaedfe', bigEndian: false },
    { magic: 'cffaedfe', bigEndian: false },
  ].map(({ magic, bigEndian }) => ({
    magic: Buffer.from(magic, 'hex'),
    // mach_header: a known CPU type and a file type from MH_OBJECT (1) to MH_FILESET (12).
    check: (b: Buffer, i: number): Verdict => {
      if (i + 16 > b.length) return 'more';
      const cpu = bigEndian ? b.readUInt32BE(i + 4) : b.readUInt32LE(i + 4);
      const fileType = bigEndian ? b.readUInt32BE(i + 12) : b.readUInt32LE(i + 12);
      return MACHO_CPU_TYPES.has(cpu) && fileType >= 1 && fileType <= 12 ? 'yes' : 'no';
    },
  })),
  {
    // A universal binary's architecture count or a Java class's major version: both small numbers.
    magic: Buffer.from('cafebabe', 'hex'),
    check: (b, i) => {
      if (i + 8 > b.length) return 'more';
      const n = b.readUInt32BE(i + 4);
      return n >= 1 && n <= 0x7f ? 'yes' : 'no';
    },
  },
];

/** The most bytes a check looks ahead of its match: the PE signature at most 1 KiB after "MZ". */
const LOOKAHEAD = 1024 + 8;

/** Feed it a file's bytes in order with `push`, then call `end`; `foundAt` is where the first program starts. */
export class ExecutableScanner {
  foundAt: number | null = null;
  private carry: Buffer = Buffer.alloc(0);
  /** The file offset of carry[0]. */
  private carryOffset = 0;
  /** Matches before this file offset were decided already. */
  private decidedUpTo = 0;

  push(chunk: Buffer): void {
    if (this.foundAt !== null || chunk.length === 0) return;
    const bytes = this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk;
    // Matches whose lookahead may reach past these bytes wait for the next chunk, kept as the carry.
    const safeEnd = Math.max(0, bytes.length - LOOKAHEAD);
    this.scan(bytes, safeEnd);
    this.carry = Buffer.from(bytes.subarray(safeEnd));
    this.carryOffset += safeEnd;
  }

  end(): void {
    if (this.foundAt === null) this.scan(this.carry, this.carry.length);
    this.carry = Buffer.alloc(0);
  }

  private scan(bytes: Buffer, until: number): void {
    const from = Math.max(0, this.decidedUpTo - this.carryOffset);
    let first: number | null = null;
    for (const { magic, check } of CHECKS) {
      for (let i = bytes.indexOf(magic, from); i !== -1 && i < until; i = bytes.indexOf(magic, i + 1)) {
        // Below `until` every lookahead fits, except at the very end, where a cut-off header is no program.
        if (check(bytes, i) === 'yes') {
          if (first === null || i < first) first = i;
          break;
        }
      }
    }
    if (first !== null) this.foundAt = this.carryOffset + first;
    this.decidedUpTo = this.carryOffset + until;
  }
}

/** The offset of the first executable program in `bytes`, or null. */
export function findExecutable(bytes: Buffer): number | null {
  const scanner = new ExecutableScanner();
  scanner.push(bytes);
  scanner.end();
  return scanner.foundAt;
}
