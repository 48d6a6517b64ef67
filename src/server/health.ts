import type { Orm } from '../db/orm';
import type { Metrics } from '../observability/metrics';
import type { RedisClient } from '../redis/redis';

export interface ReadinessReport {
  ready: boolean;
  checks: { redis: 'up' | 'down'; postgres: 'up' | 'down' };
  failed: Array<'redis' | 'postgres'>;
}

async function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Pings both stores with a short deadline and records `redis_up` / `postgres_up`. */
export class HealthService {
  private closing = false;

  constructor(
    private readonly redis: RedisClient,
    private readonly orm: Orm,
    private readonly metrics: Metrics,
    private readonly timeoutMs = 1_500,
  ) {}

  private poller: NodeJS.Timeout | null = null;

  /**
   * Keeps `redis_up` / `postgres_up` current by pinging both stores every `intervalMs` (and
   * once now), so a /metrics scrape reads cached gauges and costs no store round trip.
   */
  startPolling(intervalMs = 10_000): void {
    if (this.poller) return;
    void this.readiness().catch(() => undefined);
    this.poller = setInterval(() => void this.readiness().catch(() => undefined), intervalMs);
    this.poller.unref();
  }

  stopPolling(): void {
    if (this.poller) clearInterval(this.poller);
    this.poller = null;
  }

  /** Once shutdown starts, readiness fails so load balancers stop sending traffic. */
  markClosing(): void {
    this.closing = true;
  }

  async readiness(): Promise<ReadinessReport & { closing: boolean }> {
    const [redisOk, pgOk] = await Promise.all([
      within(this.redis.ping(), this.timeoutMs).then(
        () => true,
        () => false,
      ),
      within(this.orm.em.getConnection().execute('select 1'), this.timeoutMs).then(
        () => true,
        () => false,
      ),
    ]);
    this.metrics.redisUp.set(redisOk ? 1 : 0);
    this.metrics.postgresUp.set(pgOk ? 1 : 0);
    const failed: Array<'redis' | 'postgres'> = [];
    if (!redisOk) failed.push('redis');
    if (!pgOk) failed.push('postgres');
    return {
      ready: failed.length === 0 && !this.closing,
      closing: this.closing,
      checks: { redis: redisOk ? 'up' : 'down', postgres: pgOk ? 'up' : 'down' },
      failed,
    };
  }
}
