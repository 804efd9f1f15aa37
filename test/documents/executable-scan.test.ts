import { randomBytes } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ExecutableScanner, findExecutable } from '../../src/documents/executable-scan.js';
import { elf, exe } from '../support/files.js';
import { machOExecutable, peExecutable } from './builders.js';

describe('ExecutableScanner', () => {
  it('should find ELF, PE and Mach-O programs at any offset', () => {
    for (const program of [elf(), peExecutable(), machOExecutable()]) {
      expect(findExecutable(Buffer.concat([Buffer.alloc(1000, 0x41), program, Buffer.alloc(10)]))).toBe(1000);
    }
  });

  it('should find a program whose headers are split across chunks, at its file offset', () => {
    const bytes = Buffer.concat([Buffer.alloc(5000, 0x20), peExecutable()]);
    const scanner = new ExecutableScanner();
    for (let at = 0; at < bytes.length; at += 7) scanner.push(bytes.subarray(at, at + 7));
    scanner.end();
    expect(scanner.foundAt).toBe(5000);
  });

  it('should not mistake "MZ" without a PE header, or compressed random data, for a program', () => {
    // A DOS stub alone (e_lfanew zero) is only a program at the very start of a file (see sniff).
    expect(findExecutable(Buffer.concat([Buffer.from('%PDF-1.7 '), exe()]))).toBeNull();
    expect(findExecutable(Buffer.from('MZ MZ MZ \u007fELF text about ELF and MZ'))).toBeNull();
    // 8 MiB of what compressed streams look like.
    expect(findExecutable(Buffer.concat([randomBytes(4 * 1024 * 1024), deflateRawSync(randomBytes(4 * 1024 * 1024))]))).toBeNull();
  });
});
