import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JwksOptions } from '../../src/auth/remote-jwks.js';
import { startTestHub, type TestHub } from '../support/hub.js';
import { jwksServer, signingKey, sleep, type JwksMode, type JwksServer, type SigningKey } from '../support/jwks-server.js';

/** A provider whose JWKS answered once, then fails in every way. */
const ISSUER = 'https://login.example.se';
/** A provider whose JWKS never answered. */
const NEW_ISSUER = 'https://new-idp.example.dk';
const AUDIENCE = 'identity-hub';
/** Production's waits, shortened so that a back-off passes within the test. */
const JWKS: Partial<JwksOptions> = { maxAgeMs: 400, cooldownMs: 400, backoffInitialMs: 1_000, backoffMaxMs: 2_000, jitter: 0, timeoutMs: 500 };
/** The longest a request may take while a JWKS fetch hangs: the fetch timeout and the hub's own work. */
const HELD_AT_MOST_MS = 500 + 1_500;
const UNAVAILABLE = {
  errors: [{ message: 'The identity provider that issued the token cannot be reached; try again later.', extensions: { code: 'IDENTITY_PROVIDER_UNAVAILABLE' } }],
};

interface Answer {
  status: number;
  retryAfter: string | null;
  body: { data?: { session: { authenticated: boolean; issuer: string | null } }; errors?: unknown[] };
  ms: number;
}

describe('sign-in while an identity provider is unreachable', () => {
  let hub: TestHub;
  let jwks: JwksServer;
  let newJwks: JwksServer;
  let current: SigningKey;
  let rotated: SigningKey;
  let impostor: SigningKey;
  let newKey: SigningKey;
  /** When the hub said it will fetch again, from its last Retry-After. */
  let retryAfterMs = JWKS.cooldownMs!;

  /** Asks who the token's bearer is; the hub must never answer 500, nor hold a request past the fetch timeout. */
  const ask = async (token: string, path = '/graphql'): Promise<Answer> => {
    const started = performance.now();
    const url = hub.url.replace(/\/graphql$/, path);
    const res = await fetch(url, {
      method: path === '/graphql' ? 'POST' : 'GET',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: path === '/graphql' ? JSON.stringify({ query: '{ session { authenticated issuer } }' }) : undefined,
      signal: AbortSignal.timeout(10_000),
    });
    const answer = { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as Answer['body'], ms: performance.now() - started };
    expect(answer.status, JSON.stringify(answer.body)).not.toBe(500);
    expect(answer.ms, 'held past the fetch timeout').toBeLessThan(HELD_AT_MOST_MS);
    return answer;
  };

  const signedIn = async (key: SigningKey, iss = ISSUER) => {
    const answer = await ask(await key.sign({ iss, aud: AUDIENCE }));
    expect(answer.status).toBe(200);
    expect(answer.body.data?.session).toEqual({ authenticated: true, issuer: iss });
  };

  const unavailable = (answer: Answer) => {
    expect(answer.status).toBe(503);
    expect(answer.body).toEqual(UNAVAILABLE);
    expect(answer.retryAfter).toMatch(/^[1-9]\d*$/);
    retryAfterMs = Number(answer.retryAfter) * 1000;
  };

  const refused = (answer: Answer) => {
    expect(answer.status).toBe(401);
    expect(answer.body).toEqual({ errors: [{ message: 'The bearer token is invalid or expired.', extensions: { code: 'UNAUTHENTICATED' } }] });
  };

  beforeAll(async () => {
    [current, rotated, impostor, newKey] = await Promise.all([signingKey('a'), signingKey('b'), signingKey('a'), signingKey('n')]);
    jwks = await jwksServer({ keys: [current.jwk] });
    newJwks = await jwksServer({ keys: [newKey.jwk], mode: 'error' });
    const issuer = (iss: string, jwksUrl: string) => ({ issuer: iss, audience: AUDIENCE, algorithms: ['RS256'], jwksUrl });
    hub = await startTestHub({ TRUSTED_ISSUERS: JSON.stringify([issuer(ISSUER, jwks.url), issuer(NEW_ISSUER, newJwks.url)]) }, undefined, { jwks: JWKS });
  });

  afterAll(async () => {
    await hub?.close();
    await jwks?.close();
    await newJwks?.close();
  });

  it('should verify tokens with the keys of one fetch', async () => {
    for (let i = 0; i < 3; i++) await signedIn(current);
    expect(jwks.requests).toBe(1);
  });

  it('should refuse a bad signature under a known kid, and a kid the good key set lacks, with 401', async () => {
    refused(await ask(await impostor.sign({ iss: ISSUER, aud: AUDIENCE })));
    refused(await ask(await rotated.sign({ iss: ISSUER, aud: AUDIENCE })));
  });

  it.each<JwksMode>(['down', 'error', 'garbage', 'hanging'])(
    'should keep the last good keys while the JWKS is %s, and answer 503 for a kid it lacks',
    async (mode) => {
      await jwks.switchTo(mode);
      await sleep(retryAfterMs);
      const before = jwks.requests;
      // A kid not in the keys kept: the hub fetches (the back-off has passed), fails, and cannot tell.
      unavailable(await ask(await rotated.sign({ iss: ISSUER, aud: AUDIENCE })));
      if (mode !== 'down') expect(jwks.requests, 'fetched again for the unknown kid').toBe(before + 1);
      // The keys of the last good fetch, long past their max age, still verify.
      for (let i = 0; i < 3; i++) await signedIn(current);
    },
  );

  it('should fetch a failing JWKS at most twice for 20 requests, however many ask', async () => {
    await jwks.switchTo('error');
    await sleep(retryAfterMs);
    const before = jwks.requests;
    const unknownKid = () => rotated.sign({ iss: ISSUER, aud: AUDIENCE });
    const concurrent = await Promise.all(Array.from({ length: 10 }, async () => ask(await unknownKid())));
    concurrent.forEach(unavailable);
    for (let i = 0; i < 5; i++) {
      unavailable(await ask(await unknownKid()));
      await signedIn(current);
    }
    expect(jwks.requests - before).toBeGreaterThanOrEqual(1);
    expect(jwks.requests - before).toBeLessThanOrEqual(2);
  });

  it('should accept the rotated key once the JWKS is back and the back-off has passed', async () => {
    jwks.serve({ keys: [current.jwk, rotated.jwk] });
    await jwks.switchTo('serving');
    await sleep(retryAfterMs);
    await signedIn(rotated);
    await signedIn(current);
  });

  it('should answer 503 for an issuer whose keys were never fetched, without a fetch per request', async () => {
    unavailable(await ask(await newKey.sign({ iss: NEW_ISSUER, aud: AUDIENCE })));
    for (let i = 0; i < 5; i++) unavailable(await ask(await newKey.sign({ iss: NEW_ISSUER, aud: AUDIENCE })));
    expect(newJwks.requests).toBeGreaterThanOrEqual(1);
    expect(newJwks.requests).toBeLessThanOrEqual(2);
    // Each issuer has its own back-off: the other one's tokens still pass.
    await signedIn(current);
  });

  it('should answer a download with 503 and Retry-After too', async () => {
    unavailable(await ask(await newKey.sign({ iss: NEW_ISSUER, aud: AUDIENCE }), '/reports/grant-statistics.csv'));
  });

  it('should share one fetch among concurrent requests and answer them within the fetch timeout while the JWKS hangs', async () => {
    await newJwks.switchTo('hanging');
    await sleep(retryAfterMs);
    const before = newJwks.requests;
    const answers = await Promise.all(Array.from({ length: 10 }, async () => ask(await newKey.sign({ iss: NEW_ISSUER, aud: AUDIENCE }))));
    answers.forEach(unavailable);
    expect(newJwks.requests - before).toBe(1);
  });
});
