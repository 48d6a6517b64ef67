import ipaddr from 'ipaddr.js';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { UseMiddleware, type MiddlewareInterface, type NextFn, type ResolverData } from 'type-graphql';
import type { RateLimitConfig } from '../config/config';
import { RateLimitedError, ServiceUnavailableError } from './errors';
import type { RedisClient } from '../redis/redis';
import type { RequestContext } from './request-context';

/**
 * Named limits (the `RATE_LIMIT_*` variables): `chat` covers the turns that reach the model
 * (sendMessage, chat and sendVoiceMessage together), `navigation` the replies that need none
 * (CTA menus and links, greetings), `session` startSession, `authFailures` wrong API keys and
 * lookups of unknown business ids.
 */
export type RateLimitName = 'chat' | 'navigation' | 'session' | 'authFailures';

/**
 * The bucket of a client address: an IPv4 address as it is, an IPv6 address by its /64 (one
 * subscriber or host usually owns a whole /64, so keying by the full address would hand every
 * client 2^64 buckets). IPv4-mapped IPv6 (`::ffff:1.2.3.4`) counts as its IPv4 address.
 * Anything that does not parse is used verbatim.
 */
export function clientKey(ip: string): string {
  if (!ipaddr.isValid(ip)) return ip;
  const addr = ipaddr.process(ip);
  if (addr.kind() === 'ipv4') return addr.toString();
  const parts = (addr as ipaddr.IPv6).parts.slice(0, 4);
  return `${new ipaddr.IPv6([...parts, 0, 0, 0, 0]).toString()}/64`;
}

/**
 * A limit on failures (wrong API keys, unknown business ids): checked before the work that
 * costs (a Postgres query), counted after it failed. {@link RateLimitService} implements it.
 */
export interface FailureLimiter {
  assertNotExhausted(name: 'authFailures', ip: string): Promise<void>;
  consume(name: 'authFailures', ip: string): Promise<void>;
}

/**
 * Per-client limits counted in Redis by `rate-limiter-flexible` (one atomic Lua
 * check-and-count per call), so a limit holds exactly across any number of processes.
 * While Redis is down the check fails closed with SERVICE_UNAVAILABLE: chat needs Redis for
 * its session anyway, and failing open would let a burst through unmetered.
 */
export class RateLimitService implements FailureLimiter {
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

  /**
   * Counts one call for client address `ip` (bucketed by {@link clientKey}); throws RATE_LIMITED
   * (with retryAfterSeconds) past the limit.
   */
  async consume(name: RateLimitName, ip: string): Promise<void> {
    const limiter = this.limiters.get(name);
    if (!limiter) return; // this limit is off
    try {
      await limiter.consume(clientKey(ip));
    } catch (err) {
      if (err instanceof RateLimiterRes) throw new RateLimitedError(Math.max(1, Math.ceil(err.msBeforeNext / 1000)));
      throw new ServiceUnavailableError('Redis', err);
    }
  }

  /**
   * Throws RATE_LIMITED when `ip` has already used up limit `name` in the current window,
   * without counting anything (one Redis GET). For limits on failures: the check runs before
   * the expensive work, {@link consume} after it failed.
   */
  async assertNotExhausted(name: RateLimitName, ip: string): Promise<void> {
    const limiter = this.limiters.get(name);
    if (!limiter) return;
    let res: RateLimiterRes | null;
    try {
      res = await limiter.get(clientKey(ip));
    } catch (err) {
      throw new ServiceUnavailableError('Redis', err);
    }
    if (res && res.consumedPoints >= limiter.points) throw new RateLimitedError(Math.max(1, Math.ceil(res.msBeforeNext / 1000)));
  }

  /** Whether limit `name` is on. */
  has(name: RateLimitName): boolean {
    return this.limiters.has(name);
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

class SessionRateLimit extends RateLimitMiddleware {
  protected readonly limit = 'session';
}

/** The limits applied as resolver middleware; navigation and auth failures are counted by their services. */
type MiddlewareLimit = 'chat' | 'session';

const MIDDLEWARE: Record<MiddlewareLimit, new (limits: RateLimitService) => RateLimitMiddleware> = { chat: ChatTurnRateLimit, session: SessionRateLimit };

/** One middleware instance per named limit, for the resolver container. */
export function rateLimitMiddlewares(limits: RateLimitService): object[] {
  return Object.values(MIDDLEWARE).map((Middleware) => new Middleware(limits));
}

/**
 * `@RateLimited('chat')` on a resolver method: every execution counts, so each alias of a
 * mutation in one document counts as one call. Keyed by the client address (TRUST_PROXY
 * honoured in the request context).
 */
export function RateLimited(name: MiddlewareLimit): MethodDecorator {
  return UseMiddleware(MIDDLEWARE[name]);
}
