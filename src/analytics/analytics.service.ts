import type { Knex } from '@mikro-orm/postgresql';
import { assertCanAccessBusiness } from '../auth/access';
import type { ChatCaller, ChatService } from '../chat/chat.service';
import { BadUserInputError, NotFoundError, UnauthenticatedError } from '../common/errors';
import type { Principal } from '../common/principal';
import type { Orm } from '../db/orm';
import { LeadEntity } from '../leads/lead.entity';
import type { Metrics } from '../observability/metrics';
import { ConversationEntity } from './analytics.entity';
import { rawCondition, splitRange } from './analytics.rollup';
import { pgArray } from './conversation.recorder';

/** The longest range `analytics` answers (a bound on the work of one query). */
const MAX_RANGE_DAYS = 366;
const TOP_QUESTIONS = 10;
const TOP_CTAS = 20;

export interface QuestionCountRecord {
  question: string;
  count: number;
}

export interface AnalyticsRecord {
  sessions: number;
  engagedSessions: number;
  visitorMessages: number;
  voiceMessages: number;
  leads: number;
  conversionRate: number;
  ctaClicks: Array<{ ctaId: string; label: string; clicks: number }>;
  topQuestions: QuestionCountRecord[];
  unansweredQuestions: QuestionCountRecord[];
  feedback: { up: number; down: number };
  medianFirstTokenMs: number | null;
  daily: Array<{ date: string; sessions: number; leads: number }>;
}

export interface ConversationMessageRecord {
  id: string;
  role: 'USER' | 'ASSISTANT';
  text: string;
  createdAt: Date;
  sources: Array<{ documentId: string; title: string; snippet: string }>;
  ctas: Array<{ id: string; label: string; action: string; url?: string | null; message?: string | null }>;
  rating: 'UP' | 'DOWN' | null;
  ratingComment: string | null;
}

export interface ConversationRecord {
  id: string;
  businessId: string;
  startedAt: Date;
  lastMessageAt: Date;
  endedAt: Date | null;
  summary: string | null;
  intent: string | null;
  sentiment: string | null;
  messages: ConversationMessageRecord[];
  lead: LeadEntity | null;
}

// Every statement below reads the rolled-up days from analytics_rollup (day = any(?)) and the
// rest of the range from the events (RAW: the intervals of analytics.rollup.ts's splitRange,
// over the (business_id, kind, at) index); same definitions on both sides.
const RAW = '/*raw*/';
const ROLLED = "business_id = ? and day = any(?::date[])";

const COUNTS_SQL = `
select coalesce(sum(n) filter (where metric = 'sessions'), 0)::int as sessions,
       coalesce(sum(n) filter (where metric = 'engaged'), 0)::int as engaged,
       coalesce(sum(n) filter (where metric = 'visitor_messages'), 0)::int as visitor_messages,
       coalesce(sum(n) filter (where metric = 'voice_messages'), 0)::int as voice_messages
  from (
    select metric, n from analytics_rollup where ${ROLLED} and metric in ('sessions', 'engaged', 'visitor_messages', 'voice_messages')
    union all
    select m.metric, m.n from (
      select count(*) filter (where kind = 'session_started') as sessions,
             count(*) filter (where kind = 'session_started' and engaged) as engaged,
             count(*) filter (where kind = 'visitor_message') as visitor_messages,
             count(*) filter (where kind = 'visitor_message' and voice) as voice_messages
        from analytics_events where business_id = ? and kind in ('session_started', 'visitor_message') and ${RAW}
    ) c cross join lateral (values ('sessions', c.sessions), ('engaged', c.engaged), ('visitor_messages', c.visitor_messages), ('voice_messages', c.voice_messages)) as m(metric, n)
  ) u`;

// Time to first token as a histogram (value, count): its median is computed exactly in JS.
const FIRST_TOKEN_SQL = `
select v, sum(n)::int as n from (
  select dim::int as v, n from analytics_rollup where ${ROLLED} and metric = 'ftt'
  union all
  select first_token_ms, count(*) from analytics_events where business_id = ? and kind = 'reply_sent' and first_token_ms is not null and ${RAW} group by 1
) h group by v order by v`;

// Questions with one key are counted together; each group shows its most common wording.
const QUESTIONS_SQL = `
with wordings as (
  select k, w, sum(n) as n from (
    select dim as k, label as w, n from analytics_rollup where ${ROLLED} and metric = 'q:' || ?
    union all
    select question_key, question_norm, count(*) from analytics_events
     where business_id = ? and kind = ? and ${RAW} and question_key is not null and question_key <> '' group by 1, 2
  ) u group by 1, 2
)
select (array_agg(w order by n desc, w))[1] as question, sum(n)::int as count
  from wordings group by k order by count desc, question limit ?`;

const CTA_SQL = `
select cta_id, max(label) as label, sum(n)::int as clicks from (
  select dim as cta_id, label, n from analytics_rollup where ${ROLLED} and metric = 'cta'
  union all
  select coalesce(cta_id, ''), coalesce(max(cta_label), ''), count(*) from analytics_events where business_id = ? and kind = 'cta_click' and ${RAW} group by 1
) u group by cta_id order by clicks desc, cta_id limit ?`;

const DAILY_SQL = `
select to_char(day, 'YYYY-MM-DD') as day, sum(n)::int as n from (
  select day, n from analytics_rollup where ${ROLLED} and metric = 'sessions'
  union all
  select (at at time zone 'UTC')::date, count(*) from analytics_events where business_id = ? and kind = 'session_started' and ${RAW} group by 1
) u group by 1`;

const LEADS_DAILY_SQL = `
select to_char(created_at at time zone 'UTC', 'YYYY-MM-DD') as day, count(*)::int as n
  from leads where business_id = ? and created_at >= ? and created_at < ? group by 1`;

const FEEDBACK_SQL = `
select count(*) filter (where rating = 'UP')::int as up, count(*) filter (where rating = 'DOWN')::int as down
  from message_feedback where business_id = ? and updated_at >= ? and updated_at < ?`;

/** The median of a histogram (value, count) sorted by value, as percentile_cont(0.5) computes it; null when empty. */
function median(histogram: Array<{ v: number; n: number }>): number | null {
  const total = histogram.reduce((sum, h) => sum + h.n, 0);
  if (!total) return null;
  const at = (rank: number): number => {
    let seen = 0;
    for (const h of histogram) {
      seen += h.n;
      if (rank < seen) return Number(h.v);
    }
    return Number(histogram[histogram.length - 1].v);
  };
  return total % 2 ? at((total - 1) / 2) : (at(total / 2 - 1) + at(total / 2)) / 2;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function required(principal: Principal | null | undefined): Principal {
  if (!principal) throw new UnauthenticatedError();
  return principal;
}

/** Cursor of the conversation list: the position after which the next page starts. */
function encodeCursor(c: { startedAt: Date; id: string }): string {
  return Buffer.from(JSON.stringify([c.startedAt.toISOString(), c.id])).toString('base64url');
}

function decodeCursor(cursor: string): { startedAt: Date; id: string } {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const startedAt = new Date(at);
    if (typeof id !== 'string' || Number.isNaN(startedAt.getTime())) throw new Error('bad cursor');
    return { startedAt, id };
  } catch {
    throw new BadUserInputError('after is not a cursor this API issued');
  }
}

/**
 * What happened in a business's conversations, for its admins: analytics aggregated by SQL at
 * query time over indexed columns (docs/analytics.md has the measured numbers), the conversation
 * records, and the visitor's feedback (rateMessage, public). Reads only: the records are written
 * by the worker (conversation.recorder.ts). Postgres down → the driver's error, mapped to
 * SERVICE_UNAVAILABLE by the error formatter; nothing is written.
 */
export class AnalyticsService {
  constructor(
    private readonly deps: { orm: Orm; metrics: Metrics; chat: Pick<ChatService, 'getSession'> },
  ) {}

  private get knex(): Knex {
    return this.deps.orm.em.getKnex();
  }

  async analytics(principal: Principal | null | undefined, businessId: string, from: Date, to: Date): Promise<AnalyticsRecord> {
    assertCanAccessBusiness(required(principal), businessId);
    if (!(to > from)) throw new BadUserInputError('to must be after from');
    if (to.getTime() - from.getTime() > MAX_RANGE_DAYS * 86_400_000) throw new BadUserInputError(`the range may span at most ${MAX_RANGE_DAYS} days`);
    const range = [businessId, from, to];
    const split = await splitRange(this.knex, businessId, from, to);
    const cond = rawCondition(split);
    const rolled = [businessId, pgArray(split.rolledDays)];
    // Each statement: its rollup part's bindings, then its raw part's (RAW replaced by the intervals).
    const raw = async <T>(sql: string, bindings: unknown[]): Promise<T[]> => {
      const parts = sql.split(RAW);
      const expanded: unknown[] = [];
      let at = 0;
      // Bindings before each RAW marker, then the marker's own.
      parts.forEach((part, i) => {
        const n = (part.match(/\?/g) ?? []).length;
        expanded.push(...bindings.slice(at, at + n));
        at += n;
        if (i < parts.length - 1) expanded.push(...cond.bindings);
      });
      return (await this.knex.raw<{ rows: T[] }>(parts.join(cond.sql), expanded as never)).rows;
    };
    const [[counts], firstTokens, top, unanswered, ctas, [feedback], daily, leadsDaily] = await Promise.all([
      raw<{ sessions: number; engaged: number; visitor_messages: number; voice_messages: number }>(COUNTS_SQL, [...rolled, businessId]),
      raw<{ v: number; n: number }>(FIRST_TOKEN_SQL, [...rolled, businessId]),
      raw<QuestionCountRecord>(QUESTIONS_SQL, [...rolled, 'visitor_message', businessId, 'visitor_message', TOP_QUESTIONS]),
      raw<QuestionCountRecord>(QUESTIONS_SQL, [...rolled, 'unanswered', businessId, 'unanswered', TOP_QUESTIONS]),
      raw<{ cta_id: string; label: string; clicks: number }>(CTA_SQL, [...rolled, businessId, TOP_CTAS]),
      raw<{ up: number; down: number }>(FEEDBACK_SQL, range),
      raw<{ day: string; n: number }>(DAILY_SQL, [...rolled, businessId]),
      raw<{ day: string; n: number }>(LEADS_DAILY_SQL, range),
    ]);
    const leads = leadsDaily.reduce((sum, d) => sum + d.n, 0);
    const sessionsByDay = new Map(daily.map((d) => [d.day, d.n]));
    const leadsByDay = new Map(leadsDaily.map((d) => [d.day, d.n]));
    const days: AnalyticsRecord['daily'] = [];
    for (let t = Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate()); t < to.getTime(); t += 86_400_000) {
      const date = new Date(t).toISOString().slice(0, 10);
      days.push({ date, sessions: sessionsByDay.get(date) ?? 0, leads: leadsByDay.get(date) ?? 0 });
    }
    return {
      sessions: counts.sessions,
      engagedSessions: counts.engaged,
      visitorMessages: counts.visitor_messages,
      voiceMessages: counts.voice_messages,
      leads,
      conversionRate: counts.engaged ? leads / counts.engaged : 0,
      ctaClicks: ctas.map((c) => ({ ctaId: c.cta_id, label: c.label, clicks: c.clicks })),
      topQuestions: top,
      unansweredQuestions: unanswered,
      feedback,
      medianFirstTokenMs: median(firstTokens),
      daily: days,
    };
  }

  /** Newest first (by start), `first` per page; `withLead` true/false keeps only those with/without a lead. */
  async conversations(
    principal: Principal | null | undefined,
    businessId: string,
    first: number,
    after: string | null | undefined,
    withLead: boolean | null | undefined,
  ): Promise<{ nodes: ConversationRecord[]; hasNextPage: boolean; endCursor: string | null }> {
    assertCanAccessBusiness(required(principal), businessId);
    if (!Number.isInteger(first) || first < 1 || first > 200) throw new BadUserInputError('first must be between 1 and 200');
    const em = this.deps.orm.em.fork();
    const qb = em.createQueryBuilder(ConversationEntity, 'c').where({ businessId });
    if (after) {
      const c = decodeCursor(after);
      qb.andWhere('(c.started_at, c.id) < (?, ?)', [c.startedAt, c.id]);
    }
    if (withLead === true) qb.andWhere('exists (select 1 from leads l where l.session_id = c.id)');
    if (withLead === false) qb.andWhere('not exists (select 1 from leads l where l.session_id = c.id)');
    const rows = await qb.orderBy({ startedAt: 'desc', id: 'desc' }).limit(first + 1).getResult();
    const page = rows.slice(0, first);
    const nodes = await this.load(em, page);
    return { nodes, hasNextPage: rows.length > first, endCursor: page.length ? encodeCursor(page[page.length - 1]) : null };
  }

  async conversation(principal: Principal | null | undefined, id: string): Promise<ConversationRecord | null> {
    const p = required(principal);
    const em = this.deps.orm.em.fork();
    const row = await em.findOne(ConversationEntity, { id });
    if (!row) return null;
    assertCanAccessBusiness(p, row.businessId);
    return (await this.load(em, [row]))[0];
  }

  private async load(em: ReturnType<Orm['em']['fork']>, rows: ConversationEntity[]): Promise<ConversationRecord[]> {
    if (!rows.length) return [];
    const ids = rows.map((r) => r.id);
    const messages = (
      await this.knex.raw<{ rows: Array<Record<string, unknown>> }>(
        `select m.id, m.conversation_id, m.role, m.text, m.created_at, m.sources, m.ctas, f.rating, f.comment
           from conversation_messages m left join message_feedback f on f.message_id = m.id
          where m.conversation_id = any(?::text[]) order by m.created_at, m.idx`,
        [`{${ids.map((i) => `"${i}"`).join(',')}}`],
      )
    ).rows;
    const leads = await em.find(LeadEntity, { sessionId: { $in: ids } });
    return rows.map((r) => ({
      id: r.id,
      businessId: r.businessId,
      startedAt: r.startedAt,
      lastMessageAt: r.lastMessageAt,
      endedAt: r.endedAt ?? null,
      summary: r.summary ?? null,
      intent: r.intent ?? null,
      sentiment: r.sentiment ?? null,
      lead: leads.find((l) => l.sessionId === r.id) ?? null,
      messages: messages
        .filter((m) => m.conversation_id === r.id)
        .map((m) => ({
          id: m.id as string,
          role: m.role as 'USER' | 'ASSISTANT',
          text: m.text as string,
          createdAt: new Date(m.created_at as string),
          sources: m.sources as ConversationMessageRecord['sources'],
          ctas: m.ctas as ConversationMessageRecord['ctas'],
          rating: (m.rating as 'UP' | 'DOWN' | null) ?? null,
          ratingComment: (m.comment as string | null) ?? null,
        })),
    }));
  }

  /**
   * The visitor's rating of an assistant message of their own session (public): the session
   * id is the bearer token, and the message must be an assistant message of that session (its
   * transcript in Redis, or its record in Postgres). One rating per message; the last counts.
   * Postgres down → SERVICE_UNAVAILABLE, nothing stored (the visitor may rate again).
   */
  async rateMessage(input: { sessionId: string; messageId: string; rating: 'UP' | 'DOWN'; comment?: string | null }, caller: ChatCaller): Promise<boolean> {
    const comment = input.comment?.trim() || null;
    if (comment && comment.length > 1000) throw new BadUserInputError('comment must be at most 1,000 characters');
    const session = await this.deps.chat.getSession(input.sessionId, caller);
    if (!UUID_RE.test(input.messageId)) throw new NotFoundError('Message');
    let role: string | undefined = session.messages.find((m) => m.id === input.messageId)?.role;
    if (!role) {
      // Older than the transcript Redis keeps: the conversation record knows it.
      const stored = await this.knex.raw<{ rows: Array<{ role: string }> }>('select role from conversation_messages where id = ? and conversation_id = ?', [input.messageId, session.id]);
      role = stored.rows[0]?.role;
    }
    if (!role) throw new NotFoundError('Message');
    if (role !== 'ASSISTANT') throw new BadUserInputError('Only assistant messages can be rated');
    await this.knex.raw(
      `insert into message_feedback (message_id, business_id, session_id, rating, comment, created_at, updated_at)
       select ?, ?, ?, ?, ?, now(), now() where not exists (select 1 from erased_conversations where id = ?)
       on conflict (message_id) do update set rating = excluded.rating, comment = excluded.comment, updated_at = now()`,
      [input.messageId, session.businessId, session.id, input.rating, comment, session.id],
    );
    this.deps.metrics.feedback.inc({ rating: input.rating });
    return true;
  }
}
