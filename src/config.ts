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
  shutdownTimeoutMs: number;
  maxPageSize: number;
  /** smtp:// or smtps:// URL; unset: mail goes to files under DATA_DIR/mail. */
  smtpUrl: string | undefined;
  mailFrom: string;
  outboxPollMs: number;
  grantExpiryIntervalMs: number;
  /** Background jobs (outbox worker, grant expiry); off only for tools that drive them by hand. */
  jobs: boolean;
  /** Longest a single SQL statement may run (PostgreSQL), so one slow query cannot starve the pool. */
  statementTimeoutMs: number;
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
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name} must be an integer between ${min} and ${max}, got "${value}"`);
  }
  return n;
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
  return parsed.map((raw, i) => {
    const entry = raw as Partial<TrustedIssuerConfig>;
    const where = `TRUSTED_ISSUERS[${i}]`;
    if (typeof entry.issuer !== 'string' || !entry.issuer) throw new ConfigError(`${where}.issuer is required`);
    if (!entry.audience) throw new ConfigError(`${where}.audience is required`);
    if (!Array.isArray(entry.algorithms) || entry.algorithms.length === 0) {
      throw new ConfigError(`${where}.algorithms must pin at least one algorithm`);
    }
    if (entry.algorithms.some((a) => a === 'none' || /^HS/i.test(a))) {
      throw new ConfigError(`${where}.algorithms may only name asymmetric algorithms`);
    }
    const keySources = [entry.jwksUrl, entry.publicKeyPem, entry.jwk].filter(Boolean).length;
    if (keySources !== 1) throw new ConfigError(`${where} needs exactly one of jwksUrl, publicKeyPem, jwk`);
    return entry as TrustedIssuerConfig;
  });
}

/** Every environment variable the hub reads, parsed and validated once. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const nodeEnv = env.NODE_ENV ?? 'development';
  const production = nodeEnv === 'production';
  const port = int('PORT', env.PORT, 4000, 0, 65535);
  const host = env.HOST ?? '0.0.0.0';
  const issuers = trustedIssuers(env.TRUSTED_ISSUERS);
  const devIssuer = bool('DEV_ISSUER', env.DEV_ISSUER, !production);
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
    trustedIssuers: issuers,
    devIssuer,
    devIssuerUrl: env.DEV_ISSUER_URL ?? 'https://dev-issuer.hub.local',
    tokenAudience: env.TOKEN_AUDIENCE ?? 'identity-hub',
    clockSkewSeconds: int('CLOCK_SKEW_SECONDS', env.CLOCK_SKEW_SECONDS, 30, 0, 300),
    seedDemo: bool('SEED_DEMO', env.SEED_DEMO, true),
    exposeSqlCount: bool('EXPOSE_SQL_COUNT', env.EXPOSE_SQL_COUNT, !production),
    uploadMaxFileSize: int('UPLOAD_MAX_FILE_SIZE', env.UPLOAD_MAX_FILE_SIZE, 10 * 1024 * 1024, 1, 1024 * 1024 * 1024),
    uploadMaxFiles: int('UPLOAD_MAX_FILES', env.UPLOAD_MAX_FILES, 5, 1, 100),
    shutdownTimeoutMs: int('SHUTDOWN_TIMEOUT_MS', env.SHUTDOWN_TIMEOUT_MS, 10_000, 0, 600_000),
    maxPageSize: int('MAX_PAGE_SIZE', env.MAX_PAGE_SIZE, 100, 1, 1000),
    smtpUrl: env.SMTP_URL || undefined,
    mailFrom: env.MAIL_FROM ?? 'Identity hub <no-reply@identity-hub.local>',
    outboxPollMs: int('OUTBOX_POLL_MS', env.OUTBOX_POLL_MS, 2_000, 50, 3_600_000),
    grantExpiryIntervalMs: int('GRANT_EXPIRY_INTERVAL_MS', env.GRANT_EXPIRY_INTERVAL_MS, 60_000, 100, 86_400_000),
    jobs: bool('JOBS', env.JOBS, true),
    statementTimeoutMs: int('STATEMENT_TIMEOUT_MS', env.STATEMENT_TIMEOUT_MS, 15_000, 0, 3_600_000),
  };
}
