import { randomBytes } from 'node:crypto';
import type { LlmTurn } from '../llm/llm.provider';
import type { RedisClient } from '../redis/redis';
import type { LastKind, MessageRecord, SessionRecord } from './chat.records';

/** Messages a session keeps for the widget's transcript; older ones leave the display only. */
export const TRANSCRIPT_MAX = 200;

/** ≥128 bits from the CSPRNG, URL-safe: 18 bytes → 24 characters. */
export function newOpaqueId(): string {
  return randomBytes(18).toString('base64url');
}

const ID_RE = /^[A-Za-z0-9_-]{24}$/;

/** True when `id` has the shape of an id we issue; anything else cannot exist. */
export function isOpaqueId(id: string): boolean {
  return ID_RE.test(id);
}

// Appends messages only while the session exists (an expired session is never resurrected),
// trims the transcript, records what the assistant last said and refreshes every TTL, in one
// atomic step. Returns -1 when the session is gone, else the length of the unfolded history.
const APPEND_LUA = `
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local n = tonumber(ARGV[4])
for i = 1, n do
  redis.call('RPUSH', KEYS[2], ARGV[3 + 2 * i])
  local h = ARGV[4 + 2 * i]
  if h ~= '' then redis.call('RPUSH', KEYS[3], h) end
end
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[2]), -1)
if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'lastKind', ARGV[3]) end
redis.call('EXPIRE', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[2], ARGV[1])
redis.call('EXPIRE', KEYS[3], ARGV[1])
return redis.call('LLEN', KEYS[3])
`;

// Replaces the summary and drops exactly the folded turns from the head of the history, if
// the head is still what was summarised (appends only ever touch the tail).
const FOLD_LUA = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local n = tonumber(ARGV[1])
local head = redis.call('LRANGE', KEYS[2], 0, n - 1)
if #head < n or head[1] ~= ARGV[2] or head[n] ~= ARGV[3] then return 0 end
redis.call('LTRIM', KEYS[2], n, -1)
redis.call('HSET', KEYS[1], 'summary', ARGV[4])
return 1
`;

// Replaces one transcript entry (matched by its exact JSON) and, when ARGV[3] is not empty,
// appends a model-history turn; refreshes the TTLs. -1: session gone; 0: no such entry (a
// pending voice message already filled in or removed); else the history length.
const REPLACE_LUA = `
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local items = redis.call('LRANGE', KEYS[2], 0, -1)
for i = #items, 1, -1 do
  if items[i] == ARGV[1] then
    if ARGV[2] == '' then redis.call('LREM', KEYS[2], 1, ARGV[1]) else redis.call('LSET', KEYS[2], i - 1, ARGV[2]) end
    if ARGV[3] ~= '' then redis.call('RPUSH', KEYS[3], ARGV[3]) end
    redis.call('EXPIRE', KEYS[1], ARGV[4])
    redis.call('EXPIRE', KEYS[2], ARGV[4])
    redis.call('EXPIRE', KEYS[3], ARGV[4])
    return redis.call('LLEN', KEYS[3]) + 1
  end
end
return 0
`;

const UNLOCK_LUA = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

interface SessionCommands {
  chatAppend(k1: string, k2: string, k3: string, ...args: Array<string | number>): Promise<number>;
  chatFold(k1: string, k2: string, ...args: Array<string | number>): Promise<number>;
  chatUnlock(k1: string, token: string): Promise<number>;
  chatReplace(k1: string, k2: string, k3: string, ...args: Array<string | number>): Promise<number>;
}

export interface AppendMessage {
  message: MessageRecord;
  /** False for greetings and menus: they stay out of the model's history. */
  inHistory: boolean;
}

export interface ModelContext {
  summary: string | null;
  turns: LlmTurn[];
}

export interface FoldCandidate {
  summary: string | null;
  turns: LlmTurn[];
  raw: string[];
}

/**
 * Chat sessions in Redis (no in-memory fallback). Per session: a hash (business, summary,
 * what the assistant last said), the widget transcript (a bounded list) and the model
 * history (a list of turns not yet folded into the summary). Every write that depends on
 * what is there runs as one Lua script, so concurrent turns cannot interleave.
 *
 * A new session lives `unusedTtlSeconds` (SESSION_UNUSED_TTL_SECONDS): sessions started and
 * never written in (a startSession flood, a widget opened and left) go soon. Every append
 * follows a visitor action (a message, a click, a voice message) and sets the full
 * `ttlSeconds` (SESSION_TTL_SECONDS).
 */
export class SessionStore {
  private readonly redis: RedisClient & SessionCommands;

  constructor(
    redis: RedisClient,
    private readonly prefix: string,
    private readonly ttlSeconds: number,
    private readonly unusedTtlSeconds: number = ttlSeconds,
  ) {
    redis.defineCommand('chatAppend', { numberOfKeys: 3, lua: APPEND_LUA });
    redis.defineCommand('chatFold', { numberOfKeys: 2, lua: FOLD_LUA });
    redis.defineCommand('chatUnlock', { numberOfKeys: 1, lua: UNLOCK_LUA });
    redis.defineCommand('chatReplace', { numberOfKeys: 3, lua: REPLACE_LUA });
    this.redis = redis as RedisClient & SessionCommands;
  }

  private keys(id: string) {
    const base = `${this.prefix}chat:session:${id}`;
    return { hash: base, transcript: `${base}:transcript`, history: `${base}:history`, lock: `${base}:fold-lock` };
  }

  /** Creates a session bound to `businessId`, opening with `opening` (the greeting). */
  async create(businessId: string, opening: MessageRecord[]): Promise<SessionRecord> {
    const id = newOpaqueId();
    const k = this.keys(id);
    const multi = this.redis.multi().hset(k.hash, { businessId, createdAt: new Date().toISOString(), lastKind: 'greeting' });
    if (opening.length) multi.rpush(k.transcript, ...opening.map((m) => JSON.stringify(m)));
    await multi.expire(k.hash, this.unusedTtlSeconds).expire(k.transcript, this.unusedTtlSeconds).exec();
    return {
      id,
      businessId,
      summary: null,
      lastKind: 'greeting',
      messages: opening,
      expiresAt: new Date(Date.now() + this.unusedTtlSeconds * 1000),
    };
  }

  /** The session, or null when it is unknown or expired. */
  async get(id: string): Promise<SessionRecord | null> {
    if (!isOpaqueId(id)) return null;
    const k = this.keys(id);
    const res = await this.redis.multi().hgetall(k.hash).lrange(k.transcript, 0, -1).pttl(k.hash).exec();
    if (!res) return null;
    for (const [err] of res) if (err) throw err;
    const hash = res[0][1] as Record<string, string>;
    if (!hash.businessId) return null;
    const pttl = res[2][1] as number;
    return {
      id,
      businessId: hash.businessId,
      summary: hash.summary || null,
      lastKind: (hash.lastKind as LastKind) || null,
      messages: (res[1][1] as string[]).map((m) => JSON.parse(m) as MessageRecord),
      expiresAt: new Date(Date.now() + Math.max(0, pttl)),
    };
  }

  /**
   * Appends messages atomically and refreshes the TTL. Returns false when the session is
   * gone (expired or ended meanwhile); nothing is written then.
   */
  async append(id: string, messages: AppendMessage[], lastKind: LastKind | null): Promise<{ ok: boolean; historyLength: number }> {
    const k = this.keys(id);
    const args: Array<string | number> = [this.ttlSeconds, TRANSCRIPT_MAX, lastKind ?? '', messages.length];
    for (const { message, inHistory } of messages) {
      args.push(JSON.stringify(message));
      args.push(inHistory ? JSON.stringify(toTurn(message)) : '');
    }
    const length = await this.redis.chatAppend(k.hash, k.transcript, k.history, ...args);
    return { ok: length >= 0, historyLength: Math.max(0, length) };
  }

  /**
   * Fills in a visitor message stored with empty text (a voice message the worker just
   * transcribed) and adds it to the model history, atomically. `gone`: the session expired or
   * ended; `absent`: the message is no longer pending (already filled in: a retried job).
   */
  async fillPending(id: string, pending: MessageRecord, text: string): Promise<'ok' | 'gone' | 'absent'> {
    const k = this.keys(id);
    const filled: MessageRecord = { ...pending, text };
    const n = await this.redis.chatReplace(k.hash, k.transcript, k.history, JSON.stringify(pending), JSON.stringify(filled), JSON.stringify(toTurn(filled)), this.ttlSeconds);
    return n < 0 ? 'gone' : n === 0 ? 'absent' : 'ok';
  }

  /** Removes a pending (empty) visitor message whose voice turn failed; false when it is not there. */
  async removePending(id: string, pending: MessageRecord): Promise<boolean> {
    const k = this.keys(id);
    return (await this.redis.chatReplace(k.hash, k.transcript, k.history, JSON.stringify(pending), '', '', this.ttlSeconds)) > 0;
  }

  /** What the model sees: the running summary, the last `maxTurns` turns and the current message. */
  async modelContext(id: string, maxTurns: number): Promise<ModelContext> {
    const k = this.keys(id);
    const res = await this.redis.multi().hget(k.hash, 'summary').lrange(k.history, -(2 * maxTurns + 1), -1).exec();
    if (!res) return { summary: null, turns: [] };
    for (const [err] of res) if (err) throw err;
    return {
      summary: (res[0][1] as string | null) || null,
      turns: (res[1][1] as string[]).map((t) => JSON.parse(t) as LlmTurn),
    };
  }

  /**
   * Takes the fold lock and returns the turns that left the window of `maxTurns` turns, or
   * null when there is nothing to fold or another process is folding this session.
   */
  async beginFold(id: string, maxTurns: number): Promise<(FoldCandidate & { token: string }) | null> {
    const k = this.keys(id);
    const length = await this.redis.llen(k.history);
    const excess = length - 2 * maxTurns;
    if (excess <= 0) return null;
    const token = newOpaqueId();
    const locked = await this.redis.set(k.lock, token, 'PX', 60_000, 'NX');
    if (!locked) return null;
    const res = await this.redis.multi().hget(k.hash, 'summary').lrange(k.history, 0, excess - 1).exec();
    for (const [err] of res ?? []) if (err) throw err;
    const raw = (res?.[1][1] as string[]) ?? [];
    return { token, summary: (res?.[0][1] as string | null) || null, raw, turns: raw.map((t) => JSON.parse(t) as LlmTurn) };
  }

  /** Stores the new summary and removes the folded turns; returns false when the head changed. */
  async commitFold(id: string, fold: FoldCandidate, summary: string): Promise<boolean> {
    const k = this.keys(id);
    const n = fold.raw.length;
    return (await this.redis.chatFold(k.hash, k.history, n, fold.raw[0], fold.raw[n - 1], summary)) === 1;
  }

  async endFold(id: string, token: string): Promise<void> {
    await this.redis.chatUnlock(this.keys(id).lock, token);
  }

  /**
   * Erases every session of `businessId` (deleteBusiness). Sessions are not indexed by
   * business, so this SCANs the session hashes: O(sessions), acceptable for a rare admin
   * action and it keeps the hot path free of a per-business set. Returns how many it erased.
   */
  async deleteForBusiness(businessId: string): Promise<number> {
    const base = `${this.prefix}chat:session:`;
    let erased = 0;
    for await (const batch of this.redis.scanStream({ match: `${base}*`, count: 500 }) as AsyncIterable<string[]>) {
      for (const key of batch) {
        const id = key.slice(base.length);
        if (!isOpaqueId(id)) continue; // the transcript/history/lock keys of a session
        if ((await this.redis.hget(key, 'businessId')) === businessId && (await this.delete(id))) erased++;
      }
    }
    return erased;
  }

  /** Erases the session now; true when it existed. */
  async delete(id: string): Promise<boolean> {
    if (!isOpaqueId(id)) return false;
    const k = this.keys(id);
    return (await this.redis.del(k.hash, k.transcript, k.history, k.lock)) > 0;
  }
}

function toTurn(message: MessageRecord): LlmTurn {
  return { role: message.role === 'USER' ? 'user' : 'model', text: message.text };
}
