import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, type TrustedIssuerConfig } from '../src/config.js';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const weakRsa = generateKeyPairSync('rsa', { modulusLength: 1024 });

const pem = (key: KeyObject) => key.export({ type: key.type === 'private' ? 'pkcs8' : 'spki', format: 'pem' }).toString();
const jwk = (key: KeyObject) => key.export({ format: 'jwk' }) as Record<string, unknown>;

const jwksIssuer = { issuer: 'https://idp.example.se', audience: 'identity-hub', algorithms: ['RS256'], jwksUrl: 'https://idp.example.se/jwks' };
const pemIssuer = { issuer: 'https://pem.example.se', audience: 'identity-hub', algorithms: ['RS256', 'PS256'], publicKeyPem: pem(rsa.publicKey) };
const jwkIssuer = { issuer: 'https://jwk.example.dk', audience: ['identity-hub', 'portal'], algorithms: ['ES256'], jwk: jwk(ec.publicKey) };

const issuers = (...entries: unknown[]) => ({ TRUSTED_ISSUERS: JSON.stringify(entries) });

/** loadConfig must throw a ConfigError whose message matches. */
const refuses = (env: Record<string, string>, message: RegExp) => {
  let error: unknown;
  try {
    loadConfig(env);
  } catch (e) {
    error = e;
  }
  expect(error, JSON.stringify(env).slice(0, 200)).toBeInstanceOf(ConfigError);
  expect((error as ConfigError).message).toMatch(message);
};

describe('loadConfig', () => {
  describe('numbers and switches', () => {
    it.each(['eighty', '70000', '-1', '80.5', '0x50', '1e3', ' ', '4000abc'])('should refuse PORT=%j', (port) => {
      refuses({ PORT: port }, /^PORT must be an integer between 0 and 65535, got/);
    });

    it('should take a port in range, and 0 for any free port', () => {
      expect(loadConfig({ PORT: '8080' }).port).toBe(8080);
      expect(loadConfig({ PORT: '0' }).port).toBe(0);
      expect(loadConfig({}).port).toBe(4000);
    });

    it.each([
      ['GRAPHQL_INTROSPECTION', 'maybe'],
      ['GRAPHQL_LANDING_PAGE', '2'],
      ['DEV_ISSUER', 'yes please'],
      ['SEED_DEMO', 'y'],
      ['EXPOSE_SQL_COUNT', 'enabled'],
      ['JOBS', 'null'],
    ])('should refuse %s=%j', (name, value) => {
      refuses({ [name]: value }, new RegExp(`^${name} must be true or false, got "${value}"`));
    });

    it('should read the usual spellings of true and false', () => {
      for (const value of ['1', 'true', 'TRUE', 'yes', 'on']) expect(loadConfig({ DEV_ISSUER: value, NODE_ENV: 'production' }).devIssuer, value).toBe(true);
      for (const value of ['0', 'false', 'False', 'no', 'off']) expect(loadConfig({ DEV_ISSUER: value }).devIssuer, value).toBe(false);
    });

    it('should refuse a clock skew beyond five minutes', () => {
      refuses({ CLOCK_SKEW_SECONDS: '301' }, /^CLOCK_SKEW_SECONDS must be an integer between 0 and 300/);
      expect(loadConfig({}).clockSkewSeconds).toBe(30);
    });
  });

  describe('TRUSTED_ISSUERS', () => {
    it('should accept one issuer of each key source', () => {
      const config = loadConfig(issuers(jwksIssuer, pemIssuer, jwkIssuer));
      expect(config.trustedIssuers.map((i: TrustedIssuerConfig) => i.issuer)).toEqual([jwksIssuer.issuer, pemIssuer.issuer, jwkIssuer.issuer]);
      expect(loadConfig({}).trustedIssuers).toEqual([]);
    });

    it('should accept http JWKS URLs on localhost only', () => {
      expect(() => loadConfig(issuers({ ...jwksIssuer, jwksUrl: 'http://127.0.0.1:8080/jwks' }))).not.toThrow();
      expect(() => loadConfig(issuers({ ...jwksIssuer, jwksUrl: 'http://localhost/jwks' }))).not.toThrow();
      refuses(issuers({ ...jwksIssuer, jwksUrl: 'http://idp.example.se/jwks' }), /jwksUrl must be an https URL/);
    });

    it.each([
      ['not JSON', { TRUSTED_ISSUERS: '{' }, /^TRUSTED_ISSUERS must be a JSON array$/],
      ['an object, not an array', { TRUSTED_ISSUERS: JSON.stringify(jwksIssuer) }, /^TRUSTED_ISSUERS must be a JSON array$/],
      ['an entry that is not an object', issuers(null), /^TRUSTED_ISSUERS\[0\] must be an object$/],
      ['an entry that is a string', issuers(jwksIssuer, 'https://idp'), /^TRUSTED_ISSUERS\[1\] must be an object$/],
      ['a missing issuer', issuers({ ...jwksIssuer, issuer: undefined }), /^TRUSTED_ISSUERS\[0\]\.issuer is required$/],
      ['an empty issuer', issuers({ ...jwksIssuer, issuer: '' }), /^TRUSTED_ISSUERS\[0\]\.issuer is required$/],
      ['an issuer that is not a string', issuers({ ...jwksIssuer, issuer: 7 }), /^TRUSTED_ISSUERS\[0\]\.issuer is required$/],
      ['a missing audience', issuers({ ...jwksIssuer, audience: undefined }), /\.audience is required/],
      ['an empty audience list', issuers({ ...jwksIssuer, audience: [] }), /\.audience is required/],
      ['an audience that is a number', issuers({ ...jwksIssuer, audience: 5 }), /\.audience is required/],
      ['no algorithms', issuers({ ...jwksIssuer, algorithms: [] }), /\.algorithms must pin at least one algorithm$/],
      ['algorithms as a string', issuers({ ...jwksIssuer, algorithms: 'RS256' }), /\.algorithms must pin at least one algorithm$/],
      ['HS256', issuers({ ...jwksIssuer, algorithms: ['HS256'] }), /\.algorithms may only name asymmetric algorithms .*"HS256"/],
      ['HS512 next to RS256', issuers({ ...jwksIssuer, algorithms: ['RS256', 'HS512'] }), /asymmetric algorithms .*"HS512"/],
      ['none', issuers({ ...jwksIssuer, algorithms: ['none'] }), /asymmetric algorithms .*"none"/],
      ['None', issuers({ ...jwksIssuer, algorithms: ['None'] }), /asymmetric algorithms .*"None"/],
      ['a misspelt algorithm', issuers({ ...jwksIssuer, algorithms: ['rs256'] }), /asymmetric algorithms .*"rs256"/],
      ['an algorithm that is not a string', issuers({ ...jwksIssuer, algorithms: [256] }), /asymmetric algorithms .*256/],
      ['no key source', issuers({ ...jwksIssuer, jwksUrl: undefined }), /needs exactly one of jwksUrl, publicKeyPem, jwk$/],
      ['two key sources', issuers({ ...jwksIssuer, publicKeyPem: pem(rsa.publicKey) }), /needs exactly one of jwksUrl, publicKeyPem, jwk$/],
      ['three key sources', issuers({ ...pemIssuer, jwksUrl: jwksIssuer.jwksUrl, jwk: jwk(rsa.publicKey) }), /needs exactly one of/],
      ['a JWKS URL that is no URL', issuers({ ...jwksIssuer, jwksUrl: 'idp.example.se/jwks' }), /jwksUrl must be a URL/],
      ['an empty JWKS URL', issuers({ ...jwksIssuer, jwksUrl: '' }), /jwksUrl must be a URL/],
      ['a JWKS URL on ftp', issuers({ ...jwksIssuer, jwksUrl: 'ftp://idp.example.se/jwks' }), /jwksUrl must be an https URL/],
      ['a private key as PEM', issuers({ ...pemIssuer, publicKeyPem: pem(rsa.privateKey) }), /publicKeyPem must be a PEM public key \(never a private key\)/],
      ['a PEM that is no key', issuers({ ...pemIssuer, publicKeyPem: '-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----' }), /publicKeyPem is not a readable PEM public key/],
      ['a private JWK', issuers({ ...jwkIssuer, jwk: jwk(ec.privateKey) }), /jwk must be a public JWK object/],
      ['a symmetric JWK', issuers({ ...jwkIssuer, jwk: { kty: 'oct', k: 'c2VjcmV0' } }), /jwk must be a public JWK object/],
      ['a JWK that is a string', issuers({ ...jwkIssuer, jwk: 'key' }), /jwk must be a public JWK object/],
      ['a broken JWK', issuers({ ...jwkIssuer, jwk: { kty: 'EC', crv: 'P-256', x: 'AA' } }), /jwk is not a usable public JWK/],
      ['an RSA key pinned to ES256', issuers({ ...pemIssuer, algorithms: ['ES256'] }), /its rsa key cannot verify ES256/],
      ['a P-256 key pinned to ES384', issuers({ ...jwkIssuer, algorithms: ['ES384'] }), /its ec key cannot verify ES384/],
      ['an EC key pinned to RS256', issuers({ ...jwkIssuer, algorithms: ['RS256'] }), /its ec key cannot verify RS256/],
      ['an RSA key under 2048 bits', issuers({ ...pemIssuer, publicKeyPem: pem(weakRsa.publicKey) }), /1024 bits, at least 2048/],
      ['a misspelt field', issuers({ ...jwksIssuer, registrationNumberclaim: 'orgnr' }), /unknown field\(s\): registrationNumberclaim/],
      ['an empty claim name', issuers({ ...jwksIssuer, registrationNumberClaim: '' }), /registrationNumberClaim must be a non-empty string/],
      ['the same issuer twice', issuers(jwksIssuer, { ...pemIssuer, issuer: jwksIssuer.issuer }), /names issuer "https:\/\/idp\.example\.se" twice/],
    ])('should refuse %s', (_what, env, message) => {
      refuses(env, message);
    });

    it('should refuse a development issuer URL that is also a trusted issuer, unless the development issuer is off', () => {
      const env = { ...issuers(jwksIssuer), DEV_ISSUER_URL: jwksIssuer.issuer };
      refuses(env, /^DEV_ISSUER_URL "https:\/\/idp\.example\.se" is also a trusted issuer/);
      expect(loadConfig({ ...env, DEV_ISSUER: 'false' }).trustedIssuers).toHaveLength(1);
    });
  });

  describe('production', () => {
    it('should turn off introspection, the landing page, the development issuer and the SQL counter', () => {
      const prod = loadConfig({ NODE_ENV: 'production' });
      expect(prod).toMatchObject({ production: true, introspection: false, landingPage: false, devIssuer: false, exposeSqlCount: false });
    });

    it.each(['Production', 'PRODUCTION', ' production '])('should read NODE_ENV=%j as production', (nodeEnv) => {
      expect(loadConfig({ NODE_ENV: nodeEnv })).toMatchObject({ nodeEnv: 'production', production: true, devIssuer: false });
    });

    it('should keep them on outside production', () => {
      for (const nodeEnv of [undefined, 'development', 'test']) {
        const config = loadConfig(nodeEnv ? { NODE_ENV: nodeEnv } : {});
        expect(config, String(nodeEnv)).toMatchObject({ production: false, introspection: true, landingPage: true, devIssuer: true, exposeSqlCount: true });
      }
    });

    it('should turn the development issuer on in production only when DEV_ISSUER=true', () => {
      expect(loadConfig({ NODE_ENV: 'production', DEV_ISSUER: 'true' }).devIssuer).toBe(true);
      expect(loadConfig({ NODE_ENV: 'production', DEV_ISSUER: '' }).devIssuer).toBe(false);
      expect(loadConfig({ NODE_ENV: 'development', DEV_ISSUER: 'false' }).devIssuer).toBe(false);
    });

    it('should let explicit settings win over the production defaults', () => {
      const prod = loadConfig({ NODE_ENV: 'production', GRAPHQL_INTROSPECTION: 'true', GRAPHQL_LANDING_PAGE: 'on' });
      expect([prod.introspection, prod.landingPage]).toEqual([true, true]);
    });
  });

  it('should fall back to the default issuer URL and audience when they are set empty', () => {
    expect(loadConfig({ DEV_ISSUER_URL: '', TOKEN_AUDIENCE: '' })).toMatchObject({ devIssuerUrl: 'https://dev-issuer.hub.local', tokenAudience: 'identity-hub' });
  });
});
