import type { Knex } from '@mikro-orm/postgresql';
import { hostname } from 'node:os';
import type { ChatEvent } from '../chat/chat.events';
import type { Orm } from '../db/orm';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { RedisClient } from '../redis/redis';
import { eventStreamKey } from './conversation.log';
import { normalizeQuestion, questionKey } from './questions';
import { randomUUID } from 'node:crypto';

export const RECORDER_GROUP = 'recorder';

/** Entries a batch reads (one Postgres transaction). */
const BATCH = 500;
/** A pending entry another consumer has not acknowledged for this long is taken over (that worker died). */
const CLAIM_IDLE_MS = 5 * 60_000;

type StreamEntry = [id: string, fields: string[]];

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
 * Erases the conversation records of `sessionIds` in `knex` (a transaction or the pool): the
 * conversation and its messages are deleted; its analytics events and feedback stay for the
 * counts, with every visitor text (question, comment) nulled. Idempotent.
 */
export async function eraseConversations(knex: Knex | Knex.Transaction, sessionIds: string[]): Promise<void> {
  if (!sessionIds.length) return;
  const ids = pgArray(sessionIds);
  await knex.raw('delete from conversations where id = any(?::text[])', [ids]);
  await knex.raw(
    'update analytics_events set text = null, question_norm = null, question_key = null where session_id = any(?::text[]) and (text is not null or question_key is not null)',
    [ids],
  );
  await knex.raw('update message_feedback set comment = null, session_id = null where session_id = any(?::text[])', [ids]);
}

/**
 * The worker's side of the conversation record: drains the chat event stream
 * (conversation.log.ts) into Postgres, BATCH entries per transaction, through a consumer group,
 * so an entry is acknowledged (and deleted from Redis) only after its rows committed.
 *
 * Failures: Postgres down mid-batch → the transaction rolls back, nothing is acknowledged, the
 * same entries are read again (this consumer's pending list) on the next call; every insert is
 * idempotent (message and event ids come from the api), so a batch that committed but was not
 * acknowledged (Redis gone between the two) is harmless when replayed. An entry that fails on
 * its own while Postgres answers (a bug, not an outage) is logged and acknowledged, so it cannot
 * stall the stream. A worker that dies holding entries: another takes them after CLAIM_IDLE_MS.
 */
export class ConversationRecorder {
  private readonly key: string;
  private readonly consumer = `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  private groupReady = false;

  constructor(
    private readonly deps: { redis: RedisClient; orm: Orm; prefix: string; metrics: Metrics; logger: Logger },
  ) {
    this.key = eventStreamKey(deps.prefix);
  }

  private async ensureGroup(): Promise<void> {
    if (this.groupReady) return;
    try {
      await this.deps.redis.xgroup('CREATE', this.key, RECORDER_GROUP, '0', 'MKSTREAM');
    } catch (err) {
      if (!String(err).includes('BUSYGROUP')) throw err;
    }
    this.groupReady = true;
  }

  /**
   * Stores one batch: this consumer's unacknowledged entries first, then entries abandoned by
   * a dead consumer, then new ones. Returns how many entries it handled (0: nothing to do).
   */
  async drainOnce(): Promise<number> {
    await this.ensureGroup();
    const { redis } = this.deps;
    let entries = await this.read('0');
    if (!entries.length) {
      const claimed = (await redis.xautoclaim(this.key, RECORDER_GROUP, this.consumer, CLAIM_IDLE_MS, '0-0', 'COUNT', BATCH)) as [string, StreamEntry[]];
      entries = (claimed[1] ?? []).filter((e) => e && e[1]);
    }
    if (!entries.length) entries = await this.read('>');
    if (!entries.length) return 0;
    await this.store(entries);
    return entries.length;
  }

  /** Drains until nothing is left for this consumer (tests, and the worker's loop). */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.drainOnce();
      total += n;
      if (n === 0) return total;
    }
  }

  private async read(from: '0' | '>'): Promise<StreamEntry[]> {
    const res = (await this.deps.redis.xreadgroup('GROUP', RECORDER_GROUP, this.consumer, 'COUNT', BATCH, 'STREAMS', this.key, from)) as
      | Array<[string, StreamEntry[]]>
      | null;
    return (res?.[0]?.[1] ?? []).filter((e) => e && e[1]);
  }

  private async store(entries: StreamEntry[]): Promise<void> {
    const events: ChatEvent[] = [];
    for (const [id, fields] of entries) {
      const json = fields[fields.indexOf('e') + 1];
      try {
        events.push(JSON.parse(json) as ChatEvent);
      } catch {
        this.deps.logger.error('unreadable chat event dropped', { entry: id });
      }
    }
    try {
      await this.write(events);
    } catch (err) {
      // Postgres down: leave everything pending and let the next call retry.
      await this.deps.orm.em.getConnection().execute('select 1').catch((down: unknown) => {
        throw Object.assign(new Error(`conversation records not stored: ${String(down)}`), { cause: err });
      });
      // Postgres answers, so one entry is bad: store the others one by one, drop the bad one.
      for (const event of events) {
        await this.write([event]).catch((one: unknown) => {
          this.deps.logger.error('chat event could not be stored; dropped', { kind: event.kind, sessionId: event.sessionId, error: String(one) });
        });
      }
    }
    const ids = entries.map(([id]) => id);
    await this.deps.redis.multi().xack(this.key, RECORDER_GROUP, ...ids).xdel(this.key, ...ids).exec();
    this.deps.metrics.conversationRecords.inc({ outcome: 'stored' }, events.length);
  }

  private async write(events: ChatEvent[]): Promise<void> {
    const erased = new Set(events.filter((e) => e.kind === 'erased').map((e) => e.sessionId));
    const conversations = new Map<string, { businessId: string; startedAt: string; lastAt: string }>();
    const messages: MessageRow[] = [];
    const rows: EventRow[] = [];
    const engaged = new Set<string>();
    for (const event of events) {
      if (event.kind === 'erased' || erased.has(event.sessionId)) continue;
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
        const list = [...conversations].map(([id, c]) => ({ id, business_id: c.businessId, started_at: c.startedAt, last_at: c.lastAt }));
        await trx.raw(
          `insert into conversations (id, business_id, started_at, last_message_at, message_count)
           select c.id, c.business_id, c.started_at, c.last_at, 0
             from jsonb_to_recordset(?::jsonb) as c(id text, business_id uuid, started_at timestamptz, last_at timestamptz)
            where exists (select 1 from businesses b where b.id = c.business_id)
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
        await trx.raw(
          `insert into analytics_events (id, business_id, session_id, kind, at, text, question_norm, question_key, voice, cta_id, cta_label, provider, first_token_ms, engaged)
           select e.id, e.business_id, e.session_id, e.kind, e.at, e.text, e.question_norm, e.question_key, e.voice, e.cta_id, e.cta_label, e.provider, e.first_token_ms,
                  e.kind = 'session_started' and exists (select 1 from analytics_events o where o.session_id = e.session_id and o.kind in ('visitor_message', 'cta_click'))
             from jsonb_to_recordset(?::jsonb)
                  as e(id uuid, business_id uuid, session_id text, kind text, at timestamptz, text text, question_norm text, question_key text, voice boolean,
                       cta_id text, cta_label text, provider text, first_token_ms int)
            where exists (select 1 from businesses b where b.id = e.business_id)
           on conflict (id) do nothing`,
          [JSON.stringify(json)],
        );
      }
      if (engaged.size) {
        await trx.raw("update analytics_events set engaged = true where kind = 'session_started' and session_id = any(?::text[]) and not engaged", [pgArray([...engaged])]);
      }
      await eraseConversations(trx, [...erased]);
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
