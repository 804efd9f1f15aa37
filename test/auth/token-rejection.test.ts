import { createHmac, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportPKCS8, exportSPKI, generateKeyPair, SignJWT, type JWK, type JWTHeaderParameters, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demo, startTestHub, type TestHub } from '../support/hub.js';

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;
type PrivateKey = KeyPair['privateKey'] | KeyObject;

interface Answer {
  status: number;
  headers: Headers;
  body: { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] };
}

/** The external identity provider, served over JWKS. */
const ISSUER = 'https://login.example.se';
/** A second provider configured with a PEM public key instead of a JWKS URL. */
const PEM_ISSUER = 'https://idp.example.dk';
const AUDIENCE = 'identity-hub';
const KID = 'k1';
const SESSION = '{ session { authenticated registered issuer registrationNumber assuranceLevel } me { id } }';
const now = () => Math.floor(Date.now() / 1000);
const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('sign-in: bearer tokens of trusted issuers', () => {
  let hub: TestHub;
  let jwksServer: Server;
  let jwksRequests = 0;
  let rsa: KeyPair;
  let pemIssuerKey: KeyPair;
  let otherRsa: PrivateKey;
  let rsaPem: string;
  let pemIssuerPem: string;

  interface SignOptions {
    key?: PrivateKey;
    alg?: string;
    /** Protected header fields besides alg; `kid: undefined` leaves the key id out. */
    header?: Record<string, unknown>;
    iss?: string;
    aud?: string | string[];
    exp?: number;
    nbf?: number;
    /** Claims to leave out of the token entirely. */
    omit?: (keyof JWTPayload)[];
  }

  /** A token of the JWKS issuer for a subject that has no user; every option spoils one thing. */
  const sign = async (claims: Record<string, unknown> = {}, o: SignOptions = {}): Promise<string> => {
    const payload: Record<string, unknown> = {
      sub: 'someone-new',
      orgnr: '202100-2114',
      acr: 'http://id.elegnamnden.se/loa/1.0/loa4',
      iss: o.iss ?? ISSUER,
      aud: o.aud ?? AUDIENCE,
      iat: now(),
      exp: o.exp ?? now() + 600,
      ...(o.nbf !== undefined ? { nbf: o.nbf } : {}),
      ...claims,
    };
    for (const claim of o.omit ?? []) delete payload[claim];
    const header: Record<string, unknown> = { alg: o.alg ?? 'RS256', kid: KID, ...o.header };
    if (header.kid === undefined) delete header.kid;
    return new SignJWT(payload).setProtectedHeader(header as JWTHeaderParameters).sign(o.key ?? rsa.privateKey);
  };

  /** An HS256 token whose HMAC secret is public key material: the RS256/HS256 confusion attack. */
  const hmacToken = (secret: string | Buffer, payload: object, kid?: string) => {
    const input = `${b64({ alg: 'HS256', typ: 'JWT', ...(kid ? { kid } : {}) })}.${b64(payload)}`;
    return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
  };

  const ask = async (authorization?: string): Promise<Answer> => {
    const res = await fetch(hub.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(authorization !== undefined ? { authorization } : {}) },
      body: JSON.stringify({ query: SESSION }),
    });
    return { status: res.status, headers: res.headers, body: (await res.json()) as Answer['body'] };
  };

  const withToken = (token: string) => ask(`Bearer ${token}`);

  /** Exactly one UNAUTHENTICATED error, HTTP 401, no data, and the same words whatever the reason. */
  const expectRefused = (answer: Answer, what: string) => {
    expect(answer.status, what).toBe(401);
    expect(answer.headers.get('www-authenticate'), what).toMatch(/^Bearer\b/);
    expect(answer.body, what).toEqual({
      errors: [{ message: 'The bearer token is invalid or expired.', extensions: { code: 'UNAUTHENTICATED' } }],
    });
  };

  const refuses = async (token: string, what: string) => expectRefused(await withToken(token), what);

  const accepts = async (token: string, what: string) => {
    const answer = await withToken(token);
    expect(answer.status, what).toBe(200);
    expect(answer.body.errors, what).toBeUndefined();
    return answer.body.data as { session: Record<string, unknown>; me: null | { id: string } };
  };

  beforeAll(async () => {
    rsa = await generateKeyPair('RS256', { extractable: true });
    pemIssuerKey = await generateKeyPair('RS256', { extractable: true });
    otherRsa = (await generateKeyPair('RS256')).privateKey;
    rsaPem = await exportSPKI(rsa.publicKey);
    pemIssuerPem = await exportSPKI(pemIssuerKey.publicKey);
    // No `alg` on the key, as many providers publish it: the pinned list alone must keep PS256 out.
    const jwk: JWK = { ...(await exportJWK(rsa.publicKey)), kid: KID, use: 'sig' };
    jwksServer = createServer((_req, res) => {
      jwksRequests++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    const jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/.well-known/jwks.json`;
    hub = await startTestHub({
      TRUSTED_ISSUERS: JSON.stringify([
        { issuer: ISSUER, audience: AUDIENCE, algorithms: ['RS256'], jwksUrl, registrationNumberClaim: 'orgnr', displayName: 'Test IdP' },
        { issuer: PEM_ISSUER, audience: [AUDIENCE, 'other-app'], algorithms: ['RS256'], publicKeyPem: pemIssuerPem },
      ]),
    });
  });

  afterAll(async () => {
    await hub?.close();
    await new Promise((resolve) => jwksServer?.close(resolve));
  });

  describe('a valid token', () => {
    it('of the JWKS issuer, for a subject without a user, is signed in but not registered', async () => {
      const data = await accepts(await sign(), 'valid');
      expect(data).toEqual({
        session: { authenticated: true, registered: false, issuer: ISSUER, registrationNumber: '202100-2114', assuranceLevel: 'HIGH' },
        me: null,
      });
      expect(jwksRequests, 'the key came from the JWKS endpoint').toBeGreaterThan(0);
    });

    it('of the PEM issuer, with one of its audiences and the default registration-number claims', async () => {
      const token = await sign(
        { registration_number: '29190061', acr: 'https://data.gov.dk/concept/core/nsis/loa/Substantial' },
        { key: pemIssuerKey.privateKey, iss: PEM_ISSUER, aud: ['other-app'], header: { kid: undefined } },
      );
      const data = await accepts(token, 'PEM issuer');
      expect(data.session).toEqual({ authenticated: true, registered: false, issuer: PEM_ISSUER, registrationNumber: '29190061', assuranceLevel: 'SUBSTANTIAL' });
    });

    it('reads the registration number only from the claim configured for its issuer', async () => {
      const data = await accepts(await sign({ orgnr: undefined, registration_number: '202100-5521' }), 'other claim');
      expect(data.session.registrationNumber).toBeNull();
    });

    it('signed with unusable text in its other claims: signed in, without those claims (never a server error)', async () => {
      const data = await accepts(await sign({ orgnr: '202100\u00002114', email: 'a\u0000@example.se', name: 'x'.repeat(500) }), 'NUL in claims');
      expect(data.session).toMatchObject({ authenticated: true, registered: false, registrationNumber: null });
    });

    it('expired by less than the 30 s clock skew, or valid from less than it ahead, is accepted', async () => {
      await accepts(await sign({}, { exp: now() - 10 }), 'expired 10 s ago');
      await accepts(await sign({}, { nbf: now() + 10 }), 'valid in 10 s');
    });

    it('without a token, the viewer is anonymous: no error, nobody signed in', async () => {
      const answer = await ask();
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({
        data: { session: { authenticated: false, registered: false, issuer: null, registrationNumber: null, assuranceLevel: null }, me: null },
      });
    });
  });

  describe('a token is refused with 401 UNAUTHENTICATED and no reason', () => {
    it('when expired beyond the clock skew', async () => {
      await refuses(await sign({}, { exp: now() - 45 }), 'expired 45 s ago');
      await refuses(await sign({}, { exp: now() - 24 * 3600 }), 'expired yesterday');
    });

    it('when not valid yet (nbf in the future beyond the skew)', async () => {
      await refuses(await sign({}, { nbf: now() + 600 }), 'nbf in 10 minutes');
    });

    it('when meant for another audience', async () => {
      await refuses(await sign({}, { aud: 'someone-else' }), 'other audience');
      await refuses(await sign({}, { aud: ['someone-else', 'another'] }), 'other audiences');
      await refuses(await sign({}, { omit: ['aud'] }), 'no audience');
    });

    it('when its issuer is not trusted, or it names none', async () => {
      await refuses(await sign({}, { iss: 'https://evil.example' }), 'untrusted issuer');
      await refuses(await sign({}, { iss: `${ISSUER}/` }), 'issuer with a trailing slash');
      await refuses(await sign({}, { omit: ['iss'] }), 'no issuer');
    });

    it('when unsigned (alg "none", crafted by hand)', async () => {
      const payload = { sub: 'someone-new', iss: ISSUER, aud: AUDIENCE, exp: now() + 600 };
      await refuses(`${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}.`, 'alg none');
      await refuses(`${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}`, 'alg none, two parts');
      await refuses(`${b64({ alg: 'NONE', kid: KID })}.${b64(payload)}.`, 'alg NONE');
      const [, , signature] = (await sign()).split('.');
      await refuses(`${b64({ alg: 'none', kid: KID })}.${b64(payload)}.${signature}`, 'alg none with a stolen signature');
    });

    it('when HS256 is signed with the RSA public key as the HMAC secret (algorithm confusion)', async () => {
      const jwks = { sub: 'someone-new', iss: ISSUER, aud: AUDIENCE, exp: now() + 600 };
      await refuses(hmacToken(rsaPem, jwks, KID), 'JWKS issuer, PEM as secret');
      await refuses(hmacToken(createPublicKey(rsaPem).export({ type: 'spki', format: 'der' }), jwks, KID), 'JWKS issuer, DER as secret');
      const pem = { sub: 'someone-new', iss: PEM_ISSUER, aud: AUDIENCE, exp: now() + 600 };
      await refuses(hmacToken(pemIssuerPem, pem), 'PEM issuer, its configured PEM as secret');
      await refuses(hmacToken(pemIssuerPem.trim(), pem), 'PEM issuer, trimmed PEM as secret');
    });

    it('when signed by a key the issuer does not publish', async () => {
      await refuses(await sign({}, { key: otherRsa }), 'another key, same kid');
      await refuses(await sign({}, { key: otherRsa, header: { kid: 'k2' } }), 'another key, another kid');
      await refuses(await sign({}, { key: otherRsa, header: { kid: undefined } }), 'another key, no kid');
      await refuses(await sign({}, { key: otherRsa, iss: PEM_ISSUER, header: { kid: undefined } }), 'another key, PEM issuer');
      const attacker = await generateKeyPair('RS256', { extractable: true });
      const embedded = { ...(await exportJWK(attacker.publicKey)), kid: KID };
      await refuses(await sign({}, { key: attacker.privateKey, header: { jwk: embedded } }), 'key embedded in the header');
    });

    it('when its algorithm is not one the issuer pinned, even with the right key', async () => {
      // A Node key object signs with any RSA algorithm; WebCrypto keys are bound to one.
      const key = createPrivateKey(await exportPKCS8(rsa.privateKey));
      await refuses(await sign({}, { key, alg: 'PS256' }), 'PS256 with the RSA key of an RS256 issuer');
      await refuses(await sign({}, { key, alg: 'RS512' }), 'RS512 with the RSA key of an RS256 issuer');
      const pemKey = createPrivateKey(await exportPKCS8(pemIssuerKey.privateKey));
      await refuses(await sign({}, { key: pemKey, alg: 'PS256', iss: PEM_ISSUER, header: { kid: undefined } }), 'PS256 for the PEM issuer');
    });

    it('when its payload or signature was changed after signing', async () => {
      const [header, payload, signature] = (await sign()).split('.');
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
      await refuses(`${header}.${b64({ ...claims, sub: demo.karin })}.${signature}`, 'other subject');
      await refuses(`${header}.${b64({ ...claims, exp: now() + 86_400 * 365 })}.${signature}`, 'longer life');
      const flipped = `${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BB' : 'AA'}`;
      await refuses(`${header}.${payload}.${flipped}`, 'changed signature');
      await refuses(`${header}.${payload}.`, 'signature removed');
    });

    it('when sub or exp is missing, or sub is not a non-empty string', async () => {
      await refuses(await sign({}, { omit: ['sub'] }), 'no sub');
      await refuses(await sign({}, { omit: ['exp'] }), 'no exp');
      await refuses(await sign({ sub: '' }), 'empty sub');
      await refuses(await sign({ sub: null }), 'null sub');
      await refuses(await sign({ sub: 42 }), 'numeric sub');
      await refuses(await sign({ sub: ['someone-new'] }), 'sub as an array');
      await refuses(await sign({ exp: String(now() + 600) }), 'exp as a string');
      await refuses(await sign({ sub: 'someone\u0000else' }), 'sub with a NUL');
      await refuses(await sign({ sub: 'lone \ud800' }), 'sub with a lone surrogate');
    });

    it('when it claims the development issuer but another EC key signed it', async () => {
      const devIssuer = hub.app.devIssuer!;
      const foreign = (await generateKeyPair('ES256')).privateKey;
      const forge = (header: Record<string, unknown>) =>
        new SignJWT({ sub: demo.karin, acr: 'high' })
          .setProtectedHeader({ alg: 'ES256', ...header })
          .setIssuer(devIssuer.issuer)
          .setAudience(devIssuer.audience)
          .setExpirationTime('10m')
          .sign(foreign);
      // The real dev token is accepted, so the forgeries fail for their key alone.
      expect((await hub.as<{ me: { id: string } | null }>(demo.karin, '{ me { id } }')).data?.me).not.toBeNull();
      await refuses(await forge({ kid: devIssuer.publicJwk.kid }), 'foreign key, the dev kid');
      await refuses(await forge({}), 'foreign key, no kid');
      await refuses(await sign({ sub: demo.karin }, { iss: devIssuer.issuer, aud: devIssuer.audience, header: { kid: undefined } }), 'RS256 for the ES256 dev issuer');
    });
  });

  describe('a malformed Authorization header is refused like a bad token', () => {
    it.each([
      ['another scheme', 'Basic dXNlcjpwYXNz'],
      ['the scheme alone', 'Bearer'],
      ['the scheme and a space', 'Bearer '],
      ['characters no token has', 'Bearer not a token!'],
      ['two tokens', 'Bearer a.b.c d.e.f'],
      ['an empty header', ''],
      ['a bare token without the scheme', 'eyJhbGciOiJSUzI1NiJ9.e30.c2ln'],
    ])('%s', async (_what, header) => {
      expectRefused(await ask(header), header);
    });

    it.each([
      ['garbage', 'garbage'],
      ['three parts of garbage', 'not.a.jwt'],
      ['a long run of one letter', 'x'.repeat(500)],
      ['a header that is not JSON', `${Buffer.from('{alg').toString('base64url')}.${b64({ sub: 'a' })}.sig`],
      ['a payload that is not an object', `${b64({ alg: 'RS256', kid: KID })}.${Buffer.from('"text"').toString('base64url')}.sig`],
      ['five parts (an encrypted token)', 'a.b.c.d.e'],
    ])('Bearer with %s', async (_what, token) => {
      expectRefused(await withToken(token), token);
    });
  });

  it('lists the trusted identity providers publicly, the development issuer among them outside production', async () => {
    const res = await hub.gql<{ identityProviders: { issuer: string; name: string }[] }>('{ identityProviders { issuer name } }');
    expect(res.data?.identityProviders).toEqual([
      { issuer: ISSUER, name: 'Test IdP' },
      { issuer: PEM_ISSUER, name: PEM_ISSUER },
      { issuer: hub.app.devIssuer!.issuer, name: 'Local development sign-in (npm run token)' },
    ]);
  });
});
