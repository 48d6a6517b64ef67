import type { BusinessProfile, ContactField } from '../business/business.profile';
import { buildSystemPrompt, type ContactPromptState } from '../business/system-prompt';
import type { RetrievedPassage, Retriever } from '../knowledge/retrieval';
import type { ContactCaptureTurn } from '../llm/contact-capture';
import { withGrounding } from '../llm/grounding';
import { LlmError, type LlmProvider } from '../llm/llm.provider';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { MessageRecord, ReplyErrorRecord, SourceRecord } from './chat.records';
import type { ChatEventSink } from './chat.events';
import type { ReplyStreamWriter } from './reply-stream.writer';
import type { ModelContext, SessionStore } from './session.store';
import { randomUUID } from 'node:crypto';

export interface GenerationJob {
  business: BusinessProfile;
  sessionId: string;
  question: string;
  writer: ReplyStreamWriter;
  acceptedAt: number;
  /**
   * The summary and the turns before this one, when the caller read them with the session
   * (one Redis round trip fewer before the model request); the question is added as the last
   * turn. Absent: read from the session once the turn is stored.
   */
  context?: ModelContext;
  /**
   * Resolves once the visitor message and the reply stream are stored (true) or refused
   * (false: session gone; nothing is generated). Retrieval runs beside it.
   */
  opened?: Promise<boolean>;
  /** How the visitor said it: typed (default), a SEND CTA click, or transcribed speech. */
  via?: 'text' | 'cta' | 'spoken';
}

/**
 * Contact capture for a turn (the leads feature implements it; chat only passes it on): the
 * provider gets the turn's capture and records what the visitor gave; `finish` runs once the
 * reply is stored. `openTurn` resolves null when capture is unavailable (a store is down): the
 * reply goes on without it.
 */
export interface TurnCapture {
  openTurn(input: { business: BusinessProfile; sessionId: string; text: string; cta: boolean; spoken: boolean }): Promise<CaptureTurn | null>;
}

/** One turn's capture as the generator uses it: `asksFor` is read once the provider is done, `finish` once the reply is stored. */
export type CaptureTurn = ContactCaptureTurn & { asksFor(): ContactField | null; finish(): Promise<void> };

/**
 * Runs a reply off the request: retrieval, the provider stream into the reply's Redis
 * Stream, the assistant message into the session, then (detached) folding old turns into the
 * summary. Failures end the reply with a ReplyError; the visitor's message was stored before
 * generation started, so it is never lost.
 */
export class ReplyGenerator {
  private readonly running = new Set<Promise<void>>();
  private readonly aborts = new Set<AbortController>();

  constructor(
    private readonly deps: {
      sessions: SessionStore;
      provider: LlmProvider;
      /**
       * Used only when the provider's summary keeps failing and the unfolded history has grown
       * past four windows: an extractive summary keeps Redis bounded without dropping turns.
       */
      fallbackSummarizer?: LlmProvider;
      retriever: Retriever;
      metrics: Metrics;
      logger: Logger;
      maxHistoryTurns: number;
      /**
       * Longest reply streamed and stored, in characters (8 per GEMINI_MAX_OUTPUT_TOKENS): a
       * provider that ignores its token bound, or a huge offline answer, is cut here and the
       * provider stream is aborted, so no reply grows the session and the replayed history
       * without bound. Absent: no cap.
       */
      maxReplyChars?: number;
      /** Contact capture (leads); without it replies never capture details. */
      capture?: TurnCapture;
      /** Conversation records and analytics: one non-blocking call per stored reply. */
      events: ChatEventSink;
    },
  ) {}

  /** Starts a reply in the background; errors are handled inside. */
  start(job: GenerationJob): void {
    void this.run(job);
  }

  /** Like {@link start}, but resolves when the reply has ended (a worker job awaits its turn). */
  run(job: GenerationJob): Promise<void> {
    return this.track(this.generate(job));
  }

  /** Resolves once no reply or fold of this process is running (tests wait on it). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  /** Aborts replies in flight (they end with INTERRUPTED) and waits for them and for folds. */
  async close(): Promise<void> {
    for (const a of this.aborts) a.abort();
    await Promise.allSettled([...this.running]);
  }

  private track(work: Promise<void>): Promise<void> {
    const p = work.catch((err: unknown) => {
      this.deps.logger.error('chat background work failed', { error: String(err) });
    });
    this.running.add(p);
    void p.finally(() => this.running.delete(p));
    return p;
  }

  private async retrieve(job: GenerationJob): Promise<RetrievedPassage[]> {
    try {
      return await this.deps.retriever.retrieve({
        businessId: job.business.id,
        query: job.question,
        limit: 5,
        categories: job.business.enabledCategories,
        synonyms: job.business.synonyms,
      });
    } catch (err) {
      // Answering without the knowledge base beats not answering.
      this.deps.logger.warn('retrieval failed; answering without passages', { businessId: job.business.id, error: String(err) });
      return [];
    }
  }

  private async openCapture(job: GenerationJob): Promise<CaptureTurn | null> {
    if (!this.deps.capture) return null;
    try {
      return await this.deps.capture.openTurn({
        business: job.business,
        sessionId: job.sessionId,
        text: job.question,
        cta: job.via === 'cta',
        spoken: job.via === 'spoken',
      });
    } catch (err) {
      this.deps.logger.warn('contact capture unavailable; answering without it', { sessionId: job.sessionId, error: String(err) });
      return null;
    }
  }

  private async generate(job: GenerationJob): Promise<void> {
    const { deps } = this;
    const abort = new AbortController();
    this.aborts.add(abort);
    const provider = deps.provider.name;
    let outcome = 'error';
    let erased = false;
    try {
      // Nothing that can run beside the model request's inputs waits for another: retrieval
      // (Postgres), the turn's writes (Redis), contact capture and, when not given, the history read.
      const [passages, opened, capture] = await Promise.all([this.retrieve(job), job.opened ?? Promise.resolve(true), this.openCapture(job)]);
      if (!opened) {
        outcome = 'gone';
        return;
      }
      const { summary, turns } = job.context
        ? { summary: job.context.summary, turns: [...job.context.turns, { role: 'user' as const, text: job.question }] }
        : await deps.sessions.modelContext(job.sessionId, deps.maxHistoryTurns);
      let text = '';
      let first = true;
      let grounded = true;
      let firstTokenMs: number | null = null;
      const reply = deps.provider.streamReply({
        systemInstruction: systemPromptOf(job.business, capture?.state),
        summary,
        passages: passages.map((p) => ({ documentId: p.documentId, title: p.title, text: p.text, sourceUrl: p.sourceUrl })),
        turns,
        signal: abort.signal,
        business: job.business,
        contact: capture ?? undefined,
      });
      for await (const delta of withGrounding(reply, () => (grounded = false))) {
        if (!delta) continue;
        if (first) {
          firstTokenMs = Date.now() - job.acceptedAt;
          deps.metrics.timeToFirstToken.observe({ provider }, firstTokenMs / 1000);
          first = false;
        }
        // The length cap: keep what fits (never half a surrogate pair), then leave the loop,
        // which aborts the provider's stream, and end the reply normally with what was said.
        const room = (deps.maxReplyChars ?? Infinity) - text.length;
        const capped = delta.length >= room;
        const piece = capped ? cutAt(delta, room) : delta;
        text += piece;
        if (piece && !(await job.writer.delta(piece))) {
          // The session was erased mid-reply: stop the provider, store and write nothing more.
          erased = true;
          abort.abort();
          break;
        }
        if (capped) {
          deps.logger.warn('reply cut at the length cap', { sessionId: job.sessionId, maxReplyChars: deps.maxReplyChars });
          break;
        }
      }
      if (erased) {
        outcome = 'erased';
        return;
      }
      // Which contact detail this reply asks for, from the capture state (the widget opens its
      // contact form on it). No capture (leads unavailable this turn): no flag.
      const asksForContact = capture?.asksFor() ?? null;
      const message: MessageRecord = {
        id: randomUUID(),
        role: 'ASSISTANT',
        text: text.trim(),
        createdAt: new Date().toISOString(),
        // A reply the provider could not ground in the business's material cites nothing.
        sources: grounded ? toSources(passages) : [],
        ctas: [],
        ...(grounded ? {} : { grounded: false }),
        ...(asksForContact ? { asksForContact } : {}),
      };
      // Sent together on one connection: Redis stores the message before it writes the final
      // entry, so a client that sees `done` finds the message in the session.
      const [stored] = await Promise.all([deps.sessions.append(job.sessionId, [{ message, inHistory: true }], 'reply'), job.writer.finish(message, null)]);
      outcome = 'ok';
      if (stored.ok) {
        if (!grounded) deps.metrics.unansweredReplies.inc({ provider });
        deps.events.record({
          kind: 'reply',
          sessionId: job.sessionId,
          businessId: job.business.id,
          at: message.createdAt,
          messages: [message],
          provider,
          firstTokenMs,
          grounded,
          question: job.question,
        });
      }
      await capture?.finish();
      if (stored.ok && stored.historyLength > 2 * deps.maxHistoryTurns) void this.track(this.fold(job.sessionId, job.business));
    } catch (err) {
      const error = replyErrorOf(err, abort.signal.aborted);
      deps.logger.warn('reply failed', { sessionId: job.sessionId, replyId: job.writer.replyId, code: error.code, error: String(err) });
      await job.writer.finish(null, error).catch((e: unknown) => {
        // Redis is gone: readers will see the heartbeat lapse and report INTERRUPTED.
        deps.logger.error('could not record the failed reply', { replyId: job.writer.replyId, error: String(e) });
      });
    } finally {
      job.writer.stopHeartbeat();
      this.aborts.delete(abort);
      deps.metrics.chatLatency.observe({ provider, outcome }, (Date.now() - job.acceptedAt) / 1000);
    }
  }

  /**
   * Folds the turns that left the window into the running summary. Off the reply's path;
   * if the provider fails the turns stay in the history and the next reply tries again.
   */
  private async fold(sessionId: string, business: BusinessProfile): Promise<void> {
    const { deps } = this;
    const fold = await deps.sessions.beginFold(sessionId, deps.maxHistoryTurns);
    if (!fold) return;
    try {
      const request = { systemInstruction: buildSystemPrompt(business), previousSummary: fold.summary, turns: fold.turns };
      const summary = await deps.provider.summarize(request).catch((err: unknown) => {
        if (!deps.fallbackSummarizer || fold.turns.length < 8 * deps.maxHistoryTurns) throw err;
        deps.logger.warn('summary failed repeatedly; folding extractively', { sessionId, error: String(err) });
        return deps.fallbackSummarizer.summarize(request);
      });
      if (!summary.trim()) throw new Error('empty summary');
      const committed = await deps.sessions.commitFold(sessionId, fold, summary.trim());
      deps.metrics.chatSummaryFolds.inc({ outcome: committed ? 'ok' : 'conflict' });
    } catch (err) {
      deps.metrics.chatSummaryFolds.inc({ outcome: 'failed' });
      deps.logger.warn('summary fold failed; turns kept for the next attempt', { sessionId, error: String(err) });
    } finally {
      await deps.sessions.endFold(sessionId, fold.token);
    }
  }
}

/** The first `n` UTF-16 units of `text`, one fewer when the cut would split a surrogate pair. */
function cutAt(text: string, n: number): string {
  if (n <= 0) return '';
  const code = text.charCodeAt(n - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? n - 1 : n);
}

// Business profiles are frozen objects replaced on every change (BusinessCache), so the prompt
// built from one can be kept with it.
const prompts = new WeakMap<BusinessProfile, string>();

function systemPromptOf(business: BusinessProfile, contact?: ContactPromptState | null): string {
  if (contact) return buildSystemPrompt(business, contact);
  let prompt = prompts.get(business);
  if (prompt === undefined) {
    prompt = buildSystemPrompt(business);
    if (Object.isFrozen(business)) prompts.set(business, prompt);
  }
  return prompt;
}

function toSources(passages: RetrievedPassage[]): SourceRecord[] {
  const seen = new Set<string>();
  const out: SourceRecord[] = [];
  for (const p of passages) {
    if (seen.has(p.documentId)) continue;
    seen.add(p.documentId);
    out.push({ documentId: p.documentId, title: p.title, snippet: p.snippet });
  }
  return out;
}

function replyErrorOf(err: unknown, aborted: boolean): ReplyErrorRecord {
  if (aborted) return { code: 'INTERRUPTED', message: 'The reply stopped because the server is shutting down; please send your message again.' };
  if (err instanceof LlmError) {
    return { code: 'LLM_FAILED', message: 'Sorry, the answer was cut off. Please send your message again.' };
  }
  return { code: 'INTERNAL', message: 'Sorry, something went wrong while answering. Please send your message again.' };
}
