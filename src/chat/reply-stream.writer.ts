import type { RedisClient } from '../redis/redis';
import type { MessageRecord, ReplyErrorRecord } from './chat.records';

/** Redis keys of one reply: its stream and the generator's heartbeat. */
export function replyKeys(prefix: string, replyId: string): { stream: string; heartbeat: string } {
  const stream = `${prefix}chat:reply:${replyId}`;
  return { stream, heartbeat: `${stream}:heartbeat` };
}

// A pending reply's heartbeat holds the value 'pending' (and a long lifetime) until a generator
// claims it: replacing it with the normal heartbeat is the claim, so only one run gets it.
const CLAIM_LUA = `
if redis.call('GET', KEYS[1]) ~= 'pending' then return 0 end
redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
redis.call('EXPIRE', KEYS[2], ARGV[2])
return 1
`;

export interface ReplyStreamSettings {
  prefix: string;
  /** Lifetime of the stream after its last write. */
  ttlSeconds: number;
  /** Heartbeat lifetime; readers declare the reply INTERRUPTED once it lapses. */
  interruptMs: number;
}

/**
 * Writes one reply into its Redis Stream: a start entry (binding it to its session), one
 * entry per delta (`seq`, `delta`) and a final entry holding the whole message or the error.
 * While it writes it refreshes a heartbeat key, so readers on any process can tell a slow
 * generator from a dead one.
 */
export class ReplyStreamWriter {
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly keys: { stream: string; heartbeat: string };

  constructor(
    private readonly redis: RedisClient,
    readonly replyId: string,
    private readonly settings: ReplyStreamSettings,
  ) {
    this.keys = replyKeys(settings.prefix, replyId);
  }

  async start(sessionId: string): Promise<void> {
    await this.redis
      .multi()
      .xadd(this.keys.stream, '*', 'k', 's', 'session', sessionId)
      .expire(this.keys.stream, this.settings.ttlSeconds)
      .set(this.keys.heartbeat, '1', 'PX', this.settings.interruptMs)
      .exec();
    this.startHeartbeat();
  }

  /**
   * Opens a reply whose generation starts later, in another process (a voice message the
   * worker transcribes): the start entry, and one heartbeat that lives `holdMs` with no timer
   * refreshing it. Readers wait that long before declaring the reply INTERRUPTED; the worker
   * then takes over with {@link resume} (the normal refreshed heartbeat) on the same replyId.
   */
  async startPending(sessionId: string, holdMs: number): Promise<void> {
    await this.redis
      .multi()
      .xadd(this.keys.stream, '*', 'k', 's', 'session', sessionId, 'pending', '1')
      .expire(this.keys.stream, Math.max(this.settings.ttlSeconds, Math.ceil(holdMs / 1000)))
      .set(this.keys.heartbeat, 'pending', 'PX', holdMs)
      .exec();
  }

  /**
   * Takes over a reply opened with {@link startPending}: refreshed heartbeat, seq from 0. Atomic
   * and once only: false when the pending hold is gone (another run took the reply over, or
   * it ended), so a job delivered twice never generates twice.
   */
  async resume(): Promise<boolean> {
    if (!(await this.claim())) return false;
    this.startHeartbeat();
    return true;
  }

  /** The once-only takeover of a pending reply, without a heartbeat timer (to end it at once). */
  async claim(): Promise<boolean> {
    return (await this.redis.eval(CLAIM_LUA, 2, this.keys.heartbeat, this.keys.stream, this.settings.interruptMs, this.settings.ttlSeconds)) === 1;
  }

  private startHeartbeat(): void {
    this.timer = setInterval(() => {
      this.redis.set(this.keys.heartbeat, '1', 'PX', this.settings.interruptMs).catch(() => undefined);
    }, Math.max(200, Math.floor(this.settings.interruptMs / 3)));
    this.timer.unref();
  }

  async delta(text: string): Promise<void> {
    await this.redis.xadd(this.keys.stream, '*', 'k', 'd', 'seq', String(this.seq++), 'd', text);
  }

  /** The final entry; also stops the heartbeat. Exactly one of `message`/`error` is usually set. */
  async finish(message: MessageRecord | null, error: ReplyErrorRecord | null): Promise<void> {
    this.stopHeartbeat();
    const fields = ['k', 'f', 'seq', String(this.seq++)];
    if (message) fields.push('m', JSON.stringify(message));
    if (error) fields.push('e', JSON.stringify(error));
    await this.redis
      .multi()
      .xadd(this.keys.stream, '*', ...fields)
      .expire(this.keys.stream, this.settings.ttlSeconds)
      .del(this.keys.heartbeat)
      .exec();
  }

  stopHeartbeat(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
