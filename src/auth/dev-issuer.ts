import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import type { TrustedIssuerConfig } from '../config.js';

const ALG = 'ES256';
const KEY_FILE = 'dev-issuer-key.json';

/**
 * The local development identity provider: an ES256 key kept in the data directory, so tokens
 * printed by `npm run token` stay valid across restarts. Never on in production unless configured.
 */
export class DevIssuer {
  private constructor(
    readonly issuer: string,
    readonly audience: string,
    private readonly privateJwk: JWK,
    readonly publicJwk: JWK,
  ) {}

  static async loadOrCreate(dataDir: string, issuer: string, audience: string): Promise<DevIssuer> {
    mkdirSync(dataDir, { recursive: true });
    const file = join(dataDir, KEY_FILE);
    let privateJwk: JWK;
    try {
      privateJwk = JSON.parse(readFileSync(file, 'utf8')) as JWK;
    } catch {
      const { privateKey } = await generateKeyPair(ALG, { extractable: true });
      privateJwk = { ...(await exportJWK(privateKey)), alg: ALG, kid: `dev-${Date.now().toString(36)}` };
      try {
        writeFileSync(file, JSON.stringify(privateJwk), { flag: 'wx', mode: 0o600 });
      } catch {
        // Another process created it first: use theirs, so both agree on the key.
        privateJwk = JSON.parse(readFileSync(file, 'utf8')) as JWK;
      }
    }
    const { d: _private, ...publicJwk } = privateJwk;
    return new DevIssuer(issuer, audience, privateJwk, publicJwk);
  }

  get trustedIssuer(): TrustedIssuerConfig {
    return {
      issuer: this.issuer,
      audience: this.audience,
      algorithms: [ALG],
      jwk: this.publicJwk as Record<string, unknown>,
      registrationNumberClaim: 'registration_number',
      displayName: 'Local development sign-in (npm run token)',
    };
  }

  async sign(claims: { sub: string; acr?: string; registration_number?: string; email?: string; name?: string }, ttlSeconds = 8 * 3600): Promise<string> {
    const key = await importJWK(this.privateJwk, ALG);
    return new SignJWT(claims)
      .setProtectedHeader({ alg: ALG, kid: this.privateJwk.kid, typ: 'JWT' })
      .setIssuer(this.issuer)
      .setAudience(this.audience)
      .setIssuedAt()
      .setExpirationTime(`${ttlSeconds}s`)
      .sign(key);
  }
}
