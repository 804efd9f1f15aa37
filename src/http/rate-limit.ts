import type { IncomingMessage } from 'node:http';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';

export interface RateLimitSettings {
  /** Requests per minute for one signed-in identity (issuer + subject); 0: no limit. */
  perMinute: number;
  /** Requests per minute for one client address without a valid token; 0: no limit. */
  anonymousPerMinute: number;
  /** redis:// URL to share the counts between instances; unset: each process counts alone. */
  redisUrl: string | undefined;
  /** Proxies in front of the hub whose X-Forwarded-For entries are trusted (0: use the socket's address). */
  trustProxyHops: number;
}

export type Admission = { admitted: true } | { admitted: false; retryAfterSeconds: number };

const WINDOW_SECONDS = 60;

/**
 * Requests per identity and per address, counted before any database work, so one client (signed
 * in or not) cannot take the server from everyone else. In memory by default; with a Redis URL the
 * counts are shared by every instance (a counter per request needs no durability, and counting in
 * PostgreSQL would add a write per request to the database the limit protects). While Redis is
 * unreachable each instance counts alone, in memory, and keeps answering.
 */
export class RequestRateLimiter {
  private constructor(
    private readonly identities: RateLimiterAbstract | null,
    private readonly addresses: RateLimiterAbstract | null,
    private readonly redis: Redis | null,
    private readonly trustProxyHops: number,
    private readonly log: Logger,
  ) {}

  static create(settings: RateLimitSettings, log: Logger): RequestRateLimiter {
    const redis = settings.redisUrl
      ? new Redis(settings.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2_000, lazyConnect: false })
      : null;
    redis?.on('error', (error: Error) => log.warn({ err: error.message }, 'rate limit store unreachable: counting in memory meanwhile'));
    const limiter = (points: number, keyPrefix: string): RateLimiterAbstract | null => {
      if (points <= 0) return null;
      const memory = new RateLimiterMemory({ points, duration: WINDOW_SECONDS, keyPrefix });
      if (!redis) return memory;
      return new RateLimiterRedis({
        storeClient: redis,
        points,
        duration: WINDOW_SECONDS,
        keyPrefix: `hub-rate-${keyPrefix}`,
        // A key over its limit is refused locally for the rest of its window: a flood costs Redis nothing.
        inMemoryBlockOnConsumed: points,
        rejectIfRedisNotReady: true,
        insuranceLimiter: memory,
      });
    };
    return new RequestRateLimiter(
      limiter(settings.perMinute, 'identity'),
      limiter(settings.anonymousPerMinute, 'address'),
      redis,
      settings.trustProxyHops,
      log,
    );
  }

  /** The client's address: the socket's, or the entry the nearest trusted proxy added to X-Forwarded-For. */
  clientAddress(req: IncomingMessage): string {
    const socket = req.socket.remoteAddress ?? 'unknown';
    if (this.trustProxyHops <= 0) return socket;
    const header = req.headers['x-forwarded-for'];
    const hops = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',').map((s) => s.trim()).filter(Boolean);
    return hops[hops.length - this.trustProxyHops] ?? hops[0] ?? socket;
  }

  /** Counts one request of a signed-in identity, or of the request's address when there is none. */
  async admit(req: IncomingMessage, identity: { issuer: string; subject: string } | null): Promise<Admission> {
    const limiter = identity ? this.identities : this.addresses;
    if (!limiter) return { admitted: true };
    const key = identity ? `${identity.issuer}\u0000${identity.subject}` : this.clientAddress(req);
    try {
      await limiter.consume(key, 1);
      return { admitted: true };
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return { admitted: false, retryAfterSeconds: Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)) };
      // The store failed without its insurance answering: let the request through rather than fail it.
      this.log.warn({ err: rejection }, 'rate limit could not be counted');
      return { admitted: true };
    }
  }

  async close(): Promise<void> {
    if (this.redis) this.redis.disconnect();
  }
}
