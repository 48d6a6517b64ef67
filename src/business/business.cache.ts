import { isUuid } from '../common/ids';
import type { Orm } from '../db/orm';
import type { Logger } from '../observability/logger';
import type { RedisClient } from '../redis/redis';
import { BusinessEntity } from './business.entity';
import type { BusinessProfile } from './business.profile';


interface Entry {
  value: BusinessProfile | null;
  expiresAt: number;
}

/**
 * A small in-process cache of business rows for the chat hot path. Every process subscribes
 * to one Redis channel; an admin change publishes the business id and every process drops
 * its copy. Entries also expire after `ttlMs`, which bounds staleness if a message is missed
 * while Redis is down (the cache is cleared when the subscriber reconnects, too).
 */
export class BusinessCache {
  private readonly entries = new Map<string, Entry>();
  private readonly channel: string;

  constructor(
    private readonly orm: Orm,
    private readonly publisher: RedisClient,
    private readonly subscriber: RedisClient,
    keyPrefix: string,
    private readonly logger: Logger,
    private readonly ttlMs = 60_000,
    private readonly maxEntries = 5_000,
  ) {
    this.channel = `${keyPrefix}business:invalidate`;
  }

  async start(): Promise<void> {
    this.subscriber.on('message', (channel: string, id: string) => {
      if (channel !== this.channel) return;
      if (id === '*') this.entries.clear();
      else this.entries.delete(id);
    });
    this.subscriber.on('ready', () => this.entries.clear());
    await this.subscriber.subscribe(this.channel);
  }

  /** The business, or null when there is no such business. */
  async get(id: string): Promise<BusinessProfile | null> {
    if (!isUuid(id)) return null;
    const hit = this.entries.get(id);
    if (hit && hit.expiresAt > Date.now()) return hit.value;
    const value = await this.orm.em.fork().findOne(BusinessEntity, { id }, { disableIdentityMap: true });
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(id, { value: value ? Object.freeze(value) : null, expiresAt: Date.now() + this.ttlMs });
    return value;
  }

  /**
   * Drops the business here and tells every other process to drop it. Called after the
   * database write commits. If Redis is down the publish fails; other processes then serve
   * the old row for at most `ttlMs` and clear everything when their subscriber reconnects.
   */
  async invalidate(id: string): Promise<void> {
    this.entries.delete(id);
    try {
      await this.publisher.publish(this.channel, id);
    } catch (err) {
      this.logger.warn('business cache invalidation not published', { businessId: id, error: String(err) });
    }
  }
}
