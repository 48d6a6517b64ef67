import { LRUCache } from 'lru-cache';
import { isUuid } from '../common/ids';
import type { Orm } from '../db/orm';
import type { RedisBroadcast } from '../redis/broadcast';
import { BusinessEntity } from './business.entity';
import type { BusinessProfile } from './business.profile';

const CHANNEL = 'business:invalidate';

/** Something kept per business elsewhere (the origin index) that follows the cache's invalidations. */
export interface BusinessWatcher {
  /** The business changed (created, updated, deleted); `'*'`: every business may have. */
  changed(id: string): Promise<void>;
  /** Invalidations may have been missed (the broadcast reconnected): start over. */
  reset(): Promise<void>;
}

/**
 * A small in-process cache of business rows for the chat hot path (an LRU of `maxEntries`,
 * unknown ids cached too). An admin change publishes the business id on the broadcast and every
 * process drops its copy. Entries also expire after `ttlMs`, which bounds staleness if a message
 * is missed while Redis is down; the cache is cleared when the subscriber reconnects, too.
 */
export class BusinessCache {
  /** `{ value }`: lru-cache stores no null, and an unknown id is worth remembering. */
  private readonly entries: LRUCache<string, { value: BusinessProfile | null }>;
  private readonly watchers: BusinessWatcher[] = [];

  constructor(
    private readonly orm: Orm,
    private readonly broadcast: RedisBroadcast,
    ttlMs = 60_000,
    maxEntries = 5_000,
  ) {
    this.entries = new LRUCache({ max: maxEntries, ttl: ttlMs });
  }

  async start(): Promise<void> {
    await this.broadcast.listen(CHANNEL, {
      message: (id) => {
        if (id === '*') this.entries.clear();
        else this.entries.delete(id);
        for (const w of this.watchers) void w.changed(id);
      },
      reset: () => {
        this.entries.clear();
        for (const w of this.watchers) void w.reset();
      },
    });
  }

  /**
   * Follows every invalidation: this process's own ones (awaited by {@link invalidate}, so an
   * admin write returns after the watcher caught up here) and the other processes' (over Redis).
   * Watchers handle their own errors.
   */
  watch(watcher: BusinessWatcher): void {
    this.watchers.push(watcher);
  }

  /** The business, or null when there is no such business. */
  async get(id: string): Promise<BusinessProfile | null> {
    if (!isUuid(id)) return null;
    const hit = this.entries.get(id);
    if (hit) return hit.value;
    const row = await this.orm.em.fork().findOne(BusinessEntity, { id }, { disableIdentityMap: true });
    const value = row ? Object.freeze(row) : null;
    this.entries.set(id, { value });
    return value;
  }

  /**
   * Drops the business here and tells every other process to drop it. Called after the
   * database write commits. If Redis is down the publish fails (logged); other processes then
   * serve the old row for at most the TTL and clear everything when their subscriber reconnects.
   */
  async invalidate(id: string): Promise<void> {
    this.entries.delete(id);
    await Promise.all(this.watchers.map((w) => w.changed(id)));
    await this.broadcast.publish(CHANNEL, id);
  }
}
