import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { createMethodMiddlewareDecorator } from 'type-graphql';
import type { RateLimitConfig } from '../config/config';
import { AppError, RateLimitedError, ServiceUnavailableError } from '../common/errors';
import type { RedisClient } from '../redis/redis';
import type { RequestContext } from '../common/request-context';

/** Named limits; `chat` covers sendMessage, chat and sendVoiceMessage together. */
export type RateLimitName = 'chat';

/**
 * Per-client limits counted in Redis by `rate-limiter-flexible` (one atomic Lua
 * check-and-count per call), so a limit holds exactly across any number of processes.
 * While Redis is down the check fails closed with SERVICE_UNAVAILABLE: chat needs Redis for
 * its session anyway, and failing open would let a burst through unmetered.
 */
export class RateLimitService {
  private readonly limiters = new Map<RateLimitName, RateLimiterRedis>();

  constructor(redis: RedisClient, prefix: string, limits: Partial<Record<RateLimitName, RateLimitConfig | null>>) {
    for (const [name, limit] of Object.entries(limits) as Array<[RateLimitName, RateLimitConfig | null]>) {
      if (!limit) continue;
      this.limiters.set(
        name,
        new RateLimiterRedis({
          storeClient: redis,
          keyPrefix: `${prefix}ratelimit:${name}`,
          points: limit.points,
          duration: limit.durationSeconds,
          rejectIfRedisNotReady: true,
        }),
      );
    }
  }

  /** Counts one call for `key`; throws RATE_LIMITED (with retryAfterSeconds) past the limit. */
  async consume(name: RateLimitName, key: string): Promise<void> {
    const limiter = this.limiters.get(name);
    if (!limiter) return; // this limit is off
    try {
      await limiter.consume(key);
    } catch (err) {
      if (err instanceof RateLimiterRes) throw new RateLimitedError(Math.max(1, Math.ceil(err.msBeforeNext / 1000)));
      throw new ServiceUnavailableError('Redis', err);
    }
  }
}

/** What a resolver's context must carry for {@link RateLimited}. */
export interface RateLimitedContext extends RequestContext {
  rateLimits: RateLimitService;
}

/**
 * `@RateLimited('chat')` on a resolver method: every execution counts, so each alias of a
 * mutation in one document counts as one call. Keyed by the client address (TRUST_PROXY
 * honoured in the request context).
 */
export function RateLimited(name: RateLimitName): MethodDecorator {
  return createMethodMiddlewareDecorator<RateLimitedContext>(async ({ context }, next) => {
    if (!context.rateLimits) throw new AppError('INTERNAL_SERVER_ERROR', 'Rate limits are not configured', {}, 'error');
    await context.rateLimits.consume(name, context.clientIp);
    return next();
  });
}
