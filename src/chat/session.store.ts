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

// Shared head of the scripts that write to a live session: -1 when the session is gone or
// being erased (sealed by endSession/deleteBusiness). Refreshing a session's TTL also refreshes
// its key index (KEYS[4]) and its business's session set (named from ARGV[#ARGV], the prefix):
// all sessions share one TTL, so the set always outlives its members.
const LIVE_LUA = `
if redis.call('EXISTS', KEYS[1]) == 0 or redis.call('HEXISTS', KEYS[1], 'sealed') == 1 then return -1 end
local function touch(ttl)
  redis.call('EXPIRE', KEYS[1], ttl)
  redis.call('EXPIRE', KEYS[2], ttl)
  redis.call('EXPIRE', KEYS[3], ttl)
  redis.call('EXPIRE', KEYS[4], ttl)
  local b = redis.call('HGET', KEYS[1], 'businessId')
  if b then redis.call('EXPIRE', ARGV[#ARGV] .. 'chat:business:' .. b .. ':sessions', ttl) end
end
`;

// Appends messages only while the session exists (an expired or ended session is never
// resurrected), trims the transcript, records what the assistant last said and refreshes every
// TTL, in one atomic step. Returns -1 when the session is gone, else the length of the unfolded history.
const APPEND_LUA = `${LIVE_LUA}
local n = tonumber(ARGV[4])
for i = 1, n do
  redis.call('RPUSH', KEYS[2], ARGV[3 + 2 * i])
  local h = ARGV[4 + 2 * i]
  if h ~= '' then redis.call('RPUSH', KEYS[3], h) end
end
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[2]), -1)
if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'lastKind', ARGV[3]) end
touch(ARGV[1])
return redis.call('LLEN', KEYS[3])
`;

// Replaces the summary and drops exactly the folded turns from the head of the history, if
// the head is still what was summarised (appends only ever touch the tail).
const FOLD_LUA = `
if redis.call('EXISTS', KEYS[1]) == 0 or redis.call('HEXISTS', KEYS[1], 'sealed') == 1 then return 0 end
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
const REPLACE_LUA = `${LIVE_LUA}
local items = redis.call('LRANGE', KEYS[2], 0, -1)
for i = #items, 1, -1 do
  if items[i] == ARGV[1] then
    if ARGV[2] == '' then redis.call('LREM', KEYS[2], 1, ARGV[1]) else redis.call('LSET', KEYS[2], i - 1, ARGV[2]) end
    if ARGV[3] ~= '' then redis.call('RPUSH', KEYS[3], ARGV[3]) end
    touch(ARGV[4])
    return redis.call('LLEN', KEYS[3]) + 1
  end
end
return 0
`;

// Adds entries to a live session's key index (what erasure must remove with it); the index
// lives exactly as long as the session. 0 when the session is gone or sealed.
const ATTACH_LUA = `
if redis.call('HEXISTS', KEYS[1], 'sealed') == 1 then return 0 end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then return 0 end
redis.call('SADD', KEYS[2], unpack(ARGV))
redis.call('PEXPIRE', KEYS[2], ttl)
return 1
`;

// Step one of erasing sessions (ARGV: the prefix, then session ids): each live session is
// sealed (every later write to it fails) and its business id and indexed non-key entries
// (queued job references) are returned, flattened as id, businessId, n, entries…
const SEAL_LUA = `
local out = {}
local prefix = ARGV[1]
for i = 2, #ARGV do
  local base = prefix .. 'chat:session:' .. ARGV[i]
  local b = redis.call('HGET', base, 'businessId')
  if b then
    redis.call('HSET', base, 'sealed', '1')
    local refs = {}
    for _, m in ipairs(redis.call('SMEMBERS', base .. ':keys')) do
      if string.sub(m, 1, #prefix) ~= prefix then refs[#refs + 1] = m end
    end
    out[#out + 1] = ARGV[i]
    out[#out + 1] = b
    out[#out + 1] = tostring(#refs)
    for _, r in ipairs(refs) do out[#out + 1] = r end
  end
end
return out
`;

// Step two (ARGV: the prefix, then session ids): deletes each session's keys, every key its
// index names (reply streams and heartbeats, parked audio; only keys under our prefix), the
// index, and the session's entry in its business's set. Returns the number of keys deleted.
const ERASE_LUA = `
local prefix = ARGV[1]
local deleted = 0
for i = 2, #ARGV do
  local base = prefix .. 'chat:session:' .. ARGV[i]
  local b = redis.call('HGET', base, 'businessId')
  for _, m in ipairs(redis.call('SMEMBERS', base .. ':keys')) do
    if string.sub(m, 1, #prefix) == prefix then deleted = deleted + redis.call('DEL', m) end
  end
  deleted = deleted + redis.call('DEL', base, base .. ':transcript', base .. ':history', base .. ':fold-lock', base .. ':keys')
  if b then redis.call('SREM', prefix .. 'chat:business:' .. b .. ':sessions', ARGV[i]) end
end
return deleted
`;

// What a turn needs before anything is written, in one step: the session's owner, what the
// assistant last said, the summary and the last ARGV[1] history turns. Empty when the session
// is gone or sealed.
const TURN_LUA = `
local h = redis.call('HMGET', KEYS[1], 'businessId', 'lastKind', 'summary', 'sealed')
if not h[1] or h[4] then return {} end
local n = tonumber(ARGV[1])
local turns = {}
if n > 0 then turns = redis.call('LRANGE', KEYS[2], -n, -1) end
return {h[1], h[2] or '', h[3] or '', unpack(turns)}
`;

const UNLOCK_LUA = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

interface SessionCommands {
  chatAppend(k1: string, k2: string, k3: string, k4: string, ...args: Array<string | number>): Promise<number>;
  chatAttach(k1: string, k2: string, ...entries: string[]): Promise<number>;
  chatSeal(...args: string[]): Promise<string[]>;
  chatErase(...args: string[]): Promise<number>;
  chatFold(k1: string, k2: string, ...args: Array<string | number>): Promise<number>;
  chatUnlock(k1: string, token: string): Promise<number>;
  chatTurn(hash: string, history: string, turns: number): Promise<string[]>;
  chatReplace(k1: string, k2: string, k3: string, k4: string, ...args: Array<string | number>): Promise<number>;
}

export interface AppendMessage {
  message: MessageRecord;
  /** False for greetings and menus: they stay out of the model's history. */
  inHistory: boolean;
}

/** A session sealed for erasure: what the erasers of other features need to know. */
export interface SealedSession {
  id: string;
  businessId: string;
  /**
   * References the session's key index holds that are not Redis keys of ours: queued jobs
   * carrying the session id, as `job:<job name>:<job id>` (see {@link jobRef}).
   */
  refs: string[];
}

/** How a queued job is named in a session's key index. */
export function jobRef(name: string, jobId: string): string {
  return `job:${name}:${jobId}`;
}

/** The job name and id of a {@link jobRef}, or null for anything else. */
export function parseJobRef(ref: string): { name: string; jobId: string } | null {
  const m = /^job:([^:]+):(.+)$/.exec(ref);
  return m ? { name: m[1], jobId: m[2] } : null;
}

/** The Redis keys of one session (the reply stream writer indexes its stream under `index`). */
export function sessionKeys(prefix: string, id: string) {
  const base = `${prefix}chat:session:${id}`;
  return { hash: base, transcript: `${base}:transcript`, history: `${base}:history`, lock: `${base}:fold-lock`, index: `${base}:keys` };
}

/** The set of a business's session ids (deleteBusiness erases them without a keyspace SCAN). */
export function businessSessionsKey(prefix: string, businessId: string): string {
  return `${prefix}chat:business:${businessId}:sessions`;
}

/** What a turn needs of its session before anything is written. */
export type SessionHead = Pick<SessionRecord, 'id' | 'businessId' | 'lastKind'>;

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
 * what the assistant last said), the widget transcript (a bounded list), the model
 * history (a list of turns not yet folded into the summary) and a key index (a set naming
 * every other key that holds the session's data: reply streams and their heartbeats, parked
 * audio, plus references to queued jobs carrying the session id). Per business: a set of its
 * session ids. Every write that depends on what is there runs as one Lua script, so
 * concurrent turns cannot interleave.
 *
 * Erasure is two steps, {@link seal} then {@link erase}: sealing makes every later write to
 * the session fail (a reply still generating cannot store its message or resurrect a key), so
 * other erasers (queued jobs, Postgres) can run in between and a failure anywhere leaves a
 * sealed session that the next endSession / deleteBusiness erases again.
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
    redis.defineCommand('chatAppend', { numberOfKeys: 4, lua: APPEND_LUA });
    redis.defineCommand('chatAttach', { numberOfKeys: 2, lua: ATTACH_LUA });
    redis.defineCommand('chatSeal', { numberOfKeys: 0, lua: SEAL_LUA });
    redis.defineCommand('chatErase', { numberOfKeys: 0, lua: ERASE_LUA });
    redis.defineCommand('chatFold', { numberOfKeys: 2, lua: FOLD_LUA });
    redis.defineCommand('chatUnlock', { numberOfKeys: 1, lua: UNLOCK_LUA });
    redis.defineCommand('chatTurn', { numberOfKeys: 2, lua: TURN_LUA });
    redis.defineCommand('chatReplace', { numberOfKeys: 4, lua: REPLACE_LUA });
    this.redis = redis as RedisClient & SessionCommands;
  }

  private keys(id: string) {
    return sessionKeys(this.prefix, id);
  }

  /** Creates a session bound to `businessId`, opening with `opening` (the greeting). */
  async create(businessId: string, opening: MessageRecord[]): Promise<SessionRecord> {
    const id = newOpaqueId();
    const k = this.keys(id);
    const businessSet = businessSessionsKey(this.prefix, businessId);
    const multi = this.redis.multi().hset(k.hash, { businessId, createdAt: new Date().toISOString(), lastKind: 'greeting' });
    if (opening.length) multi.rpush(k.transcript, ...opening.map((m) => JSON.stringify(m)));
    // The business set keeps the full TTL: the newest refresh of it is always the latest expiry.
    multi.sadd(businessSet, id).expire(businessSet, this.ttlSeconds);
    const res = await multi.expire(k.hash, this.unusedTtlSeconds).expire(k.transcript, this.unusedTtlSeconds).exec();
    for (const [err] of res ?? []) if (err) throw err;
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
    if (!hash.businessId || hash.sealed) return null;
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
    const length = await this.redis.chatAppend(k.hash, k.transcript, k.history, k.index, ...args, this.prefix);
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
    const n = await this.redis.chatReplace(k.hash, k.transcript, k.history, k.index, JSON.stringify(pending), JSON.stringify(filled), JSON.stringify(toTurn(filled)), this.ttlSeconds, this.prefix);
    return n < 0 ? 'gone' : n === 0 ? 'absent' : 'ok';
  }

  /** Removes a pending (empty) visitor message whose voice turn failed; false when it is not there. */
  async removePending(id: string, pending: MessageRecord): Promise<boolean> {
    const k = this.keys(id);
    return (await this.redis.chatReplace(k.hash, k.transcript, k.history, k.index, JSON.stringify(pending), '', '', this.ttlSeconds, this.prefix)) > 0;
  }

  /**
   * The session as a turn needs it (owner, what was said last) and, when `maxTurns` > 0, what
   * the model sees before this turn: the summary and the last `maxTurns` turns. One command;
   * null when the session is unknown, expired or being erased. The transcript is not read.
   */
  async turnState(id: string, maxTurns: number): Promise<(SessionHead & { context: ModelContext }) | null> {
    if (!isOpaqueId(id)) return null;
    const k = this.keys(id);
    const res = await this.redis.chatTurn(k.hash, k.history, 2 * maxTurns);
    if (res.length === 0) return null;
    const [businessId, lastKind, summary, ...turns] = res;
    return {
      id,
      businessId,
      lastKind: (lastKind as LastKind) || null,
      context: { summary: summary || null, turns: turns.map((t) => JSON.parse(t) as LlmTurn) },
    };
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
   * Records keys (full, prefixed names) and job references ({@link jobRef}) that hold this
   * session's data, so erasing the session removes them too. False when the session is gone or
   * being erased: the caller must then drop what it was about to keep.
   */
  async attach(id: string, entries: string[]): Promise<boolean> {
    if (!isOpaqueId(id) || entries.length === 0) return false;
    const k = this.keys(id);
    return (await this.redis.chatAttach(k.hash, k.index, ...entries)) === 1;
  }

  /** The business a session belongs to, sealed (being erased) or not; null when it is gone. */
  async ownerOf(id: string): Promise<string | null> {
    if (!isOpaqueId(id)) return null;
    return this.redis.hget(this.keys(id).hash, 'businessId');
  }

  /**
   * Seals sessions for erasure (one script): from now on every write to them fails. Returns
   * the sessions that existed, with their business and job references.
   */
  async seal(ids: string[]): Promise<SealedSession[]> {
    const valid = ids.filter(isOpaqueId);
    if (valid.length === 0) return [];
    const flat = await this.redis.chatSeal(this.prefix, ...valid);
    const out: SealedSession[] = [];
    for (let i = 0; i < flat.length; ) {
      const id = flat[i++];
      const businessId = flat[i++];
      const n = Number(flat[i++]);
      out.push({ id, businessId, refs: flat.slice(i, i + n) });
      i += n;
    }
    return out;
  }

  /**
   * Deletes sessions and every key their index names, in one script; returns how many keys
   * went. Idempotent: erasing an erased session deletes nothing.
   */
  async erase(ids: string[]): Promise<number> {
    const valid = ids.filter(isOpaqueId);
    if (valid.length === 0) return 0;
    return this.redis.chatErase(this.prefix, ...valid);
  }

  /**
   * The session ids of a business, in batches, from its session set (SSCAN of that one set,
   * never of the keyspace). Ids of sessions that expired on their own may be among them.
   */
  async *businessSessions(businessId: string, batch = 500): AsyncGenerator<string[]> {
    const key = businessSessionsKey(this.prefix, businessId);
    let cursor = '0';
    do {
      const [next, ids] = await this.redis.sscan(key, cursor, 'COUNT', batch);
      cursor = next;
      if (ids.length) yield ids;
    } while (cursor !== '0');
  }

  /** Drops a business's session set once its sessions are erased. */
  async forgetBusiness(businessId: string): Promise<void> {
    await this.redis.del(businessSessionsKey(this.prefix, businessId));
  }
}

function toTurn(message: MessageRecord): LlmTurn {
  return { role: message.role === 'USER' ? 'user' : 'model', text: message.text };
}
