import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DevIssuer } from '../../src/auth/dev-issuer.js';
import { TokenVerifier } from '../../src/auth/token-verifier.js';
import { loadConfig } from '../../src/config.js';
import { projectRoot } from '../../src/db/orm.js';
import { demo, startTestHub, type TestHub } from '../support/hub.js';

describe('the development issuer in production', () => {
  let dataDir: string;
  let devToken: string;
  let hub: TestHub;

  beforeAll(async () => {
    // The development key already lies in the data directory, as it would after a developer ran the hub there.
    dataDir = mkdtempSync(join(tmpdir(), 'hub-prod-'));
    const defaults = loadConfig({ NODE_ENV: 'development', DATA_DIR: dataDir });
    const issuer = await DevIssuer.loadOrCreate(dataDir, defaults.devIssuerUrl, defaults.tokenAudience);
    devToken = await issuer.sign({ sub: demo.karin, email: demo.karin, acr: 'high' });
    // Control: the token is good for that key, so a refusal below is the production switch's doing.
    await expect(new TokenVerifier([issuer.trustedIssuer], 30).verify(devToken)).resolves.toMatchObject({ subject: demo.karin });
    hub = await startTestHub({ NODE_ENV: 'production', DATA_DIR: dataDir });
  });

  afterAll(async () => {
    await hub?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('is off in the configuration', () => {
    expect(hub.config.devIssuer).toBe(false);
    expect(hub.app.devIssuer).toBeNull();
  });

  it('refuses a development token with 401 UNAUTHENTICATED', async () => {
    const res = await hub.gql('{ session { authenticated } }', {}, devToken);
    expect(res.status).toBe(401);
    expect(res.data).toBeUndefined();
    expect(res.errors).toEqual([{ message: 'The bearer token is invalid or expired.', extensions: { code: 'UNAUTHENTICATED' } }]);
  });

  it('does not offer the development issuer as a way to sign in', async () => {
    const res = await hub.gql<{ identityProviders: { issuer: string }[] }>('{ identityProviders { issuer } }');
    expect(res.errors).toBeUndefined();
    expect(res.data?.identityProviders).toEqual([]);
  });

  describe('npm run token', () => {
    const tokenCli = (env: Record<string, string>) =>
      spawnSync(join(projectRoot, 'node_modules/.bin/tsx'), ['src/auth/token-cli.ts', demo.anna], {
        cwd: projectRoot,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: dataDir, ...env },
        encoding: 'utf8',
        timeout: 60_000,
      });

    it('refuses with NODE_ENV=production, printing no token', () => {
      const run = tokenCli({ NODE_ENV: 'production' });
      expect(run.status).not.toBe(0);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(/development issuer is off/);
    });

    it('signs with NODE_ENV=production only when DEV_ISSUER=true says so', () => {
      const run = tokenCli({ NODE_ENV: 'production', DEV_ISSUER: 'true' });
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      expect(run.stdout.trim()).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    });
  });
});
