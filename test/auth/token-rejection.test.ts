import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type JWK } from 'jose';

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demo, startTestHub, type TestHub } from '../support/hub.js';

const ISSUER = 'https://login.example.se';
const AUDIENCE = 'identity-hub';

describe('sign-in: bearer tokens are verified against trusted issuers', () => {
  let hub: TestHub;
  let jwks: Server;
  let key: PrivateKey;
  let otherKey: PrivateKey;
  let publicPem: string;
  const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');

  const sign = (claims: Record<string, unknown>, options: { key?: PrivateKey; kid?: string; exp?: number | string; iss?: string; aud?: string; alg?: string } = {}) => {
    const jwt = new SignJWT({ orgnr: '202100-2114', acr: 'http://id.elegnamnden.se/loa/1.0/loa4', ...claims })
      .setProtectedHeader({ alg: options.alg ?? 'RS256', kid: options.kid ?? 'k1' })
      .setIssuer(options.iss ?? ISSUER)
      .setAudience(options.aud ?? AUDIENCE)
      .setIssuedAt();
    if (options.exp !== undefined) jwt.setExpirationTime(options.exp);
    else jwt.setExpirationTime('10m');
    return jwt.sign(options.key ?? key);
  };

  const ask = (token: string | null, header?: string) =>
    fetch(hub.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(header ? { authorization: header } : token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query: '{ session { authenticated registered registrationNumber assuranceLevel } me { id } }' }),
    });

  const refused = async (token: string | null, header?: string) => {
    const res = await ask(token, header);
    const body = (await res.json()) as { data?: unknown; errors?: { message: string; extensions: Record<string, unknown> }[] };
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(body.data ?? null).toBeNull();
    expect(body.errors).toEqual([{ message: 'The bearer token is invalid or expired.', extensions: { code: 'UNAUTHENTICATED' } }]);
  };

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256', { extractable: true });
    key = pair.privateKey;
    publicPem = await exportSPKI(pair.publicKey);
    otherKey = (await generateKeyPair('RS256')).privateKey;
    const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    jwks = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`;
    hub = await startTestHub({
      TRUSTED_ISSUERS: JSON.stringify([{ issuer: ISSUER, audience: AUDIENCE, algorithms: ['RS256'], jwksUrl: url, registrationNumberClaim: 'orgnr', displayName: 'Test IdP' }]),
    });
  });
  afterAll(async () => {
    await hub.close();
    jwks.close();
  });

  it('accepts a valid token of a configured issuer (JWKS URL); an unknown subject is signed in but not registered', async () => {
    const res = await ask(await sign({ sub: 'someone-new' }));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      data: { session: { authenticated: true, registered: false, registrationNumber: '202100-2114', assuranceLevel: 'HIGH' }, me: null },
    });
  });

  it('maps a development-issuer token to its demo user', async () => {
    const res = await hub.as<{ me: { email: string }; session: { registrationNumber: string; assuranceLevel: string } }>(demo.erik, '{ me { email } session { registrationNumber assuranceLevel } }');
    expect(res.data).toEqual({ me: { email: demo.erik }, session: { registrationNumber: '202100-2114', assuranceLevel: 'SUBSTANTIAL' } });
  });

  it('accepts a token expired by less than the clock skew, refuses one expired beyond it', async () => {
    expect((await ask(await sign({ sub: 'a' }, { exp: Math.floor(Date.now() / 1000) - 10 }))).status).toBe(200);
    await refused(await sign({ sub: 'a' }, { exp: Math.floor(Date.now() / 1000) - 120 }));
  });

  it('refuses a token not valid yet, for another audience, from an untrusted issuer, or without sub', async () => {
    await refused(await new SignJWT({ sub: 'a' }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuer(ISSUER).setAudience(AUDIENCE).setNotBefore('10m').setExpirationTime('20m').sign(key));
    await refused(await sign({ sub: 'a' }, { aud: 'someone-else' }));
    await refused(await sign({ sub: 'a' }, { iss: 'https://evil.example' }));
    await refused(await sign({}));
  });

  it('refuses alg "none", HS256 signed with the public key (algorithm confusion), unknown keys and tampering', async () => {
    const claims = { sub: 'a', iss: ISSUER, aud: AUDIENCE, exp: Math.floor(Date.now() / 1000) + 600 };
    await refused(`${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`);
    const hsInput = `${b64({ alg: 'HS256', typ: 'JWT', kid: 'k1' })}.${b64(claims)}`;
    await refused(`${hsInput}.${createHmac('sha256', publicPem).update(hsInput).digest('base64url')}`);
    await refused(await sign({ sub: 'a' }, { key: otherKey }));
    await refused(await sign({ sub: 'a' }, { key: otherKey, kid: 'k2' }));
    const [h, , s] = (await sign({ sub: 'a' })).split('.');
    await refused(`${h}.${b64({ ...claims, sub: 'karin.admin@forsakringskassan.se' })}.${s}`);
  });

  it('refuses a dev-issuer token signed by another key, malformed headers, and garbage', async () => {
    const foreign = (await generateKeyPair('ES256')).privateKey;
    const forged = await new SignJWT({ sub: demo.karin, acr: 'high' }).setProtectedHeader({ alg: 'ES256' }).setIssuer(hub.app.devIssuer!.issuer).setAudience('identity-hub').setExpirationTime('10m').sign(foreign);
    await refused(forged);
    await refused(null, 'Basic dXNlcjpwYXNz');
    await refused(null, 'Bearer');
    await refused('not.a.jwt');
    await refused('x'.repeat(50));
  });

  it('lists the trusted identity providers publicly, as the entrance to self-registration', async () => {
    const res = await hub.gql<{ identityProviders: { issuer: string; name: string }[] }>('{ identityProviders { issuer name } }');
    expect(res.data!.identityProviders.map((p) => p.name)).toContain('Test IdP');
  });
});
