import type { ChatEvent, ChatEventSink } from '../chat/chat.events';
import { sessionKeys } from '../chat/session.store';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { RedisClient } from '../redis/redis';

/** The Redis keys of the conversation record's queue: one list per session and the set of sessions with queued events. */
export function pendingKeys(prefix: string, sessionId: string): { list: string; dirty: string } {
  return { list: `${prefix}conversations:pending:${sessionId}`, dirty: dirtyKey(prefix) };
}

export function dirtyKey(prefix: string): string {
  return `${prefix}conversations:dirty`;
}

// Queues one event while the session is live (not gone, not sealed by an erasure): the event
// goes on the session's list, whose TTL follows the session's, and the session into the set of
// sessions the worker has to drain. 0 when the session is gone or sealed.
const RECORD_LUA = `
if redis.call('EXISTS', KEYS[1]) == 0 or redis.call('HEXISTS', KEYS[1], 'sealed') == 1 then return 0 end
redis.call('RPUSH', KEYS[2], ARGV[1])
redis.call('EXPIRE', KEYS[2], ARGV[3])
redis.call('SADD', KEYS[3], ARGV[2])
return 1
`;

// Erasure's part in Redis (ARGV: the prefix, then session ids): each session's queued events
// and its entry in the dirty set, in one call for any number of sessions.
const FORGET_LUA = `
local prefix = ARGV[1]
for i = 2, #ARGV do
  redis.call('DEL', prefix .. 'conversations:pending:' .. ARGV[i])
  redis.call('SREM', prefix .. 'conversations:dirty', ARGV[i])
end
return 1
`;

interface LogCommands {
  conversationRecord(hash: string, list: string, dirty: string, json: string, sessionId: string, ttl: number): Promise<number>;
  conversationForget(prefix: string, ...sessionIds: string[]): Promise<number>;
}

/**
 * The chat's {@link ChatEventSink} on the api side: each event is one Lua call (`RPUSH` on the
 * session's own queue list + `SADD` of the session to the dirty set), sent without being
 * awaited (ioredis pipelines it with the turn's own commands); the worker drains the queues
 * into Postgres in batches (conversation.recorder.ts). The turn never waits for Postgres and
 * never fails because of this: a call Redis refuses is logged and counted
 * (`conversation_records_total{outcome="dropped"}`) and the turn goes on — when Redis is down,
 * the turn itself has already failed on its session write. A queue per session (rather than
 * one stream) lets endSession erase what is still queued with the session, at once.
 */
export class RedisConversationLog implements ChatEventSink {
  private readonly redis: RedisClient & LogCommands;
  private lastWarning = 0;

  constructor(
    redis: RedisClient,
    private readonly prefix: string,
    private readonly ttlSeconds: number,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
  ) {
    redis.defineCommand('conversationRecord', { numberOfKeys: 3, lua: RECORD_LUA });
    redis.defineCommand('conversationForget', { numberOfKeys: 0, lua: FORGET_LUA });
    this.redis = redis as RedisClient & LogCommands;
  }

  record(event: ChatEvent): void {
    let payload: string;
    try {
      payload = JSON.stringify(event);
    } catch (err) {
      this.dropped(err);
      return;
    }
    const { list, dirty } = pendingKeys(this.prefix, event.sessionId);
    this.redis.conversationRecord(sessionKeys(this.prefix, event.sessionId).hash, list, dirty, payload, event.sessionId, this.ttlSeconds).then(
      (queued) => this.metrics.conversationRecords.inc({ outcome: queued ? 'recorded' : 'session_gone' }),
      (err: unknown) => this.dropped(err),
    );
  }

  /** Deletes what is still queued for these sessions (erasure; the session is sealed, nothing new arrives). */
  async forget(sessionIds: readonly string[]): Promise<void> {
    if (sessionIds.length) await this.redis.conversationForget(this.prefix, ...sessionIds);
  }

  private dropped(err: unknown): void {
    this.metrics.conversationRecords.inc({ outcome: 'dropped' });
    // One line per 10 s at most: an outage must not flood the log.
    if (Date.now() - this.lastWarning < 10_000) return;
    this.lastWarning = Date.now();
    this.logger.warn('chat event not recorded', { error: err instanceof Error ? err.message : String(err) });
  }
}
