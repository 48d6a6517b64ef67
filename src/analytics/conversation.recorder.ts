import type { Knex } from '@mikro-orm/postgresql';
import { hostname } from 'node:os';
import type { ChatEvent } from '../chat/chat.events';
import type { Orm } from '../db/orm';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { RedisClient } from '../redis/redis';
import { dirtyKey, pendingKeys } from './conversation.log';
import { MARK_DAYS_FROM } from './analytics.rollup';
import { normalizeQuestion, questionKey } from './questions';
import { randomUUID } from 'node:crypto';

/** Sessions one batch takes (one Postgres transaction). */
const BATCH_SESSIONS = 200;
/** Events read per session and batch. */
const BATCH_EVENTS = 500;
/** One worker drains at a time; a worker that died releases the lock after this. */
const LOCK_MS = 60_000;

// Removes exactly the `n` events a batch stored from the head of the session's queue (if the
// head is still the first of them), and the session from the dirty set once its queue is empty.
const TRIM_LUA = `
if redis.call('LINDEX', KEYS[1], 0) == ARGV[2] then redis.call('LTRIM', KEYS[1], tonumber(ARGV[1]), -1) end
if redis.call('LLEN', KEYS[1]) == 0 then redis.call('SREM', KEYS[2], ARGV[3]) end
return 1
`;
const UNLOCK_LUA = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

interface RecorderCommands {
  conversationTrim(list: string, dirty: string, n: number, head: string, sessionId: string): Promise<number>;
  conversationUnlock(lock: string, token: string): Promise<number>;
}

interface MessageRow {
  id: string;
  conversationId: string;
  role: string;
  text: string;
  createdAt: string;
  idx: number;
  sources: unknown[];
  ctas: unknown[];
}

interface EventRow {
  id: string;
  businessId: string;
  sessionId: string;
  kind: string;
  at: string;
  text: string | null;
  questionNorm: string | null;
  questionKey: string | null;
  voice: boolean;
  ctaId: string | null;
  ctaLabel: string | null;
  provider: string | null;
  firstTokenMs: number | null;
}

/**
 * Takes the per-session locks that order the worker's writes and the visitor's erasure of
 * the same sessions (transaction-scoped advisory locks, taken in one sorted order: no deadlock).
 */
async function lockSessions(knex: Knex | Knex.Transaction, sessionIds: string[]): Promise<void> {
  await knex.raw(
    "select pg_advisory_xact_lock(h) from (select distinct hashtext('conversation:' || x) h from unnest(?::text[]) x order by h) s",
    [pgArray(sessionIds)],
  );
}

/**
 * Erases the conversation records of `sessionIds` (one transaction): a tombstone per session
 * (the worker stores nothing more for it), the conversation and its messages deleted, its
 * analytics events and feedback kept for the counts with every visitor text (question,
 * comment) nulled. Idempotent. Serialised with the worker's batches by per-session locks, so a
 * batch the worker read before the erasure either commits first (and is deleted here) or sees
 * the tombstone.
 */
export async function eraseConversations(orm: Orm, sessionIds: string[]): Promise<void> {
  if (!sessionIds.length) return;
  await orm.em.fork().transactional(async (em) => {
    const trx = em.getTransactionContext<Knex.Transaction>()!;
    const ids = pgArray(sessionIds);
    await lockSessions(trx, sessionIds);
    await trx.raw('insert into erased_conversations (id, erased_at) select x, now() from unnest(?::text[]) x on conflict (id) do nothing', [ids]);
    await trx.raw('delete from conversations where id = any(?::text[])', [ids]);
    // The texts go, the counts stay; the days touched are rolled up again (their question groups change).
    await trx.raw(
      `with erased as (update analytics_events set text = null, question_norm = null, question_key = null
                        where session_id = any(?::text[]) and (text is not null or question_key is not null) returning business_id, at)
       ${MARK_DAYS_FROM('erased')}`,
      [ids],
    );
    await trx.raw('update message_feedback set comment = null, session_id = null where session_id = any(?::text[])', [ids]);
  });
}

/**
 * The worker's side of the conversation record: drains the per-session event queues
 * (conversation.log.ts) into Postgres, up to BATCH_SESSIONS sessions per transaction. Events
 * are removed from Redis only after their rows committed; one worker drains at a time (a
 * Redis lock, released by a dead worker after LOCK_MS).
 *
 * Failures: Postgres down mid-batch → the transaction rolls back, nothing is removed, the same
 * events are read again on the next call. Every insert is idempotent (message and event ids
 * come from the api), so a batch that committed but was not trimmed (Redis gone between the
 * two, or the worker killed) is harmless when replayed. An event that fails on its own while
 * Postgres answers (a bug, not an outage) is logged and dropped, so it cannot stall the queue.
 */
export class ConversationRecorder {
  private readonly redis: RedisClient & RecorderCommands;
  private readonly token = `${hostname()}-${process.pid}-${randomUUID()}`;

  constructor(
    private readonly deps: { redis: RedisClient; orm: Orm; prefix: string; metrics: Metrics; logger: Logger },
  ) {
    deps.redis.defineCommand('conversationTrim', { numberOfKeys: 2, lua: TRIM_LUA });
    deps.redis.defineCommand('conversationUnlock', { numberOfKeys: 1, lua: UNLOCK_LUA });
    this.redis = deps.redis as RedisClient & RecorderCommands;
  }

  /** Stores one batch; returns how many events it handled (0: nothing to do, or another worker is draining). */
  async drainOnce(): Promise<number> {
    const { prefix } = this.deps;
    const lock = `${prefix}conversations:drain-lock`;
    if ((await this.redis.set(lock, this.token, 'PX', LOCK_MS, 'NX')) !== 'OK') return 0;
    try {
      const ids = (await this.redis.srandmember(dirtyKey(prefix), BATCH_SESSIONS));
      if (!ids.length) return 0;
      const pipeline = this.redis.pipeline();
      for (const id of ids) pipeline.lrange(pendingKeys(prefix, id).list, 0, BATCH_EVENTS - 1);
      const lists = ((await pipeline.exec()) ?? []).map(([err, value]) => {
        if (err) throw err;
        return value as string[];
      });
      const events: ChatEvent[] = [];
      lists.forEach((raw) => {
        for (const json of raw) {
          try {
            events.push(JSON.parse(json) as ChatEvent);
          } catch {
            this.deps.logger.error('unreadable chat event dropped');
          }
        }
      });
      await this.store(events);
      const trim = this.redis.pipeline() as unknown as RecorderCommands & { exec(): Promise<unknown> };
      ids.forEach((id, i) => {
        const { list, dirty } = pendingKeys(prefix, id);
        void trim.conversationTrim(list, dirty, lists[i].length, lists[i][0] ?? '', id);
      });
      await trim.exec();
      this.deps.metrics.conversationRecords.inc({ outcome: 'stored' }, events.length);
      return Math.max(events.length, 1);
    } finally {
      await this.redis.conversationUnlock(lock, this.token).catch(() => undefined);
    }
  }

  /** Drains until nothing is queued (tests; the worker's loop calls drainOnce). */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.drainOnce();
      total += n;
      if (n === 0) return total;
    }
  }

  private async store(events: ChatEvent[]): Promise<void> {
    try {
      await this.write(events);
    } catch (err) {
      // Postgres down: keep everything queued and let the next call retry.
      await this.deps.orm.em.getConnection().execute('select 1').catch((down: unknown) => {
        throw Object.assign(new Error(`conversation records not stored: ${String(down)}`), { cause: err });
      });
      // Postgres answers, so one event is bad: store the others one by one, drop the bad one.
      for (const event of events) {
        await this.write([event]).catch((one: unknown) => {
          this.deps.logger.error('chat event could not be stored; dropped', { kind: event.kind, error: String(one) });
        });
      }
    }
  }

  private async write(events: ChatEvent[]): Promise<void> {
    const conversations = new Map<string, { businessId: string; startedAt: string; lastAt: string }>();
    const messages: MessageRow[] = [];
    const rows: EventRow[] = [];
    const engaged = new Set<string>();
    for (const event of events) {
      const conv = conversations.get(event.sessionId) ?? { businessId: event.businessId, startedAt: event.at, lastAt: event.at };
      if (event.at < conv.startedAt) conv.startedAt = event.at;
      event.messages.forEach((m, idx) => {
        if (m.createdAt > conv.lastAt) conv.lastAt = m.createdAt;
        messages.push({
          id: m.id,
          conversationId: event.sessionId,
          role: m.role,
          text: m.text,
          createdAt: m.createdAt,
          idx,
          sources: m.sources ?? [],
          ctas: m.ctas ?? [],
        });
      });
      conversations.set(event.sessionId, conv);
      const base = { businessId: event.businessId, sessionId: event.sessionId, at: event.at, text: null, questionNorm: null, questionKey: null, voice: false, ctaId: null, ctaLabel: null, provider: null, firstTokenMs: null };
      // Event ids derive from the first message id, so a replayed entry inserts nothing twice.
      const first = event.messages[0]?.id ?? randomUUID();
      if (event.kind === 'session_started') rows.push({ ...base, id: first, kind: 'session_started' });
      else if (event.kind === 'visitor_message') {
        const text = event.messages[0]?.text ?? '';
        rows.push({ ...base, id: first, kind: 'visitor_message', ...question(text), voice: event.input === 'spoken' });
        engaged.add(event.sessionId);
      } else if (event.kind === 'cta_click') {
        rows.push({ ...base, id: first, kind: 'cta_click', ctaId: event.ctaId, ctaLabel: event.label });
        engaged.add(event.sessionId);
      } else if (event.kind === 'reply') {
        rows.push({ ...base, id: first, kind: 'reply_sent', provider: event.provider, firstTokenMs: event.firstTokenMs });
        if (!event.grounded) rows.push({ ...base, id: uuidVariant(first), kind: 'unanswered', provider: event.provider, ...question(event.question) });
      }
    }

    await this.deps.orm.em.fork().transactional(async (em) => {
      const trx = em.getTransactionContext<Knex.Transaction>()!;
      // Each batch travels as one JSON parameter (knex would expand a JS array into a list).
      if (conversations.size) {
        const ids = [...conversations.keys()];
        await lockSessions(trx, ids);
        const list = [...conversations].map(([id, c]) => ({ id, business_id: c.businessId, started_at: c.startedAt, last_at: c.lastAt }));
        await trx.raw(
          `insert into conversations (id, business_id, started_at, last_message_at, message_count)
           select c.id, c.business_id, c.started_at, c.last_at, 0
             from jsonb_to_recordset(?::jsonb) as c(id text, business_id uuid, started_at timestamptz, last_at timestamptz)
            where exists (select 1 from businesses b where b.id = c.business_id)
              and not exists (select 1 from erased_conversations x where x.id = c.id)
           on conflict (id) do update set
             started_at = least(conversations.started_at, excluded.started_at),
             last_message_at = greatest(conversations.last_message_at, excluded.last_message_at),
             ended_at = case when excluded.last_message_at > conversations.last_message_at then null else conversations.ended_at end`,
          [JSON.stringify(list)],
        );
        if (messages.length) {
          const json = messages.map((m) => ({ id: m.id, conversation_id: m.conversationId, role: m.role, text: m.text, created_at: m.createdAt, idx: m.idx, sources: m.sources, ctas: m.ctas }));
          await trx.raw(
            `insert into conversation_messages (id, conversation_id, role, text, created_at, idx, sources, ctas)
             select m.id, m.conversation_id, m.role, m.text, m.created_at, m.idx, m.sources, m.ctas
               from jsonb_to_recordset(?::jsonb)
                    as m(id uuid, conversation_id text, role text, text text, created_at timestamptz, idx smallint, sources jsonb, ctas jsonb)
              where exists (select 1 from conversations c where c.id = m.conversation_id)
             on conflict (id) do update set text = excluded.text`,
            [JSON.stringify(json)],
          );
        }
        await trx.raw(
          'update conversations c set message_count = (select count(*) from conversation_messages m where m.conversation_id = c.id) where c.id = any(?::text[])',
          [pgArray(ids)],
        );
      }
      if (rows.length) {
        const json = rows.map((r) => ({
          id: r.id,
          business_id: r.businessId,
          session_id: r.sessionId,
          kind: r.kind,
          at: r.at,
          text: r.text,
          question_norm: r.questionNorm,
          question_key: r.questionKey,
          voice: r.voice,
          cta_id: r.ctaId,
          cta_label: r.ctaLabel,
          provider: r.provider,
          first_token_ms: r.firstTokenMs,
        }));
        // The days of the rows inserted are no longer rolled up (analytics.rollup.ts).
        await trx.raw(
          `with inserted as (
           insert into analytics_events (id, business_id, session_id, kind, at, text, question_norm, question_key, voice, cta_id, cta_label, provider, first_token_ms, engaged)
           select e.id, e.business_id, e.session_id, e.kind, e.at, e.text, e.question_norm, e.question_key, e.voice, e.cta_id, e.cta_label, e.provider, e.first_token_ms,
                  e.kind = 'session_started' and exists (select 1 from analytics_events o where o.session_id = e.session_id and o.kind in ('visitor_message', 'cta_click'))
             from jsonb_to_recordset(?::jsonb)
                  as e(id uuid, business_id uuid, session_id text, kind text, at timestamptz, text text, question_norm text, question_key text, voice boolean,
                       cta_id text, cta_label text, provider text, first_token_ms int)
            where exists (select 1 from businesses b where b.id = e.business_id)
              and not exists (select 1 from erased_conversations x where x.id = e.session_id)
           on conflict (id) do nothing
           returning business_id, at)
           ${MARK_DAYS_FROM('inserted')}`,
          [JSON.stringify(json)],
        );
      }
      if (engaged.size) {
        await trx.raw(
          `with flagged as (update analytics_events set engaged = true where kind = 'session_started' and session_id = any(?::text[]) and not engaged returning business_id, at)
           ${MARK_DAYS_FROM('flagged')}`,
          [pgArray([...engaged])],
        );
      }
    });
  }
}

/** A text[] literal for one bound parameter (knex would expand a JS array into a list). */
export function pgArray(values: string[]): string {
  return `{${values.map((v) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;
}

function question(text: string): { text: string; questionNorm: string; questionKey: string } {
  return { text, questionNorm: normalizeQuestion(text), questionKey: questionKey(text) };
}

/** A second, stable uuid for the same message (its unanswered event beside its reply_sent). */
function uuidVariant(id: string): string {
  const last = id.slice(-1);
  return id.slice(0, -1) + (last === 'f' ? '0' : (parseInt(last, 16) + 1).toString(16));
}
