import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenRejected } from '../../src/auth/auth.errors.js';
import { DevIssuer } from '../../src/auth/dev-issuer.js';
import { TokenVerifier } from '../../src/auth/token-verifier.js';

/** Verified tokens are reused, but never past the moment a fresh verification would refuse them. */
describe('verified token cache', () => {
  let dir: string;
  let issuer: DevIssuer;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hub-verify-'));
    issuer = await DevIssuer.loadOrCreate(dir, 'https://dev-issuer.test', 'identity-hub');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('should refuse a token once it expires, although it was verified (and kept) before', async () => {
    const verifier = new TokenVerifier([issuer.trustedIssuer], 0);
    const token = await issuer.sign({ sub: 'someone@example.org', acr: 'substantial' }, 2);
    expect((await verifier.verify(token)).subject).toBe('someone@example.org');
    expect((await verifier.verify(token)).subject).toBe('someone@example.org');
    await new Promise((r) => setTimeout(r, 2100));
    await expect(verifier.verify(token)).rejects.toBeInstanceOf(TokenRejected);
  });

  it('should not take a token for one it verified when only the signature differs', async () => {
    const verifier = new TokenVerifier([issuer.trustedIssuer], 0);
    const token = await issuer.sign({ sub: 'someone@example.org', acr: 'substantial' }, 60);
    await verifier.verify(token);
    const [header, payload, signature] = token.split('.');
    const forged = `${header}.${payload}.${signature.slice(0, -4)}${signature.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`;
    await expect(verifier.verify(forged)).rejects.toBeInstanceOf(TokenRejected);
  });
});
