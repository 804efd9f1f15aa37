import { createPublicKey, type KeyObject } from 'node:crypto';
import { resolve } from 'node:path';

/** How a trusted token issuer is verified. Exactly one of jwksUrl, publicKeyPem or jwk is set. */
export interface TrustedIssuerConfig {
  /** `iss` claim the tokens must carry. */
  issuer: string;
  /** Accepted `aud` values. */
  audience: string | string[];
  /** Pinned algorithms, e.g. ["RS256"] or ["ES256"]; never "none" and never HS* for a public key. */
  algorithms: string[];
  jwksUrl?: string;
  publicKeyPem?: string;
  jwk?: Record<string, unknown>;
  /** Claim carrying the employer's registration number (SE organisationsnummer, DK CVR). */
  registrationNumberClaim?: string;
  /** Claim carrying the assurance level; defaults to `acr`. */
  assuranceLevelClaim?: string;
  /** Human-readable name shown to clients choosing how to sign in. */
  displayName?: string;
  /**
   * The console's OAuth client id at this issuer: set, the console offers sign-in with it (authorization
   * code + PKCE at the endpoints of the issuer's discovery document).
   */
  consoleClientId?: string;
}

export interface Config {
  nodeEnv: string;
  production: boolean;
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | undefined;
  logLevel: string;
  introspection: boolean;
  /** Apollo's federated trace (ftv1) in answers to a gateway that asks for it. */
  federationInlineTrace: boolean;
  landingPage: boolean;
  trustedIssuers: TrustedIssuerConfig[];
  devIssuer: boolean;
  devIssuerUrl: string;
  tokenAudience: string;
  clockSkewSeconds: number;
  seedDemo: boolean;
  exposeSqlCount: boolean;
  uploadMaxFileSize: number;
  uploadMaxFiles: number;
  /** Upload bytes all requests together may have on their way in or waiting in temporary storage. */
  uploadMaxInflightBytes: number;
  shutdownTimeoutMs: number;
  maxPageSize: number;
  /** smtp:// or smtps:// URL; unset: mail goes to files under DATA_DIR/mail. */
  smtpUrl: string | undefined;
  mailFrom: string;
  outboxPollMs: number;
  grantExpiryIntervalMs: number;
  /** How often the report summaries fold their pending changes and take missing monthly snapshots. */
  summaryIntervalMs: number;
  /** Background jobs (outbox worker, grant expiry, report summaries); off only for tools that drive them by hand. */
  jobs: boolean;
  /** Days events are kept for the feed and webhooks; a job prunes older ones. */
  eventRetentionDays: number;
  webhookPollMs: number;
  webhookTimeoutMs: number;
  /** Webhook URLs may point at loopback and private addresses (tests, local development); never in production by default. */
  webhookAllowPrivateUrls: boolean;
  /** Longest a single SQL statement may run (PostgreSQL), so one slow query cannot starve the pool. */
  statementTimeoutMs: number;
  /** PostgreSQL: list reads as named prepared statements whose plans the server keeps; off behind a pooler in transaction mode. */
  preparedStatements: boolean;
  /** Executions of a query document by graphql-js before it is compiled (graphql-jit); 0: never compiled. */
  graphqlCompileAfter: number;
  /** Longest a signed-in person's roles and scopes are reused between requests (0: load them on every request). */
  viewerCacheMs: number;
  /** Requests per minute per signed-in identity (0: unlimited). */
  rateLimitPerMinute: number;
  /** Requests per minute per client address without a valid token (0: unlimited). */
  rateLimitAnonymousPerMinute: number;
  /** redis:// URL shared by every instance for the rate limits; unset: each process counts alone. */
  rateLimitRedisUrl: string | undefined;
  /** Reverse proxies in front of the hub whose X-Forwarded-For entries are believed. */
  trustProxyHops: number;
  /** List items one GraphQL answer may hold, counted while it executes. */
  responseMaxItems: number;
  /** Bytes one GraphQL answer may put on the wire. */
  responseMaxBytes: number;
}

export class ConfigError extends Error {}

function bool(name: string, value: string | undefined, fallback: boolean): boolean {
  if (value === undefined || value === '') return fallback;
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  throw new ConfigError(`${name} must be true or false, got "${value}"`);
}

function int(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined || value === '') return fallback;
  // Digits only: Number() would also take " ", "0x50" and "1e3".
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name} must be an integer between ${min} and ${max}, got "${value}"`);
  }
  return n;
}

/** JWS algorithms a trusted issuer may pin, with the kind of public key each needs. */
const SIGNING_ALGORITHMS: Record<string, { keyTypes: string[]; curve?: string }> = {
  RS256: { keyTypes: ['rsa'] },
  RS384: { keyTypes: ['rsa'] },
  RS512: { keyTypes: ['rsa'] },
  PS256: { keyTypes: ['rsa', 'rsa-pss'] },
  PS384: { keyTypes: ['rsa', 'rsa-pss'] },
  PS512: { keyTypes: ['rsa', 'rsa-pss'] },
  ES256: { keyTypes: ['ec'], curve: 'prime256v1' },
  ES384: { keyTypes: ['ec'], curve: 'secp384r1' },
  ES512: { keyTypes: ['ec'], curve: 'secp521r1' },
  EdDSA: { keyTypes: ['ed25519'] },
  Ed25519: { keyTypes: ['ed25519'] },
};

const ISSUER_FIELDS = new Set([
  'issuer',
  'consoleClientId',
  'audience',
  'algorithms',
  'jwksUrl',
  'publicKeyPem',
  'jwk',
  'registrationNumberClaim',
  'assuranceLevelClaim',
  'displayName',
]);

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

const nonEmptyString = (v: unknown): v is string => typeof v === 'string' && v.trim().length > 0;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses the configured public key now, so a bad key stops the start instead of failing every sign-in. */
function publicKeyOf(where: string, entry: Partial<TrustedIssuerConfig>): KeyObject | null {
  if (entry.jwksUrl !== undefined) {
    let url: URL;
    try {
      url = new URL(entry.jwksUrl);
    } catch {
      throw new ConfigError(`${where}.jwksUrl must be a URL, got "${entry.jwksUrl}"`);
    }
    // Keys fetched over plain HTTP could be swapped by anyone on the path.
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname))) {
      throw new ConfigError(`${where}.jwksUrl must be an https URL (http only on localhost)`);
    }
    return null;
  }
  if (entry.publicKeyPem !== undefined) {
    if (typeof entry.publicKeyPem !== 'string' || /PRIVATE KEY/.test(entry.publicKeyPem)) {
      throw new ConfigError(`${where}.publicKeyPem must be a PEM public key (never a private key)`);
    }
    try {
      return createPublicKey(entry.publicKeyPem);
    } catch {
      throw new ConfigError(`${where}.publicKeyPem is not a readable PEM public key`);
    }
  }
  const jwk = entry.jwk;
  if (!isObject(jwk) || 'd' in jwk || jwk.kty === 'oct') {
    throw new ConfigError(`${where}.jwk must be a public JWK object (no private or symmetric keys)`);
  }
  try {
    return createPublicKey({ key: jwk, format: 'jwk' });
  } catch {
    throw new ConfigError(`${where}.jwk is not a usable public JWK`);
  }
}

function trustedIssuer(raw: unknown, where: string): TrustedIssuerConfig {
  if (!isObject(raw)) throw new ConfigError(`${where} must be an object`);
  const unknownFields = Object.keys(raw).filter((k) => !ISSUER_FIELDS.has(k));
  if (unknownFields.length) throw new ConfigError(`${where} has unknown field(s): ${unknownFields.join(', ')}`);
  const entry = raw as Partial<TrustedIssuerConfig>;
  if (!nonEmptyString(entry.issuer)) throw new ConfigError(`${where}.issuer is required`);
  const audience = entry.audience;
  if (!(nonEmptyString(audience) || (Array.isArray(audience) && audience.length > 0 && audience.every(nonEmptyString)))) {
    throw new ConfigError(`${where}.audience is required: a string or a non-empty array of strings`);
  }
  if (!Array.isArray(entry.algorithms) || entry.algorithms.length === 0) {
    throw new ConfigError(`${where}.algorithms must pin at least one algorithm`);
  }
  const refused = entry.algorithms.filter((a) => typeof a !== 'string' || !Object.hasOwn(SIGNING_ALGORITHMS, a));
  if (refused.length) {
    throw new ConfigError(
      `${where}.algorithms may only name asymmetric algorithms (${Object.keys(SIGNING_ALGORITHMS).join(', ')}), got ${JSON.stringify(refused)}`,
    );
  }
  const keySources = [entry.jwksUrl, entry.publicKeyPem, entry.jwk].filter((v) => v !== undefined).length;
  if (keySources !== 1) throw new ConfigError(`${where} needs exactly one of jwksUrl, publicKeyPem, jwk`);
  const key = publicKeyOf(where, entry);
  if (key) {
    for (const alg of entry.algorithms) {
      const needs = SIGNING_ALGORITHMS[alg];
      const fits = needs.keyTypes.includes(key.asymmetricKeyType ?? '') && (!needs.curve || key.asymmetricKeyDetails?.namedCurve === needs.curve);
      if (!fits) throw new ConfigError(`${where}: its ${key.asymmetricKeyType} key cannot verify ${alg}`);
    }
    const bits = key.asymmetricKeyDetails?.modulusLength;
    if (bits !== undefined && bits < 2048) throw new ConfigError(`${where}: its RSA key has ${bits} bits, at least 2048 are needed`);
  }
  for (const field of ['registrationNumberClaim', 'assuranceLevelClaim', 'displayName', 'consoleClientId'] as const) {
    if (entry[field] !== undefined && !nonEmptyString(entry[field])) throw new ConfigError(`${where}.${field} must be a non-empty string`);
  }
  return entry as TrustedIssuerConfig;
}

function trustedIssuers(value: string | undefined): TrustedIssuerConfig[] {
  if (!value) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new ConfigError('TRUSTED_ISSUERS must be a JSON array');
  }
  if (!Array.isArray(parsed)) throw new ConfigError('TRUSTED_ISSUERS must be a JSON array');
  const issuers = parsed.map((raw, i) => trustedIssuer(raw, `TRUSTED_ISSUERS[${i}]`));
  const seen = new Set<string>();
  for (const { issuer } of issuers) {
    if (seen.has(issuer)) throw new ConfigError(`TRUSTED_ISSUERS names issuer "${issuer}" twice`);
    seen.add(issuer);
  }
  return issuers;
}

function redisUrl(value: string | undefined): string | undefined {
  if (!value) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`RATE_LIMIT_REDIS_URL must be a redis:// or rediss:// URL, got "${value}"`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new ConfigError(`RATE_LIMIT_REDIS_URL must be a redis:// or rediss:// URL, got "${value}"`);
  return value;
}

/** Room in a multipart body besides its files: `operations` and `map` (1 MiB each), and each part's headers. */
export const UPLOAD_FIELD_LIMIT = 1024 * 1024;
const UPLOAD_PART_HEADERS = 16 * 1024;

/** The largest multipart body that can carry the allowed files: anything larger is refused before it is read. */
export function uploadRequestLimit(config: Pick<Config, 'uploadMaxFiles' | 'uploadMaxFileSize'>): number {
  return config.uploadMaxFiles * config.uploadMaxFileSize + 2 * UPLOAD_FIELD_LIMIT + (config.uploadMaxFiles + 2) * UPLOAD_PART_HEADERS;
}

/** Every environment variable the hub reads, parsed and validated once. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // "Production" or " production" must not leave the development issuer on.
  const nodeEnv = (env.NODE_ENV ?? '').trim().toLowerCase() || 'development';
  const production = nodeEnv === 'production';
  const port = int('PORT', env.PORT, 4000, 0, 65535);
  const host = env.HOST ?? '0.0.0.0';
  const issuers = trustedIssuers(env.TRUSTED_ISSUERS);
  const devIssuer = bool('DEV_ISSUER', env.DEV_ISSUER, !production);
  const devIssuerUrl = env.DEV_ISSUER_URL || 'https://dev-issuer.hub.local';
  // Issuers are looked up by `iss`: a development issuer with a real issuer's URL would replace it.
  if (devIssuer && issuers.some((i) => i.issuer === devIssuerUrl)) {
    throw new ConfigError(`DEV_ISSUER_URL "${devIssuerUrl}" is also a trusted issuer: give the development issuer another URL`);
  }
  const uploadMaxFileSize = int('UPLOAD_MAX_FILE_SIZE', env.UPLOAD_MAX_FILE_SIZE, 10 * 1024 * 1024, 1, 1024 * 1024 * 1024);
  const uploadMaxFiles = int('UPLOAD_MAX_FILES', env.UPLOAD_MAX_FILES, 5, 1, 100);
  const uploadMaxInflightBytes = int('UPLOAD_MAX_INFLIGHT_BYTES', env.UPLOAD_MAX_INFLIGHT_BYTES, 64 * 1024 * 1024, 1, 64 * 1024 * 1024 * 1024);
  // Below one full request, the largest allowed upload could never be taken.
  const fullRequest = uploadRequestLimit({ uploadMaxFiles, uploadMaxFileSize });
  if (uploadMaxInflightBytes < fullRequest) {
    throw new ConfigError(
      `UPLOAD_MAX_INFLIGHT_BYTES must hold at least one full upload request (UPLOAD_MAX_FILES × UPLOAD_MAX_FILE_SIZE and its form fields: ${fullRequest}), got ${uploadMaxInflightBytes}`,
    );
  }
  return {
    nodeEnv,
    production,
    port,
    host,
    dataDir: resolve(env.DATA_DIR ?? 'data'),
    databaseUrl: env.DATABASE_URL || undefined,
    logLevel: env.LOG_LEVEL ?? (nodeEnv === 'test' ? 'silent' : 'info'),
    introspection: bool('GRAPHQL_INTROSPECTION', env.GRAPHQL_INTROSPECTION, !production),
    landingPage: bool('GRAPHQL_LANDING_PAGE', env.GRAPHQL_LANDING_PAGE, !production),
    federationInlineTrace: bool('FEDERATION_INLINE_TRACE', env.FEDERATION_INLINE_TRACE, false),
    trustedIssuers: issuers,
    devIssuer,
    devIssuerUrl,
    tokenAudience: env.TOKEN_AUDIENCE || 'identity-hub',
    clockSkewSeconds: int('CLOCK_SKEW_SECONDS', env.CLOCK_SKEW_SECONDS, 30, 0, 300),
    seedDemo: bool('SEED_DEMO', env.SEED_DEMO, true),
    exposeSqlCount: bool('EXPOSE_SQL_COUNT', env.EXPOSE_SQL_COUNT, !production),
    uploadMaxFileSize,
    uploadMaxFiles,
    uploadMaxInflightBytes,
    shutdownTimeoutMs: int('SHUTDOWN_TIMEOUT_MS', env.SHUTDOWN_TIMEOUT_MS, 10_000, 0, 600_000),
    maxPageSize: int('MAX_PAGE_SIZE', env.MAX_PAGE_SIZE, 100, 1, 1000),
    smtpUrl: env.SMTP_URL || undefined,
    mailFrom: env.MAIL_FROM ?? 'Identity hub <no-reply@identity-hub.local>',
    outboxPollMs: int('OUTBOX_POLL_MS', env.OUTBOX_POLL_MS, 2_000, 50, 3_600_000),
    grantExpiryIntervalMs: int('GRANT_EXPIRY_INTERVAL_MS', env.GRANT_EXPIRY_INTERVAL_MS, 60_000, 100, 86_400_000),
    summaryIntervalMs: int('SUMMARY_INTERVAL_MS', env.SUMMARY_INTERVAL_MS, 10_000, 100, 86_400_000),
    jobs: bool('JOBS', env.JOBS, true),
    eventRetentionDays: int('EVENT_RETENTION_DAYS', env.EVENT_RETENTION_DAYS, 30, 1, 3650),
    webhookPollMs: int('WEBHOOK_POLL_MS', env.WEBHOOK_POLL_MS, 1_000, 20, 3_600_000),
    webhookTimeoutMs: int('WEBHOOK_TIMEOUT_MS', env.WEBHOOK_TIMEOUT_MS, 10_000, 100, 60_000),
    webhookAllowPrivateUrls: bool('WEBHOOK_ALLOW_PRIVATE_URLS', env.WEBHOOK_ALLOW_PRIVATE_URLS, !production),
    statementTimeoutMs: int('STATEMENT_TIMEOUT_MS', env.STATEMENT_TIMEOUT_MS, 15_000, 0, 3_600_000),
    preparedStatements: bool('DATABASE_PREPARED_STATEMENTS', env.DATABASE_PREPARED_STATEMENTS, true),
    graphqlCompileAfter: int('GRAPHQL_COMPILE_AFTER', env.GRAPHQL_COMPILE_AFTER, 2, 0, 1_000_000),
    viewerCacheMs: int('VIEWER_CACHE_MS', env.VIEWER_CACHE_MS, 60_000, 0, 3_600_000),
    rateLimitPerMinute: int('RATE_LIMIT_PER_MINUTE', env.RATE_LIMIT_PER_MINUTE, 600, 0, 1_000_000),
    rateLimitAnonymousPerMinute: int('RATE_LIMIT_ANONYMOUS_PER_MINUTE', env.RATE_LIMIT_ANONYMOUS_PER_MINUTE, 120, 0, 1_000_000),
    rateLimitRedisUrl: redisUrl(env.RATE_LIMIT_REDIS_URL),
    trustProxyHops: int('TRUST_PROXY_HOPS', env.TRUST_PROXY_HOPS, 0, 0, 10),
    responseMaxItems: int('RESPONSE_MAX_ITEMS', env.RESPONSE_MAX_ITEMS, 10_000, 100, 1_000_000),
    responseMaxBytes: int('RESPONSE_MAX_BYTES', env.RESPONSE_MAX_BYTES, 16 * 1024 * 1024, 1024, 256 * 1024 * 1024),
  };
}
