import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

/**
 * The real process, as `npm start` runs it, in production mode (where Apollo would install its own
 * signal handlers): SIGTERM must drain and exit, not hang.
 */
describe('signals', () => {
  // A directory of its own (DATA_DIR is a path: "memory://" would become a folder named "memory:").
  const dataDir = mkdtempSync(join(tmpdir(), 'hub-signal-'));
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('should exit with code 0 soon after SIGTERM', async () => {
    const env: Record<string, string | undefined> = { ...process.env, NODE_ENV: 'production', DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', JOBS: 'true' };
    delete env.DATABASE_URL;
    // One process, the server itself (the tsx command would put a signal-relaying parent in front of it).
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/app/main.ts'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const listening = new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('identity hub listening')) resolve();
      });
      child.on('exit', (code) => reject(new Error(`exited early with ${code}: ${output}`)));
    });
    await listening;
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const started = Date.now();
    child.kill('SIGTERM');
    const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 10_000))]);
    if (code === 'hung') child.kill('SIGKILL');
    expect(code).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(output).toContain('"msg":"stopped"');
  }, 60_000);
});
