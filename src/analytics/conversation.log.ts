import type { ChatEvent, ChatEventSink } from '../chat/chat.events';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { RedisClient } from '../redis/redis';

/**
 * Entries the event stream keeps at most (approximately, `XADD MAXLEN ~`) while no worker
 * drains it: Redis memory stays bounded during a long worker outage; the oldest entries go
 * first (and are counted in the worker's lag, see docs/analytics.md).
 */
export const EVENT_STREAM_MAX = 1_000_000;

export function eventStreamKey(prefix: string): string {
  return `${prefix}conversations:events`;
}

/**
 * The chat's {@link ChatEventSink} on the api side: each event is one `XADD` to a Redis Stream,
 * sent without being awaited (ioredis pipelines it with the turn's own commands), and the worker
 * drains the stream into Postgres in batches (conversation.recorder.ts). The turn never waits for
 * Postgres and never fails because of this: an XADD Redis refuses is logged and counted
 * (`conversation_records_total{outcome="dropped"}`), and the turn goes on — when Redis is down
 * the turn itself has already failed on its session write.
 */
export class RedisConversationLog implements ChatEventSink {
  private readonly key: string;
  private lastWarning = 0;

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
  ) {
    this.key = eventStreamKey(prefix);
  }

  record(event: ChatEvent): void {
    let payload: string;
    try {
      payload = JSON.stringify(event);
    } catch (err) {
      this.dropped(err);
      return;
    }
    this.redis.xadd(this.key, 'MAXLEN', '~', EVENT_STREAM_MAX, '*', 'e', payload).then(
      () => this.metrics.conversationRecords.inc({ outcome: 'recorded' }),
      (err: unknown) => this.dropped(err),
    );
  }

  /** Resolves once Redis has the entry: endSession's erase marker must not be lost silently. */
  async recordNow(event: ChatEvent): Promise<void> {
    await this.redis.xadd(this.key, 'MAXLEN', '~', EVENT_STREAM_MAX, '*', 'e', JSON.stringify(event));
  }

  private dropped(err: unknown): void {
    this.metrics.conversationRecords.inc({ outcome: 'dropped' });
    // One line per 10 s at most: an outage must not flood the log.
    if (Date.now() - this.lastWarning < 10_000) return;
    this.lastWarning = Date.now();
    this.logger.warn('chat event not recorded', { error: err instanceof Error ? err.message : String(err) });
  }
}
