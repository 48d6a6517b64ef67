import type { RedisClient } from '../redis/redis';
import type { MessageRecord, ReplyErrorRecord } from './chat.records';
import { sessionKeys } from './session.store';

/** Redis keys of one reply: its stream and the generator's heartbeat. */
export function replyKeys(prefix: string, replyId: string): { stream: string; heartbeat: string } {
  const stream = `${prefix}chat:reply:${replyId}`;
  return { stream, heartbeat: `${stream}:heartbeat` };
}

// A pending reply's heartbeat holds the value 'pending' (and a long lifetime) until a generator
// claims it: replacing it with the normal heartbeat is the claim, so only one run gets it.
// Opens a reply only in a live session (not gone, not sealed for erasure), and names its stream
// and heartbeat in the session's key index so erasing the session deletes them.
// KEYS: session hash, session key index, stream, heartbeat. ARGV: session id, stream TTL (s),
// heartbeat value, heartbeat lifetime (ms), 'pending' flag ('1' or '').
const START_LUA = `
if redis.call('HEXISTS', KEYS[1], 'sealed') == 1 then return 0 end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then return 0 end
redis.call('SADD', KEYS[2], KEYS[3], KEYS[4])
redis.call('PEXPIRE', KEYS[2], ttl)
if ARGV[5] == '1' then
  redis.call('XADD', KEYS[3], '*', 'k', 's', 'session', ARGV[1], 'pending', '1')
else
  redis.call('XADD', KEYS[3], '*', 'k', 's', 'session', ARGV[1])
end
redis.call('EXPIRE', KEYS[3], ARGV[2])
redis.call('SET', KEYS[4], ARGV[3], 'PX', ARGV[4])
return 1
`;

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
 *
 * Erasure: the stream and heartbeat are named in the session's key index when the reply
 * starts (refused once the session is gone or sealed), and every later write only touches
 * keys that still exist (XADD NOMKSTREAM, SET XX), so a reply still generating when its
 * session is erased writes nothing: {@link delta} returns false and the generator stops.
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

  /** Opens the reply in session `sessionId`; false when the session is gone or being erased. */
  async start(sessionId: string): Promise<boolean> {
    if (!(await this.open(sessionId, '1', this.settings.interruptMs, this.settings.ttlSeconds, false))) return false;
    this.startHeartbeat();
    return true;
  }

  /**
   * Opens a reply whose generation starts later, in another process (a voice message the
   * worker transcribes): the start entry, and one heartbeat that lives `holdMs` with no timer
   * refreshing it. Readers wait that long before declaring the reply INTERRUPTED; the worker
   * then takes over with {@link resume} (the normal refreshed heartbeat) on the same replyId.
   * False when the session is gone or being erased.
   */
  async startPending(sessionId: string, holdMs: number): Promise<boolean> {
    return this.open(sessionId, 'pending', holdMs, Math.max(this.settings.ttlSeconds, Math.ceil(holdMs / 1000)), true);
  }

  private async open(sessionId: string, heartbeat: string, heartbeatMs: number, ttlSeconds: number, pending: boolean): Promise<boolean> {
    const session = sessionKeys(this.settings.prefix, sessionId);
    const args = [session.hash, session.index, this.keys.stream, this.keys.heartbeat, sessionId, ttlSeconds, heartbeat, heartbeatMs, pending ? '1' : ''];
    return (await this.redis.eval(START_LUA, 4, ...args)) === 1;
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
      // XX: an erased reply's heartbeat is not brought back.
      this.redis.set(this.keys.heartbeat, '1', 'PX', this.settings.interruptMs, 'XX').catch(() => undefined);
    }, Math.max(200, Math.floor(this.settings.interruptMs / 3)));
    this.timer.unref();
  }

  /** Appends a delta; false when the stream is gone (its session was erased): stop generating. */
  async delta(text: string): Promise<boolean> {
    const id = await this.redis.xadd(this.keys.stream, 'NOMKSTREAM', '*', 'k', 'd', 'seq', String(this.seq++), 'd', text);
    return id !== null;
  }

  /** The final entry; also stops the heartbeat. Exactly one of `message`/`error` is usually set. */
  async finish(message: MessageRecord | null, error: ReplyErrorRecord | null): Promise<void> {
    this.stopHeartbeat();
    const fields = ['k', 'f', 'seq', String(this.seq++)];
    if (message) fields.push('m', JSON.stringify(message));
    if (error) fields.push('e', JSON.stringify(error));
    await this.redis
      .multi()
      .xadd(this.keys.stream, 'NOMKSTREAM', '*', ...fields)
      .expire(this.keys.stream, this.settings.ttlSeconds)
      .del(this.keys.heartbeat)
      .exec();
  }

  stopHeartbeat(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
