import { LRUCache } from 'lru-cache';
import { isUuid } from '../common/ids';
import type { FailureLimiter } from '../common/rate-limit';
import type { Orm } from '../db/orm';
import type { RedisBroadcast } from '../redis/broadcast';
import { BusinessEntity } from './business.entity';
import type { BusinessProfile } from './business.profile';

const CHANNEL = 'business:invalidate';

export interface BusinessCacheOptions {
  /** Lifetime of a known business's entry. */
  ttlMs?: number;
  maxEntries?: number;
  /** Lifetime of the negative entry of an unknown id (short: it only absorbs repeats). */
  unknownTtlMs?: number;
  maxUnknownEntries?: number;
  /** Counts the lookups of unknown ids a client makes (RATE_LIMIT_AUTH_FAILURES). */
  failures?: FailureLimiter;
}

/** Something kept per business elsewhere (the origin index) that follows the cache's invalidations. */
export interface BusinessWatcher {
  /** The business changed (created, updated, deleted); `'*'`: every business may have. */
  changed(id: string): Promise<void>;
  /** Invalidations may have been missed (the broadcast reconnected): start over. */
  reset(): Promise<void>;
}

/**
 * A small in-process cache of business rows for the chat hot path (an LRU of `maxEntries`).
 * An admin change publishes the business id on the broadcast and every process drops its copy.
 * Entries also expire after `ttlMs`, which bounds staleness if a message is missed while Redis
 * is down; the cache is cleared when the subscriber reconnects, too.
 *
 * Unknown ids go to a separate, short-lived negative LRU, so the same unknown id costs one
 * Postgres query per `unknownTtlMs` and a flood of random ids cannot evict the real businesses.
 * A flood of distinct random ids from one client is bounded by `failures`: a lookup on behalf
 * of a client (`clientIp` given) that misses both caches first checks the client has failures
 * left (RATE_LIMITED otherwise, no query), and a miss in Postgres counts one failure.
 * A business created after its id was cached as unknown: impossible in practice (ids are random
 * v4 UUIDs, chosen at insert), and `invalidate` drops the negative entry too.
 */
export class BusinessCache {
  private readonly known: LRUCache<string, BusinessProfile>;
  private readonly unknown: LRUCache<string, true>;
  private readonly failures?: FailureLimiter;
  private readonly watchers: BusinessWatcher[] = [];

  constructor(
    private readonly orm: Orm,
    private readonly broadcast: RedisBroadcast,
    options: BusinessCacheOptions = {},
  ) {
    this.known = new LRUCache({ max: options.maxEntries ?? 5_000, ttl: options.ttlMs ?? 60_000 });
    this.unknown = new LRUCache({ max: options.maxUnknownEntries ?? 20_000, ttl: options.unknownTtlMs ?? 30_000 });
    this.failures = options.failures;
  }

  async start(): Promise<void> {
    await this.broadcast.listen(CHANNEL, {
      message: (id) => {
        if (id === '*') this.clear();
        else this.drop(id);
        for (const w of this.watchers) void w.changed(id);
      },
      reset: () => {
        this.clear();
        for (const w of this.watchers) void w.reset();
      },
    });
  }

  private clear(): void {
    this.known.clear();
    this.unknown.clear();
  }

  private drop(id: string): void {
    this.known.delete(id);
    this.unknown.delete(id);
  }

  /**
   * Follows every invalidation: this process's own ones (awaited by {@link invalidate}, so an
   * admin write returns after the watcher caught up here) and the other processes' (over Redis).
   * Watchers handle their own errors.
   */
  watch(watcher: BusinessWatcher): void {
    this.watchers.push(watcher);
  }

  /**
   * The business, or null when there is no such business. `clientIp`: the lookup is made for
   * a public caller naming the id (startSession, publicBusiness), whose misses are limited.
   * Redis down while a client-named id misses both caches: SERVICE_UNAVAILABLE (the limiter
   * fails closed).
   */
  async get(id: string, clientIp?: string): Promise<BusinessProfile | null> {
    if (!isUuid(id)) return null;
    const hit = this.known.get(id);
    if (hit) return hit;
    if (this.unknown.has(id)) return null;
    if (clientIp) await this.failures?.assertNotExhausted('authFailures', clientIp);
    const value = await this.load(id);
    if (value) {
      this.known.set(id, value);
      return value;
    }
    this.unknown.set(id, true);
    if (clientIp) await this.failures?.consume('authFailures', clientIp);
    return null;
  }

  /** The one Postgres query of a lookup. */
  private async load(id: string): Promise<BusinessProfile | null> {
    const row = await this.orm.em.fork().findOne(BusinessEntity, { id }, { disableIdentityMap: true });
    return row ? Object.freeze(row) : null;
  }

  /**
   * Drops the business here and tells every other process to drop it. Called after the
   * database write commits. If Redis is down the publish fails (logged); other processes then
   * serve the old row for at most the TTL and clear everything when their subscriber reconnects.
   */
  async invalidate(id: string): Promise<void> {
    this.drop(id);
    await Promise.all(this.watchers.map((w) => w.changed(id)));
    await this.broadcast.publish(CHANNEL, id);
  }
}
