import type { Knex } from '@mikro-orm/postgresql';
import type { Orm } from '../db/orm';
import { webhookLead } from '../leads/lead.data';
import { LeadEntity } from '../leads/lead.entity';
import type { Classification, LlmProvider, LlmTurn } from '../llm/llm.provider';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { WebhookOutbox } from '../webhooks/webhook.events';
import { classifyOffline } from './conversation.classifier';

/** Conversations one sweep claims (summarised and classified concurrently: one lease covers them). */
const CLAIM_BATCH = 5;
/** Tries with the configured provider (Gemini) before the offline summary and classifier stand in. */
export const MAX_PROVIDER_TRIES = 3;
/** Messages of the transcript given to the provider (the latest; a long chat is cut from the start). */
const MAX_TURNS = 60;
/** Characters of one message given to the provider. */
const MAX_TURN_CHARS = 2_000;

export interface EndingDeps {
  orm: Orm;
  /** The configured provider (Gemini behind its fallback, or offline) and the offline one. */
  llm: { provider: Pick<LlmProvider, 'name' | 'summarize' | 'classify'>; offline: Pick<LlmProvider, 'summarize'> };
  outbox: WebhookOutbox;
  metrics: Metrics;
  logger: Logger;
  /** CONVERSATION_IDLE_MINUTES in ms. */
  idleMs: number;
  /** How long a claim is this worker's (a killed worker's claim lapses after it). */
  leaseMs: number;
  /** After a provider failure, how long before the conversation is tried again. */
  retryMs: number;
}

interface ClaimedConversation {
  id: string;
  business_id: string;
  business_name: string;
  claim: string;
  last_message_at: string;
  ending_attempts: number;
}

interface MessageRow {
  id: string;
  role: 'USER' | 'ASSISTANT';
  text: string;
  created_at: Date;
}

/**
 * Ends conversations idle for CONVERSATION_IDLE_MINUTES (the worker's sweep, `endIdle(now)`;
 * `now` is the caller's clock, so tests need no sleeping):
 *
 * 1. **Claim** (one statement, committed at once): up to CLAIM_BATCH open conversations whose
 *    last message is older than `now − idle` and which no live claim holds are selected
 *    `FOR UPDATE SKIP LOCKED` and given a claim id and a lease (`ending_until`). Several
 *    workers never claim the same row; no row lock is held during the model calls, so the
 *    recorder keeps writing messages meanwhile.
 * 2. **Summarise and classify** outside any transaction: the provider's `summarize` and (Gemini)
 *    `classify`; offline, the provider's summary and the lexicon classifier
 *    (conversation.classifier.ts). A conversation in which the visitor never wrote is closed
 *    without a summary, a model call or a delivery (a widget opened and left).
 * 3. **Finish** in one transaction: `ended_at`, summary, intent and sentiment are set only while
 *    the claim is still ours and no message arrived since the claim (same `last_message_at`),
 *    and the CONVERSATION_ENDED deliveries are queued in that same transaction (the outbox).
 *
 * Failures mid-way:
 * - Gemini fails (after its own retries, or its circuit is open): the claim is given up with
 *   `ending_attempts + 1` and a short lease (`retryMs`); a sweep after it tries again. After MAX_PROVIDER_TRIES failed tries the
 *   offline summary and lexicon classifier are used, so a long Gemini outage does not leave
 *   conversations open for ever.
 * - Postgres fails during the claim: nothing was claimed, the sweep fails and the worker
 *   retries on its next tick. After the claim (the model's answer is lost): the lease lapses,
 *   and a later sweep claims the row again and asks the model again.
 * - Postgres fails during the finish: the transaction rolls back as a whole — not ended and no
 *   delivery queued; retried when the lease lapses. A finish that committed has ended the row,
 *   so it is never claimed again: CONVERSATION_ENDED is queued exactly once per ending
 *   (delivery itself is the outbox's at-least-once, with one `webhook-id`).
 * - A worker killed anywhere: its lease lapses (`leaseMs`), another worker takes the row.
 * - A message arriving after the claim: the finish changes nothing (the row is not ended, the
 *   claim is released); the conversation ends when it is idle again. A message arriving after
 *   the end reopens it (the recorder clears `ended_at`): it will end, and be delivered, again
 *   with the whole transcript.
 */
export class ConversationEnder {
  constructor(private readonly deps: EndingDeps) {}

  private get knex(): Knex {
    return this.deps.orm.em.getKnex();
  }

  /** One sweep; resolves with how many conversations it ended. */
  async endIdle(now: Date): Promise<number> {
    const rows = await this.claim(now);
    const results = await Promise.allSettled(rows.map((row) => this.end(row, now)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    // Postgres failed for one of them: the others are done; that one's lease lapses and it is retried.
    if (failed) throw failed.reason;
    return results.filter((r) => r.status === 'fulfilled' && r.value).length;
  }

  private async claim(now: Date): Promise<ClaimedConversation[]> {
    const cutoff = new Date(now.getTime() - this.deps.idleMs);
    const until = new Date(now.getTime() + this.deps.leaseMs);
    const res = await this.knex.raw<{ rows: ClaimedConversation[] }>(
      `update conversations c
          set ending_claim = gen_random_uuid(), ending_until = ?
         from businesses b
        where b.id = c.business_id
          and c.id in (select o.id from conversations o
                        where o.ended_at is null and o.last_message_at < ? and (o.ending_until is null or o.ending_until < ?)
                        order by o.last_message_at limit ? for update of o skip locked)
        returning c.id, c.business_id, b.name as business_name, c.ending_claim as claim, c.last_message_at::text as last_message_at, c.ending_attempts`,
      [until, cutoff, now, CLAIM_BATCH],
    );
    return res.rows;
  }

  private async end(row: ClaimedConversation, now: Date): Promise<boolean> {
    const messages = (
      await this.knex.raw<{ rows: MessageRow[] }>(
        'select id, role, text, created_at from conversation_messages where conversation_id = ? order by created_at, idx',
        [row.id],
      )
    ).rows;
    const turns: LlmTurn[] = messages.slice(-MAX_TURNS).map((m) => ({ role: m.role === 'USER' ? 'user' : 'model', text: m.text.slice(0, MAX_TURN_CHARS) }));
    const wrote = turns.some((t) => t.role === 'user');

    let labels: { summary: string | null } & Partial<Classification> = { summary: null };
    if (wrote) {
      const useProvider = row.ending_attempts < MAX_PROVIDER_TRIES;
      try {
        labels = await this.label(row, turns, useProvider);
      } catch (err) {
        // Gemini failed: give the claim up; the next sweep tries again (then offline, see above).
        await this.knex.raw('update conversations set ending_claim = null, ending_until = ?, ending_attempts = ending_attempts + 1 where id = ? and ending_claim = ?', [
          new Date(now.getTime() + this.deps.retryMs),
          row.id,
          row.claim,
        ]);
        this.deps.logger.warn('conversation not ended: the provider failed; retried on a later sweep', {
          conversationId: row.id,
          attempt: row.ending_attempts + 1,
          error: err instanceof Error ? err.message : String(err),
        });
        return false;
      }
    }

    const lead = wrote ? await this.deps.orm.em.fork().findOne(LeadEntity, { sessionId: row.id }) : null;
    const ended = await this.deps.orm.em.fork().transactional(async (em) => {
      const trx = em.getTransactionContext<Knex.Transaction>()!;
      const res = await trx.raw<{ rows: Array<{ id: string }> }>(
        `update conversations set ended_at = ?, summary = ?, intent = ?, sentiment = ?, ending_claim = null, ending_until = null, ending_attempts = 0
          where id = ? and ending_claim = ? and ended_at is null and last_message_at = ?::timestamptz
          returning id`,
        [now, labels.summary, labels.intent ?? null, labels.sentiment ?? null, row.id, row.claim, row.last_message_at],
      );
      if (!res.rows.length) return false;
      if (wrote) {
        await this.deps.outbox.enqueue(em, row.business_id, 'conversation.ended', {
          conversation: {
            id: row.id,
            businessId: row.business_id,
            summary: labels.summary,
            intent: labels.intent,
            sentiment: labels.sentiment,
            endedAt: now.toISOString(),
            messages: messages.map((m) => ({ id: m.id, role: m.role, text: m.text, createdAt: new Date(m.created_at).toISOString() })),
            lead: lead ? webhookLead(lead) : null,
          },
        });
      }
      return true;
    });
    if (!ended) {
      // A message arrived since the claim (or the lease lapsed and another worker took over).
      await this.knex.raw('update conversations set ending_claim = null, ending_until = null where id = ? and ending_claim = ?', [row.id, row.claim]);
      return false;
    }
    this.deps.metrics.conversationsEnded.inc({ sentiment: labels.sentiment ?? 'none' });
    return true;
  }

  /** Summary, intent and sentiment: the configured provider's, or the offline ones. Throws the provider's error. */
  private async label(row: ClaimedConversation, turns: LlmTurn[], useProvider: boolean): Promise<{ summary: string } & Classification> {
    const systemInstruction =
      `You summarise finished website chats between a visitor and the concierge of ${row.business_name}, for the business's staff. ` +
      'Write two or three plain sentences: what the visitor wanted, what they were told, and any follow-up needed.';
    const { provider, offline } = this.deps.llm;
    if (useProvider) {
      const summary = (await provider.summarize({ systemInstruction, previousSummary: null, turns })).trim();
      const classification = provider.classify ? await provider.classify({ turns }) : classifyOffline(turns);
      return { summary, ...classification };
    }
    const summary = (await offline.summarize({ systemInstruction, previousSummary: null, turns })).trim();
    return { summary, ...classifyOffline(turns) };
  }
}
