import { randomUUID } from 'node:crypto';
import type { RedisClient } from '../redis/redis';

const RENEW_LUA = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;
const RELEASE_LUA = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/** A held slot; `release` is idempotent. */
export interface BusinessSlotLease {
  release(): Promise<void>;
}

/**
 * At most one crawl or rebuild per business at a time, across every worker process: a Redis
 * lease per business (`SET NX PX`, renewed while the job runs, released when it ends). A
 * worker that dies mid-job loses its lease after `leaseMs`, and BullMQ's stalled-job check
 * gives the job to another worker. The processors that take it (knowledge.indexer.ts) defer
 * their job when it is held, so one business never holds more than one job slot with them.
 */
export class BusinessJobSlots {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly leaseMs = 30_000,
  ) {}

  private key(businessId: string): string {
    return `${this.prefix}knowledge:slot:${businessId}`;
  }

  /** The business's slot, or null when another crawl or rebuild of it holds it. */
  async tryAcquire(businessId: string): Promise<BusinessSlotLease | null> {
    const key = this.key(businessId);
    const token = randomUUID();
    if ((await this.redis.set(key, token, 'PX', this.leaseMs, 'NX')) !== 'OK') return null;
    const timer = setInterval(() => {
      this.redis.eval(RENEW_LUA, 1, key, token, this.leaseMs).catch(() => undefined);
    }, Math.floor(this.leaseMs / 3));
    timer.unref();
    let released = false;
    return {
      release: async () => {
        if (released) return;
        released = true;
        clearInterval(timer);
        // If Redis is down now, the lease lapses after leaseMs.
        await this.redis.eval(RELEASE_LUA, 1, key, token).catch(() => undefined);
      },
    };
  }
}
