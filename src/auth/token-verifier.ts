import { createPublicKey } from 'node:crypto';
import {
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  errors as joseErrors,
  jwtVerify,
  type JWK,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import type { Logger } from 'pino';
import type { TrustedIssuerConfig } from '../config.js';
import { AssuranceLevel, assuranceLevelOf } from './assurance.js';
import { TokenRejected } from './auth.errors.js';
import { defaultJwksOptions, RemoteJwks, type JwksOptions } from './remote-jwks.js';

/** What a verified token says about the person: the facts authorization may use. */
export interface VerifiedIdentity {
  issuer: string;
  subject: string;
  registrationNumber: string | null;
  assuranceLevel: AssuranceLevel;
  email: string | null;
  name: string | null;
  /** The OAuth client the token was issued to (`client_id`, else `azp`, else Okta's `cid`): how a machine client is known. */
  clientId: string | null;
  expiresAt: Date;
}

interface IssuerEntry {
  config: TrustedIssuerConfig;
  key: JWTVerifyGetKey;
}

export interface TokenVerifierOptions {
  /** Where failed JWKS fetches are reported (one warning per fetch). */
  log?: Logger;
  /** How JWKS issuers' keys are fetched and kept; the defaults suit production. */
  jwks?: Partial<JwksOptions>;
}

const REGISTRATION_NUMBER_CLAIMS = ['registration_number', 'orgnr', 'https://data.gov.dk/model/core/eid/professional/cvr'];

/** Verified tokens kept at most (the oldest go first), and for at most this long. */
const VERIFIED_MAX_ENTRIES = 5_000;
const VERIFIED_MAX_AGE_MS = 60_000;

/** Verifies bearer JWTs against the configured trusted issuers with pinned algorithms. */
export class TokenVerifier {
  private readonly issuers = new Map<string, IssuerEntry>();
  /**
   * Tokens already verified, by their exact text (signature included, so no other token can match),
   * until they expire as jose would judge it, and for a minute at most (a key withdrawn from an
   * issuer's JWKS stops being trusted within that). A client sends the same token with every
   * request; checking its signature again cost a twentieth of a staff page's CPU.
   */
  private readonly verified = new Map<string, { identity: VerifiedIdentity; until: number }>();

  constructor(
    issuers: TrustedIssuerConfig[],
    private readonly clockToleranceSeconds: number,
    options: TokenVerifierOptions = {},
  ) {
    for (const config of issuers) {
      // Looked up by the token's `iss`: a second entry would silently replace the first.
      if (this.issuers.has(config.issuer)) throw new Error(`trusted issuer ${config.issuer} is configured twice`);
      this.issuers.set(config.issuer, { config, key: keyFor(config, options) });
    }
  }

  get trustedIssuers(): TrustedIssuerConfig[] {
    return [...this.issuers.values()].map((e) => e.config);
  }

  /** Throws TokenRejected for a bad token, IdentityProviderUnavailable when its issuer's keys cannot be had. */
  async verify(token: string): Promise<VerifiedIdentity> {
    const now = Date.now();
    const hit = this.verified.get(token);
    if (hit && hit.until > now) return hit.identity;
    if (hit) this.verified.delete(token);
    const identity = await this.verifyNow(token);
    if (this.verified.size >= VERIFIED_MAX_ENTRIES) this.verified.delete(this.verified.keys().next().value!);
    const until = Math.min(identity.expiresAt.getTime() + this.clockToleranceSeconds * 1000, now + VERIFIED_MAX_AGE_MS);
    this.verified.set(token, { identity, until });
    return identity;
  }

  private async verifyNow(token: string): Promise<VerifiedIdentity> {
    let unverifiedIssuer: string | undefined;
    let alg: string | undefined;
    try {
      alg = decodeProtectedHeader(token).alg;
      unverifiedIssuer = decodeJwt(token).iss;
    } catch {
      throw new TokenRejected('malformed token');
    }
    const entry = unverifiedIssuer ? this.issuers.get(unverifiedIssuer) : undefined;
    if (!entry) throw new TokenRejected('untrusted issuer');
    if (!alg || !entry.config.algorithms.includes(alg)) throw new TokenRejected(`algorithm ${alg} not allowed`);
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, entry.key, {
        issuer: entry.config.issuer,
        audience: entry.config.audience,
        algorithms: entry.config.algorithms,
        clockTolerance: this.clockToleranceSeconds,
        requiredClaims: ['sub', 'exp'],
      }));
    } catch (error) {
      if (error instanceof joseErrors.JOSEError) throw new TokenRejected(error.code);
      throw error;
    }
    // jose only checks that `sub` is present: null, "" or an array would become a subject by String().
    if (typeof payload.sub !== 'string' || payload.sub.length === 0 || payload.sub.length > 255) {
      throw new TokenRejected('sub is not a non-empty string');
    }
    return identityFrom(payload, entry.config);
  }
}

/** Control characters and lone surrogates: no identity provider means them, and PostgreSQL refuses NUL. */
const UNUSABLE_TEXT = /[\0-\x1F\x7F-\x9F]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** A string claim the hub may store and compare: null when absent, empty, too long or unusable. */
function textClaim(value: unknown, max: number): string | null {
  return typeof value === 'string' && value.length > 0 && value.length <= max && !UNUSABLE_TEXT.test(value) ? value : null;
}

function identityFrom(payload: JWTPayload, config: TrustedIssuerConfig): VerifiedIdentity {
  const claims = payload as Record<string, unknown>;
  // The subject keys the person's identity: a signed but unusable one is a refusal, not a guess.
  if (UNUSABLE_TEXT.test(payload.sub as string)) throw new TokenRejected('sub holds control characters');
  const regClaims = config.registrationNumberClaim ? [config.registrationNumberClaim] : REGISTRATION_NUMBER_CLAIMS;
  const registration = regClaims.map((c) => textClaim(claims[c], 64)).find((v) => v !== null);
  return {
    issuer: config.issuer,
    subject: payload.sub as string,
    registrationNumber: registration ?? null,
    assuranceLevel: assuranceLevelOf(claims[config.assuranceLevelClaim ?? 'acr']),
    email: textClaim(claims.email, 254),
    name: textClaim(claims.name, 200),
    clientId: textClaim(claims.client_id, 255) ?? textClaim(claims.azp, 255) ?? textClaim(claims.cid, 255),
    expiresAt: new Date(Number(payload.exp) * 1000),
  };
}

/**
 * The key source of an issuer, always as a key lookup. PEM and kid-less JWK keys are parsed once as
 * Node key objects, which jose accepts for every pinned algorithm the key type allows (config.ts
 * already checked that the key fits every pinned algorithm).
 */
function keyFor(config: TrustedIssuerConfig, options: TokenVerifierOptions): JWTVerifyGetKey {
  if (config.jwksUrl) {
    const jwks = new RemoteJwks({ ...config, jwksUrl: config.jwksUrl }, { ...defaultJwksOptions, ...options.jwks }, options.log);
    return jwks.getKey;
  }
  if (config.publicKeyPem) {
    // createPublicKey would quietly derive the public half of a private key.
    if (/PRIVATE KEY/.test(config.publicKeyPem)) throw new Error(`trusted issuer ${config.issuer}: only public keys may be configured`);
    const key = createPublicKey(config.publicKeyPem);
    return () => key;
  }
  const jwk = config.jwk as JWK;
  if ('d' in jwk || jwk.kty === 'oct') throw new Error(`trusted issuer ${config.issuer}: only public keys may be configured`);
  if (jwk.kid) return createLocalJWKSet({ keys: [jwk] });
  const key = createPublicKey({ key: jwk, format: 'jwk' });
  return () => key;
}
