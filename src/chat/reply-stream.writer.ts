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
  /**
   * Deltas after the first wait at most this long to share one stream entry (REPLY_COALESCE_MS;
   * 0: every delta is its own entry, written at once).
   */
  coalesceMs?: number;
  /** A waiting batch is written as soon as it holds this many characters (REPLY_COALESCE_CHARS). */
  coalesceChars?: number;
}

// The final entry, the stream's TTL and the heartbeat's deletion in one step, so a reader that
// misses the heartbeat has always been able to read the final entry first; a delta still
// waiting is written just before it. Nothing is written to a stream that no longer exists
// (its session was erased). ARGV: ttl, final seq, last delta's seq ('' when none), its text,
// then the final entry's fields.
const FINISH_LUA = `
if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('DEL', KEYS[2]) return 0 end
if ARGV[3] ~= '' then redis.call('XADD', KEYS[1], '*', 'k', 'd', 'seq', ARGV[3], 'd', ARGV[4]) end
redis.call('XADD', KEYS[1], '*', 'k', 'f', 'seq', ARGV[2], unpack(ARGV, 5))
redis.call('EXPIRE', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[2])
return 1
`;

interface WriterCommands {
  replyStart(hash: string, index: string, stream: string, heartbeat: string, ...args: Array<string | number>): Promise<number>;
  replyClaim(heartbeat: string, stream: string, ...args: Array<string | number>): Promise<number>;
  replyFinish(stream: string, heartbeat: string, ...args: Array<string | number>): Promise<number>;
}

const defined = new WeakSet<RedisClient>();

function withCommands(redis: RedisClient): RedisClient & WriterCommands {
  // EVALSHA (ioredis loads a script once, on NOSCRIPT): a turn no longer sends START_LUA's text.
  if (!defined.has(redis)) {
    redis.defineCommand('replyStart', { numberOfKeys: 4, lua: START_LUA });
    redis.defineCommand('replyClaim', { numberOfKeys: 2, lua: CLAIM_LUA });
    redis.defineCommand('replyFinish', { numberOfKeys: 2, lua: FINISH_LUA });
    defined.add(redis);
  }
  return redis as RedisClient & WriterCommands;
}

/**
 * Writes one reply into its Redis Stream: a start entry (binding it to its session), delta
 * entries (`seq`, `d`) and a final entry holding the whole message or the error. While it
 * writes it keeps a heartbeat key alive, so readers on any process can tell a slow generator
 * from a dead one.
 *
 * Write path (issue 15): the first delta is written at once; later ones are coalesced, for at
 * most `coalesceMs` or until `coalesceChars` characters wait, into one entry. Entries are sent
 * without waiting for the previous one (one connection keeps them in order), so {@link delta}
 * never waits for Redis; `seq` is given when an entry is sent, so it stays dense and a replay
 * from any `fromSeq` is exact. The heartbeat is refreshed by a write that happens to be due
 * for it (piggybacked in the same pipeline); the timer only writes it when no entry did
 * during a third of its lifetime.
 *
 * Failures: a write Redis refuses makes the next {@link delta} (and {@link finish}) throw, so
 * the generator ends the reply with an error entry if Redis is back, or stops and lets the
 * heartbeat lapse (readers then report INTERRUPTED). A stream that is gone (expired, or its
 * session erased) is never re-created: deltas return false from then on.
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
  private readonly redis: RedisClient & WriterCommands;
  /** Text waiting to become one entry. */
  private batch = '';
  private flushTimer: NodeJS.Timeout | undefined;
  private wroteDelta = false;
  private readonly inFlight = new Set<Promise<void>>();
  private failure: Error | null = null;
  private gone = false;
  private lastBeat = 0;

  constructor(
    redis: RedisClient,
    readonly replyId: string,
    private readonly settings: ReplyStreamSettings,
  ) {
    this.redis = withCommands(redis);
    this.keys = replyKeys(settings.prefix, replyId);
  }

  /** Opens the reply in session `sessionId`; false when the session is gone or being erased. */
  async start(sessionId: string): Promise<boolean> {
    if (!(await this.open(sessionId, '1', this.settings.interruptMs, this.settings.ttlSeconds, false))) return false;
    this.lastBeat = Date.now();
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
    return (await this.redis.replyStart(session.hash, session.index, this.keys.stream, this.keys.heartbeat, sessionId, ttlSeconds, heartbeat, heartbeatMs, pending ? '1' : '')) === 1;
  }

  /**
   * Takes over a reply opened with {@link startPending}: refreshed heartbeat, seq from 0. Atomic
   * and once only: false when the pending hold is gone (another run took the reply over, or
   * it ended), so a job delivered twice never generates twice.
   */
  async resume(): Promise<boolean> {
    if (!(await this.claim())) return false;
    this.lastBeat = Date.now();
    this.startHeartbeat();
    return true;
  }

  /** The once-only takeover of a pending reply, without a heartbeat timer (to end it at once). */
  async claim(): Promise<boolean> {
    return (await this.redis.replyClaim(this.keys.heartbeat, this.keys.stream, this.settings.interruptMs, this.settings.ttlSeconds)) === 1;
  }

  private get beatEveryMs(): number {
    return Math.max(200, Math.floor(this.settings.interruptMs / 3));
  }

  private startHeartbeat(): void {
    this.timer = setInterval(() => {
      if (Date.now() - this.lastBeat < this.beatEveryMs) return; // an entry refreshed it
      this.lastBeat = Date.now();
      // XX: a heartbeat that is gone (reply finished or erased) is not brought back.
      this.redis.set(this.keys.heartbeat, '1', 'PX', this.settings.interruptMs, 'XX').catch(() => undefined);
    }, this.beatEveryMs);
    this.timer.unref();
  }

  /**
   * Adds a delta; resolves at once (the entry is written in the background, see the class
   * note). False when the stream is gone (its session was erased): stop generating. Rejects
   * when an earlier write failed.
   */
  delta(text: string): Promise<boolean> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.gone) return Promise.resolve(false);
    if (!text) return Promise.resolve(true);
    this.batch += text;
    const ms = this.settings.coalesceMs ?? 0;
    if (!this.wroteDelta || ms <= 0 || this.batch.length >= (this.settings.coalesceChars ?? 256)) this.flush();
    else this.flushTimer ??= setTimeout(() => this.flush(), ms);
    return Promise.resolve(true);
  }

  /** Sends the waiting batch as one entry, with the heartbeat when it is due. */
  private flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (!this.batch || this.gone || this.failure) return;
    const text = this.batch;
    this.batch = '';
    this.wroteDelta = true;
    const seq = String(this.seq++);
    let write: Promise<unknown>;
    if (Date.now() - this.lastBeat >= this.beatEveryMs && this.timer) {
      this.lastBeat = Date.now();
      write = this.redis
        .pipeline()
        .xadd(this.keys.stream, 'NOMKSTREAM', '*', 'k', 'd', 'seq', seq, 'd', text)
        .set(this.keys.heartbeat, '1', 'PX', this.settings.interruptMs, 'XX')
        .exec()
        .then((results) => {
          const [err, id] = results?.[0] ?? [new Error('no reply')];
          if (err) throw err;
          return id;
        });
    } else {
      write = this.redis.xadd(this.keys.stream, 'NOMKSTREAM', '*', 'k', 'd', 'seq', seq, 'd', text);
    }
    const tracked: Promise<void> = write.then(
      (id) => {
        if (id === null) this.gone = true;
      },
      (err: unknown) => {
        this.failure ??= err instanceof Error ? err : new Error(String(err));
      },
    );
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
  }

  /** Resolves when every entry sent so far has been answered; rejects when one failed. */
  async flushed(): Promise<void> {
    this.flush();
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
    if (this.failure) throw this.failure;
  }

  /**
   * The final entry (after the waiting batch, if any, in the same script); also stops the
   * heartbeat. Exactly one of `message`/`error` is usually set. Rejects when this or an
   * earlier write failed.
   */
  async finish(message: MessageRecord | null, error: ReplyErrorRecord | null): Promise<void> {
    this.stopHeartbeat();
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    let lastSeq = '';
    let lastText = '';
    if (this.batch && !this.gone) {
      lastSeq = String(this.seq++);
      lastText = this.batch;
      this.batch = '';
    }
    const args: Array<string | number> = [this.settings.ttlSeconds, this.seq++, lastSeq, lastText];
    if (message) args.push('m', JSON.stringify(message));
    if (error) args.push('e', JSON.stringify(error));
    const finished = this.redis.replyFinish(this.keys.stream, this.keys.heartbeat, ...args);
    const earlier = [...this.inFlight];
    await Promise.all([finished, ...earlier]);
    if (this.failure) throw this.failure;
  }

  stopHeartbeat(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
