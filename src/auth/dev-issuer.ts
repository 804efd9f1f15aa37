import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
    let privateJwk = readKey(file);
    if (!privateJwk) {
      const { privateKey } = await generateKeyPair(ALG, { extractable: true });
      const created: JWK = { ...(await exportJWK(privateKey)), alg: ALG, kid: `dev-${Date.now().toString(36)}` };
      // Written aside and linked into place, so a concurrent reader never sees half a file; linking
      // fails if another process got there first, and then both use theirs.
      const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
      writeFileSync(temp, JSON.stringify(created), { flag: 'wx', mode: 0o600 });
      try {
        linkSync(temp, file);
        privateJwk = created;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        privateJwk = readKey(file);
      } finally {
        rmSync(temp, { force: true });
      }
      if (!privateJwk) throw new Error(`${file} could not be read`);
    }
    const { d: _private, ...publicJwk } = privateJwk;
    return new DevIssuer(issuer, audience, privateJwk, publicJwk);
  }

  get trustedIssuer(): TrustedIssuerConfig {
    return {
      issuer: this.issuer,
      audience: this.audience,
      algorithms: [ALG],
      jwk: this.publicJwk,
      registrationNumberClaim: 'registration_number',
      displayName: 'Local development sign-in (npm run token)',
    };
  }

  async sign(claims: { sub: string; acr?: string; registration_number?: string; email?: string; name?: string; client_id?: string }, ttlSeconds = 8 * 3600): Promise<string> {
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

/** The stored key, or null when there is none yet; a file that is not an ES256 private JWK stops the start. */
function readKey(file: string): JWK | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  let jwk: JWK;
  try {
    jwk = JSON.parse(text) as JWK;
  } catch {
    throw new Error(`${file} is not a JSON Web Key: delete it to make a new development key`);
  }
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || typeof jwk.d !== 'string') {
    throw new Error(`${file} is not an ES256 private key: delete it to make a new development key`);
  }
  return jwk;
}
