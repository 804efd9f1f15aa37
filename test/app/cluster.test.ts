import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { workerCount } from '../../src/app/cluster.js';

describe('worker count (--workers / WORKERS)', () => {
  it('is one process unless asked for more', () => {
    expect(workerCount([], {}, true)).toBe(1);
    expect(workerCount([], {}, false)).toBe(1);
  });

  it('takes the flag before the environment, in both spellings', () => {
    expect(workerCount(['--workers', '3'], { WORKERS: '2' }, true)).toBe(3);
    expect(workerCount(['--workers=4'], {}, true)).toBe(4);
    expect(workerCount([], { WORKERS: '2' }, true)).toBe(2);
  });

  it('is one per core for auto on PostgreSQL, and one on PGlite (embedded in one process)', () => {
    expect(workerCount(['--workers', 'auto'], {}, true)).toBe(availableParallelism());
    expect(workerCount(['--workers', 'auto'], {}, false)).toBe(1);
  });

  it('refuses nonsense and several processes on PGlite', () => {
    for (const bad of ['0', '-1', '1.5', 'many', '65', '']) expect(() => workerCount(['--workers', bad], {}, true)).toThrow(/whole number/);
    expect(() => workerCount([], { WORKERS: '2' }, false)).toThrow(/PostgreSQL/);
  });
});
