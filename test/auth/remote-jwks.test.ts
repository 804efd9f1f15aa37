import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errors as joseErrors, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import { pino, type Logger } from 'pino';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { IdentityProviderUnavailable } from '../../src/auth/auth.errors.js';
import { backoffDelay, defaultJwksOptions, RemoteJwks, type JwksOptions } from '../../src/auth/remote-jwks.js';
import { jwksServer, signingKey, sleep, type JwksServer, type SigningKey } from '../support/jwks-server.js';

const ISSUER = 'https://login.example.se';
const AUDIENCE = 'identity-hub';

describe('JWKS back-off schedule', () => {
  it('should double the wait per failure in a row, from the first wait up to the longest', () => {
    const options = { ...defaultJwksOptions, jitter: 0 };
    expect(Array.from({ length: 10 }, (_, i) => backoffDelay(i + 1, options))).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 128_000, 256_000, 300_000,
    ]);
    expect(backoffDelay(5_000, options), 'no Infinity or NaN after a very long outage').toBe(300_000);
  });

  it('should take up to the jitter share off the wait, never add to it', () => {
    expect(backoffDelay(3, defaultJwksOptions, () => 0)).toBe(4_000);
    expect(backoffDelay(3, defaultJwksOptions, () => 0.5)).toBe(3_600);
    expect(backoffDelay(3, defaultJwksOptions, () => 0.999_999)).toBe(3_200);
    expect(backoffDelay(40, defaultJwksOptions, () => 0.999_999)).toBe(240_000);
  });
});

describe('RemoteJwks', () => {
  let key: SigningKey;
  const servers: { close(): Promise<void> }[] = [];

  const serverWith = async (...args: Parameters<typeof jwksServer>): Promise<JwksServer> => {
    const server = await jwksServer(...args);
    servers.push(server);
    return server;
  };

  const remote = (url: string, options: Partial<JwksOptions> = {}, log?: Logger) =>
    new RemoteJwks({ issuer: ISSUER, jwksUrl: url, algorithms: ['RS256'] }, { ...defaultJwksOptions, jitter: 0, ...options }, log);

  const verify = async (jwks: RemoteJwks, signer: SigningKey = key) =>
    jwtVerify(await signer.sign({ iss: ISSUER, aud: AUDIENCE }), jwks.getKey, { algorithms: ['RS256'] });

  beforeAll(async () => {
    key = await signingKey('a');
  });

  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  it('should log one warning per failed fetch, with the issuer and the next attempt, not one per request', async () => {
    const lines: Record<string, unknown>[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
    const server = await serverWith({ keys: [key.jwk], mode: 'error' });
    const jwks = remote(server.url, { backoffInitialMs: 300 }, log);
    for (let i = 0; i < 10; i++) await expect(verify(jwks)).rejects.toBeInstanceOf(IdentityProviderUnavailable);
    await sleep(300);
    for (let i = 0; i < 10; i++) await expect(verify(jwks)).rejects.toBeInstanceOf(IdentityProviderUnavailable);
    const warnings = lines.filter((l) => l.level === 40);
    expect(server.requests).toBe(2);
    expect(warnings).toHaveLength(2);
    expect(warnings[1]).toMatchObject({ issuer: ISSUER, jwksUrl: server.url, failures: 2, reason: 'HTTP 500', keysFrom: null });
    const wait = Date.parse(warnings[1].nextAttemptAt as string) - (warnings[1].time as number);
    expect(wait, 'the second back-off: twice the first').toBeGreaterThanOrEqual(550);
    expect(wait).toBeLessThanOrEqual(600);
  });

  it('should tell how long until it fetches again', async () => {
    const server = await serverWith({ keys: [key.jwk], mode: 'error' });
    const jwks = remote(server.url, { backoffInitialMs: 3_000 });
    await expect(verify(jwks)).rejects.toMatchObject({ issuer: ISSUER, retryAfterSeconds: 3 });
    await sleep(1_100);
    await expect(verify(jwks)).rejects.toMatchObject({ issuer: ISSUER, retryAfterSeconds: 2 });
  });

  it('should refuse a key set larger than the cap, also when sent in chunks without a length', async () => {
    const server = await serverWith({ keys: [] });
    server.serve((res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(`{"keys":[${JSON.stringify(key.jwk)}]`);
      for (let i = 0; i < 8; i++) res.write(' '.repeat(1_024));
      res.end('}');
    });
    await expect(verify(remote(server.url, { maxBytes: 4_096 }))).rejects.toBeInstanceOf(IdentityProviderUnavailable);
    await expect(verify(remote(server.url, { maxBytes: 16_384 })), 'the same set under the cap').resolves.toBeDefined();
  });

  it('should take no key set without a public key for a pinned algorithm', async () => {
    const ec = await generateKeyPair('ES256', { extractable: true });
    const sets = {
      'a private key': [key.privateJwk],
      'a symmetric key': [{ kty: 'oct', k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0', kid: 'a' }],
      'an EC key for RS256': [{ ...(await exportJWK(ec.publicKey)), kid: 'a' }],
      'an RSA key for another algorithm': [{ ...key.jwk, alg: 'PS256' }],
    };
    for (const [what, keys] of Object.entries(sets)) {
      const server = await serverWith({ keys });
      await expect(verify(remote(server.url)), what).rejects.toBeInstanceOf(IdentityProviderUnavailable);
    }
  });

  it('should fetch a good set again for unknown kids at most once per cool-down', async () => {
    const stranger = await signingKey('unknown');
    const server = await serverWith({ keys: [key.jwk] });
    const jwks = remote(server.url, { cooldownMs: 300 });
    await verify(jwks);
    for (let i = 0; i < 10; i++) await expect(verify(jwks, stranger)).rejects.toBeInstanceOf(joseErrors.JWKSNoMatchingKey);
    expect(server.requests).toBe(1);
    await sleep(300);
    for (let i = 0; i < 10; i++) await expect(verify(jwks, stranger)).rejects.toBeInstanceOf(joseErrors.JWKSNoMatchingKey);
    expect(server.requests).toBe(2);
  });

  it('should take a key set only from a 200 answer', async () => {
    const server = await serverWith({ keys: [] });
    server.serve((res) => {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [key.jwk] }));
    });
    await expect(verify(remote(server.url))).rejects.toBeInstanceOf(IdentityProviderUnavailable);
  });

  it('should not follow a redirect, even to a good key set', async () => {
    const good = await serverWith({ keys: [key.jwk] });
    const redirecting = createServer((_req, res) => {
      res.writeHead(302, { location: good.url });
      res.end();
    });
    await new Promise<void>((resolve) => redirecting.listen(0, '127.0.0.1', resolve));
    servers.push({ close: () => new Promise<void>((resolve) => redirecting.close(() => resolve())) });
    const url = `http://127.0.0.1:${(redirecting.address() as AddressInfo).port}/jwks`;
    await expect(verify(remote(url))).rejects.toBeInstanceOf(IdentityProviderUnavailable);
    expect(good.requests).toBe(0);
  });

  it('should stop trusting a key the provider withdrew once the set is past its max age', async () => {
    const next = await signingKey('b');
    const server = await serverWith({ keys: [key.jwk] });
    const jwks = remote(server.url, { maxAgeMs: 200, cooldownMs: 200 });
    await verify(jwks);
    server.serve({ keys: [next.jwk] });
    await sleep(250);
    // Past its max age the set still answers while it is fetched again in the background.
    await verify(jwks);
    await sleep(100);
    await expect(verify(jwks)).rejects.toBeInstanceOf(joseErrors.JWKSNoMatchingKey);
    await expect(verify(jwks, next)).resolves.toBeDefined();
    expect(server.requests).toBe(2);
  });

  it('should not hold a token with a known kid while a set past its max age is fetched again', async () => {
    const server = await serverWith({ keys: [key.jwk] });
    const jwks = remote(server.url, { maxAgeMs: 100, cooldownMs: 100, timeoutMs: 2_000 });
    await verify(jwks);
    await server.switchTo('hanging');
    await sleep(150);
    const started = performance.now();
    await verify(jwks);
    expect(performance.now() - started).toBeLessThan(500);
    // It did start the fetch meanwhile.
    await expect.poll(() => server.requests).toBe(2);
  });
});
