import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { UseMiddleware, type MiddlewareInterface, type NextFn, type ResolverData } from 'type-graphql';
import type { RateLimitConfig } from '../config/config';
import { RateLimitedError, ServiceUnavailableError } from './errors';
import type { RedisClient } from '../redis/redis';
import type { RequestContext } from './request-context';

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

/**
 * The type-graphql middleware of one named limit. type-graphql builds class middlewares through
 * the resolver container, so the composition root registers one instance per limit with the
 * service ({@link rateLimitMiddlewares}); no service travels in the request context.
 */
abstract class RateLimitMiddleware implements MiddlewareInterface<RequestContext> {
  protected abstract readonly limit: RateLimitName;

  constructor(private readonly limits: RateLimitService) {}

  async use({ context }: ResolverData<RequestContext>, next: NextFn): Promise<unknown> {
    await this.limits.consume(this.limit, context.clientIp);
    return next();
  }
}

class ChatTurnRateLimit extends RateLimitMiddleware {
  protected readonly limit = 'chat';
}

const MIDDLEWARE: Record<RateLimitName, new (limits: RateLimitService) => RateLimitMiddleware> = { chat: ChatTurnRateLimit };

/** One middleware instance per named limit, for the resolver container. */
export function rateLimitMiddlewares(limits: RateLimitService): object[] {
  return Object.values(MIDDLEWARE).map((Middleware) => new Middleware(limits));
}

/**
 * `@RateLimited('chat')` on a resolver method: every execution counts, so each alias of a
 * mutation in one document counts as one call. Keyed by the client address (TRUST_PROXY
 * honoured in the request context).
 */
export function RateLimited(name: RateLimitName): MethodDecorator {
  return UseMiddleware(MIDDLEWARE[name]);
}
