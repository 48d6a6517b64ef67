import { randomUUID } from 'node:crypto';
import { AppError, NotFoundError } from '../common/errors';
import type { Logger } from '../observability/logger';
import type { MessageRecord, ReplyErrorRecord } from './chat.records';
import { checkMessageText } from './chat.input';
import type { ChatEventSink } from './chat.events';
import type { BusinessLookup, Receipt, TurnTarget } from './chat.service';
import { ReplyStreamWriter, type ReplyStreamSettings } from './reply-stream.writer';
import type { ReplyGenerator } from './reply.generator';
import { newOpaqueId, type SessionStore } from './session.store';
import type { RedisClient } from '../redis/redis';

/** Where a pending turn lives until its text is known. */
export interface PendingTurn {
  sessionId: string;
  replyId: string;
  userMessageId: string;
}

export interface PendingTurnsDeps {
  redis: RedisClient;
  sessions: SessionStore;
  businesses: BusinessLookup;
  generator: ReplyGenerator;
  streams: ReplyStreamSettings;
  /**
   * How long a pending reply may wait for its text before readers report INTERRUPTED. The root
   * passes the parked audio's lifetime (VOICE_AUDIO_TTL_SECONDS): after that the voice job can
   * only fail, so waiting longer is pointless, and waiting less would cut off a job still queued
   * or being retried.
   */
  pendingMs: number;
  logger: Logger;
  /** Conversation records and analytics: the filled-in message, reported as spoken. */
  events: ChatEventSink;
}

const SESSION_GONE: ReplyErrorRecord = {
  code: 'NOT_FOUND',
  message: 'The conversation ended before the voice message was transcribed; start a new one.',
};

/**
 * Turns whose text arrives later (a large voice message transcribed by the worker): the turn is
 * opened with an empty visitor message and a reply stream that waits (no model call) until the
 * text is known, then completed or failed on the same replyId. Chat knows nothing of audio:
 * voice calls this with the transcript.
 *
 * Waiting without a generator: the pending stream's heartbeat is set once for `pendingMs`
 * (no timer — the web process may be gone by the time the worker runs), so the hub's
 * INTERRUPTED watchdog only fires when the worker never came. When the worker completes the
 * turn, the reply gets the normal refreshed heartbeat from the worker process.
 */
export class PendingTurns {
  constructor(private readonly deps: PendingTurnsDeps) {}

  /** Records a visitor message with empty text and opens a reply stream that waits for {@link complete}. */
  async begin(target: TurnTarget): Promise<Receipt> {
    const { sessions, redis, streams, pendingMs } = this.deps;
    const { session } = target;
    const user: MessageRecord = { id: randomUUID(), role: 'USER', text: '', createdAt: new Date().toISOString(), sources: [], ctas: [] };
    // Out of the model history until the transcript is known (fillPending adds it).
    const stored = await sessions.append(session.id, [{ message: user, inHistory: false }], null);
    if (!stored.ok) throw new NotFoundError('Session');
    const writer = new ReplyStreamWriter(redis, newOpaqueId(), streams);
    if (!(await writer.startPending(session.id, pendingMs))) throw new NotFoundError('Session');
    return { userMessage: user, replyId: writer.replyId };
  }

  /** Fills in the text and starts the reply on the turn's replyId (idempotent on retry). */
  async complete(turn: PendingTurn, transcript: string): Promise<void> {
    const { sessions, businesses, redis, streams, generator, logger } = this.deps;
    let text: string;
    try {
      text = checkMessageText(transcript);
    } catch (err) {
      if (err instanceof AppError) return this.fail(turn, { code: err.code, message: err.message });
      throw err;
    }
    const session = await sessions.get(turn.sessionId);
    const pending = session?.messages.find((m) => m.id === turn.userMessageId);
    const business = session ? await businesses.get(session.businessId) : null;
    if (!session || !business) return this.finish(turn, SESSION_GONE);
    if (!pending) return this.finish(turn, SESSION_GONE);
    let question = pending.text;
    if (pending.text === '') {
      const filled = await sessions.fillPending(session.id, pending, text);
      if (filled === 'gone') return this.finish(turn, SESSION_GONE);
      if (filled === 'ok') {
        question = text;
        const at = new Date().toISOString();
        this.deps.events.record({ kind: 'visitor_message', sessionId: session.id, businessId: business.id, at, messages: [{ ...pending, text }], input: 'spoken' });
      }
    }
    // Already filled in: a retried job. Its first run may have died before the reply started,
    // so the reply is started here unless another run has claimed it (resume is once only).
    const writer = new ReplyStreamWriter(redis, turn.replyId, streams);
    if (!question || !(await writer.resume())) {
      logger.info('pending voice turn already answered or answering', { replyId: turn.replyId });
      return;
    }
    // Awaited: the worker's job spans the whole turn, so a worker shutting down waits for it.
    // A pending turn's text is a transcript of speech.
    await generator.run({ business, sessionId: session.id, question, writer, acceptedAt: Date.now(), via: 'spoken' });
  }

  /** Ends the waiting reply with a ReplyError (code, message) and no model call. */
  async fail(turn: PendingTurn, error: { code: string; message: string }): Promise<void> {
    const session = await this.deps.sessions.get(turn.sessionId);
    const pending = session?.messages.find((m) => m.id === turn.userMessageId && m.text === '');
    // The empty placeholder goes: the widget should not show a blank visitor bubble.
    if (session && pending) await this.deps.sessions.removePending(session.id, pending);
    await this.finish(turn, error);
  }

  /** Ends a still-pending reply with `error`; a reply already answered (or answering) is left alone. */
  private async finish(turn: PendingTurn, error: ReplyErrorRecord): Promise<void> {
    const writer = new ReplyStreamWriter(this.deps.redis, turn.replyId, this.deps.streams);
    if (await writer.claim()) await writer.finish(null, error);
    else this.deps.logger.info('pending voice turn no longer pending; not failing it', { replyId: turn.replyId, code: error.code });
  }
}
