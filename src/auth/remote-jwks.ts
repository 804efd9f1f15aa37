import { createLocalJWKSet, errors as joseErrors, importJWK, type JWK, type JWTVerifyGetKey } from 'jose';
import type { Logger } from 'pino';
import { IdentityProviderUnavailable } from './auth.errors.js';

/** How an issuer's JWKS is fetched and kept. */
export interface JwksOptions {
  /** Keys older than this are fetched again, in the background: the ones in hand serve meanwhile. */
  maxAgeMs: number;
  /** Least time after a good fetch before a token naming an unknown `kid` may cause another. */
  cooldownMs: number;
  /** Wait after the first failed fetch; doubled per failure in a row, up to `backoffMaxMs`. */
  backoffInitialMs: number;
  backoffMaxMs: number;
  /** Share of each wait taken off at random, so instances that failed together do not retry together. */
  jitter: number;
  /** Longest one fetch may take, body included. */
  timeoutMs: number;
  /** Largest JWKS body read. */
  maxBytes: number;
}

export const defaultJwksOptions: JwksOptions = {
  maxAgeMs: 10 * 60_000,
  cooldownMs: 30_000,
  backoffInitialMs: 1_000,
  backoffMaxMs: 5 * 60_000,
  jitter: 0.2,
  timeoutMs: 5_000,
  maxBytes: 512 * 1024,
};

/** The wait before the next fetch after `failures` failed ones in a row (`random` in [0, 1)). */
export function backoffDelay(failures: number, options: JwksOptions, random: () => number = Math.random): number {
  const base = Math.min(options.backoffMaxMs, options.backoffInitialMs * 2 ** Math.max(0, failures - 1));
  return Math.round(base * (1 - options.jitter * random()));
}

/**
 * One issuer's JWKS: the keys of the last good fetch, used while refetches fail (stale-while-error).
 *
 * Hand-written instead of jose's createRemoteJWKSet, whose cool-down only counts from a good fetch:
 * while the endpoint fails (or before it ever answered) every request with an unknown `kid` fetches
 * again, a set past its max age that cannot be refetched fails every verification although its keys
 * are in hand, a failure surfaces as `fetch failed` (an HTTP 500 here), and the body size is unbounded.
 * This one allows one fetch in flight, a cool-down after a good fetch and an exponential back-off
 * after failed ones, and answers a token it cannot check with IdentityProviderUnavailable.
 */
export class RemoteJwks {
  private keys: { lookup: ReturnType<typeof createLocalJWKSet>; fetchedAt: number } | null = null;
  /** Failed fetches in a row; above 0 the provider counts as failing. */
  private failures = 0;
  /** Earliest start of the next fetch: the cool-down after a good fetch, the back-off after a failed one. */
  private nextFetchAt = 0;
  private inFlight: Promise<void> | null = null;

  constructor(
    private readonly issuer: { issuer: string; jwksUrl: string; algorithms: string[] },
    private readonly options: JwksOptions = defaultJwksOptions,
    private readonly log?: Logger,
    private readonly random: () => number = Math.random,
  ) {}

  /** The key lookup jose's jwtVerify calls. */
  readonly getKey: JWTVerifyGetKey = async (header, token) => {
    if (!this.keys) await this.refresh();
    else if (Date.now() - this.keys.fetchedAt >= this.options.maxAgeMs) void this.refresh();
    if (!this.keys) throw this.unavailable();
    try {
      return await this.keys.lookup(header, token);
    } catch (error) {
      if (!(error instanceof joseErrors.JWKSNoMatchingKey)) throw error;
    }
    // A key we do not know: the provider may have rotated. A good set within its cool-down answers
    // for itself (401); a failing provider cannot say whether the key is real (503).
    await this.refresh();
    try {
      return await this.keys.lookup(header, token);
    } catch (error) {
      if (error instanceof joseErrors.JWKSNoMatchingKey && this.failures > 0) throw this.unavailable();
      throw error;
    }
  };

  /** Joins the fetch in flight, starts one when neither cool-down nor back-off holds, else does nothing. Never rejects. */
  private refresh(): Promise<void> {
    if (!this.inFlight && Date.now() >= this.nextFetchAt) {
      this.inFlight = this.fetchOnce().finally(() => (this.inFlight = null));
    }
    return this.inFlight ?? Promise.resolve();
  }

  private async fetchOnce(): Promise<void> {
    try {
      const keys = await usableKeys(await download(this.issuer.jwksUrl, this.options), this.issuer.algorithms);
      this.keys = { lookup: createLocalJWKSet({ keys }), fetchedAt: Date.now() };
      if (this.failures > 0) this.log?.info({ issuer: this.issuer.issuer, failures: this.failures }, 'JWKS fetched again');
      this.failures = 0;
      this.nextFetchAt = Date.now() + this.options.cooldownMs;
    } catch (error) {
      this.failures++;
      this.nextFetchAt = Date.now() + backoffDelay(this.failures, this.options, this.random);
      this.log?.warn(
        {
          issuer: this.issuer.issuer,
          jwksUrl: this.issuer.jwksUrl,
          reason: reasonOf(error),
          failures: this.failures,
          nextAttemptAt: new Date(this.nextFetchAt).toISOString(),
          keysFrom: this.keys ? new Date(this.keys.fetchedAt).toISOString() : null,
        },
        this.keys ? 'JWKS fetch failed; the last good keys stay in use' : 'JWKS fetch failed; no keys yet',
      );
    }
  }

  private unavailable(): IdentityProviderUnavailable {
    return new IdentityProviderUnavailable(this.issuer.issuer, Math.max(1, Math.ceil((this.nextFetchAt - Date.now()) / 1000)));
  }
}

/** fetch's own message is only "fetch failed"; what failed (refused, reset, DNS) is its cause. */
function reasonOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.cause instanceof Error ? `${error.message}: ${error.cause.message}` : error.message;
}

/** GETs the JWKS as JSON: 200 only (no redirects), within the time limit and the size cap. */
async function download(url: string, options: JwksOptions): Promise<unknown> {
  const signal = AbortSignal.timeout(options.timeoutMs);
  try {
    const response = await fetch(url, { signal, redirect: 'manual', headers: { accept: 'application/jwk-set+json, application/json' } });
    if (response.status !== 200 || !response.body) {
      await response.body?.cancel();
      throw new Error(`HTTP ${response.status}`);
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of response.body as ReadableStream<Uint8Array>) {
      size += chunk.byteLength;
      if (size > options.maxBytes) throw new Error(`body larger than ${options.maxBytes} bytes`);
      chunks.push(chunk);
    }
    try {
      return JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      throw new Error('body is not JSON');
    }
  } catch (error) {
    if (signal.aborted) throw new Error(`no answer within ${options.timeoutMs} ms`, { cause: error });
    throw error;
  }
}

/**
 * The members of a JWK set that can verify one of the pinned algorithms, public keys only. A set
 * without any is a failed fetch: it must not replace keys that work.
 */
async function usableKeys(set: unknown, algorithms: string[]): Promise<JWK[]> {
  const members = typeof set === 'object' && set !== null && Array.isArray((set as { keys?: unknown }).keys) ? (set as { keys: unknown[] }).keys : null;
  if (!members) throw new Error('not a JWK set');
  const usable: JWK[] = [];
  for (const member of members) {
    if (typeof member !== 'object' || member === null || Array.isArray(member)) continue;
    const jwk = member as JWK;
    if (typeof jwk.kty !== 'string' || jwk.kty === 'oct' || 'd' in jwk) continue;
    for (const alg of algorithms) {
      if (jwk.alg !== undefined && jwk.alg !== alg) continue;
      const fits = await importJWK(jwk, alg).then(
        () => true,
        () => false,
      );
      if (fits) {
        usable.push(jwk);
        break;
      }
    }
  }
  if (usable.length === 0) throw new Error(`no usable public key for ${algorithms.join(', ')}`);
  return usable;
}
