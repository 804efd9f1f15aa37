import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { projectRoot } from '../src/db/orm.js';
import { demo, startTestHub } from './support/hub.js';

const issuer = { issuer: 'https://idp', audience: 'hub', algorithms: ['RS256'], jwksUrl: 'https://idp/jwks' };

describe('configuration', () => {
  it('should refuse bad values with a message naming the variable', () => {
    const bad: [Record<string, string>, RegExp][] = [
      [{ PORT: 'eighty' }, /PORT/],
      [{ PORT: '70000' }, /PORT/],
      [{ GRAPHQL_INTROSPECTION: 'maybe' }, /GRAPHQL_INTROSPECTION/],
      [{ TRUSTED_ISSUERS: '{' }, /JSON array/],
      [{ TRUSTED_ISSUERS: JSON.stringify([{ ...issuer, issuer: '' }]) }, /issuer is required/],
      [{ TRUSTED_ISSUERS: JSON.stringify([{ ...issuer, algorithms: ['HS256'] }]) }, /asymmetric/],
      [{ TRUSTED_ISSUERS: JSON.stringify([{ ...issuer, algorithms: ['none'] }]) }, /asymmetric/],
      [{ TRUSTED_ISSUERS: JSON.stringify([{ ...issuer, algorithms: [] }]) }, /pin at least one/],
      [{ TRUSTED_ISSUERS: JSON.stringify([{ ...issuer, jwksUrl: undefined }]) }, /exactly one of/],
      [{ TRUSTED_ISSUERS: JSON.stringify([{ ...issuer, publicKeyPem: 'x' }]) }, /exactly one of/],
    ];
    for (const [env, message] of bad) expect(() => loadConfig(env), JSON.stringify(env)).toThrow(message);
    expect(() => loadConfig({ PORT: 'x' })).toThrow(ConfigError);
  });

  it('should turn off introspection, the landing page, the dev issuer and the SQL counter in production', () => {
    const prod = loadConfig({ NODE_ENV: 'production' });
    expect([prod.introspection, prod.landingPage, prod.devIssuer, prod.exposeSqlCount]).toEqual([false, false, false, false]);
    const dev = loadConfig({});
    expect([dev.introspection, dev.landingPage, dev.devIssuer, dev.port]).toEqual([true, true, true, 4000]);
    expect(loadConfig({ NODE_ENV: 'production', DEV_ISSUER: 'true' }).devIssuer).toBe(true);
  });

  it('should refuse development tokens in production, and `npm run token` too', async () => {
    const hub = await startTestHub();
    const token = await hub.token(demo.anna);
    const dataDir = hub.config.dataDir;
    await hub.app.stop();
    const prod = await startTestHub({ NODE_ENV: 'production', DATA_DIR: dataDir });
    try {
      const res = await prod.gql('{ me { id } }', {}, token);
      expect(res.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    } finally {
      await prod.close();
      await hub.db.drop();
    }
    const cli = spawnSync(join(projectRoot, 'node_modules/.bin/tsx'), ['src/auth/token-cli.ts', demo.anna], {
      cwd: projectRoot,
      env: { ...process.env, NODE_ENV: 'production', DATA_DIR: mkdtempSync(join(tmpdir(), 'hub-cli-')) },
      encoding: 'utf8',
    });
    expect(cli.status).not.toBe(0);
    expect(cli.stderr).toMatch(/development issuer is off/);
  });

  it('`npm run token` prints a token the hub accepts, and lists the demo users for an unknown e-mail', async () => {
    const hub = await startTestHub();
    try {
      const run = (email: string) =>
        spawnSync(join(projectRoot, 'node_modules/.bin/tsx'), ['src/auth/token-cli.ts', email], { cwd: projectRoot, env: { ...process.env, NODE_ENV: 'development', DATA_DIR: hub.config.dataDir }, encoding: 'utf8' });
      const ok = run(demo.mette);
      expect(ok.status).toBe(0);
      const res = await hub.gql<{ me: { email: string } }>('{ me { email } }', {}, ok.stdout.trim());
      expect(res.data!.me.email).toBe(demo.mette);
      const unknown = run('nobody@example.com');
      expect(unknown.status).toBe(2);
      expect(unknown.stderr).toContain(demo.anna);
    } finally {
      await hub.close();
    }
  });
});
