import { randomUUID } from 'node:crypto';
import { AppError, NotFoundError } from '../common/errors';
import type { Logger } from '../observability/logger';
import type { RequestContext } from '../common/request-context';
import type { PendingVoiceTurn, VoiceReceipt, VoiceTurnSink } from '../voice/voice-turn.sink';
import type { MessageRecord, ReplyErrorRecord } from './chat.records';
import { checkMessageText } from './chat.input';
import type { BusinessLookup, ChatService } from './chat.service';
import { ReplyStreamWriter, type ReplyStreamSettings } from './reply-stream.writer';
import type { ReplyGenerator } from './reply.generator';
import { newOpaqueId, type SessionStore } from './session.store';
import type { RedisClient } from '../redis/redis';

export interface ChatVoiceTurnsDeps {
  chat: ChatService;
  redis: RedisClient;
  sessions: SessionStore;
  businesses: BusinessLookup;
  generator: ReplyGenerator;
  streams: ReplyStreamSettings;
  /**
   * How long a pending voice reply may wait for the worker before readers report INTERRUPTED.
   * The app passes the parked audio's lifetime (VOICE_AUDIO_TTL_SECONDS): after that the job
   * can only fail, so waiting longer is pointless, and waiting less would cut off a job still
   * queued or being retried.
   */
  pendingMs: number;
  logger: Logger;
}

const SESSION_GONE: ReplyErrorRecord = {
  code: 'NOT_FOUND',
  message: 'The conversation ended before the voice message was transcribed; start a new one.',
};

/**
 * Chat's side of the voice seam ({@link VoiceTurnSink}): a transcript continues the
 * conversation through the same ChatService path as typed text; a large file's turn is opened
 * with an empty visitor message and a reply stream that waits (no model call) until the worker
 * completes or fails it on the same replyId.
 *
 * Waiting without a generator: the pending stream's heartbeat is set once for `pendingMs`
 * (no timer — the web process may be gone by the time the worker runs), so the hub's
 * INTERRUPTED watchdog only fires when the worker never came. When the worker completes the
 * turn, the reply gets the normal refreshed heartbeat from the worker process.
 */
export class ChatVoiceTurns implements VoiceTurnSink {
  constructor(private readonly deps: ChatVoiceTurnsDeps) {}

  async sessionBusiness(sessionId: string, ctx: RequestContext): Promise<string> {
    return (await this.deps.chat.getSession(sessionId, ctx)).businessId;
  }

  sendText(sessionId: string, text: string, ctx: RequestContext): Promise<VoiceReceipt> {
    return this.deps.chat.sendText(sessionId, text, ctx);
  }

  async beginPendingTurn(sessionId: string, ctx: RequestContext): Promise<VoiceReceipt> {
    const { chat, sessions, redis, streams, pendingMs } = this.deps;
    const session = await chat.getSession(sessionId, ctx);
    const user: MessageRecord = { id: randomUUID(), role: 'USER', text: '', createdAt: new Date().toISOString(), sources: [], ctas: [] };
    // Out of the model history until the transcript is known (fillPending adds it).
    const stored = await sessions.append(session.id, [{ message: user, inHistory: false }], null);
    if (!stored.ok) throw new NotFoundError('Session');
    const writer = new ReplyStreamWriter(redis, newOpaqueId(), streams);
    await writer.startPending(session.id, pendingMs);
    return { userMessage: user, replyId: writer.replyId };
  }

  async completePendingTurn(turn: PendingVoiceTurn, transcript: string): Promise<void> {
    const { sessions, businesses, redis, streams, generator, logger } = this.deps;
    let text: string;
    try {
      text = checkMessageText(transcript);
    } catch (err) {
      if (err instanceof AppError) return this.failPendingTurn(turn, { code: err.code, message: err.message });
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
      if (filled === 'ok') question = text;
    }
    // Already filled in: a retried job. Its first run may have died before the reply started,
    // so the reply is started here unless another run has claimed it (resume is once only).
    const writer = new ReplyStreamWriter(redis, turn.replyId, streams);
    if (!question || !(await writer.resume())) {
      logger.info('pending voice turn already answered or answering', { replyId: turn.replyId });
      return;
    }
    // Awaited: the worker's job spans the whole turn, so a worker shutting down waits for it.
    await generator.run({ business, sessionId: session.id, question, writer, acceptedAt: Date.now() });
  }

  async failPendingTurn(turn: PendingVoiceTurn, error: { code: string; message: string }): Promise<void> {
    const session = await this.deps.sessions.get(turn.sessionId);
    const pending = session?.messages.find((m) => m.id === turn.userMessageId && m.text === '');
    // The empty placeholder goes: the widget should not show a blank visitor bubble.
    if (session && pending) await this.deps.sessions.removePending(session.id, pending);
    await this.finish(turn, error);
  }

  /** Ends a still-pending reply with `error`; a reply already answered (or answering) is left alone. */
  private async finish(turn: PendingVoiceTurn, error: ReplyErrorRecord): Promise<void> {
    const writer = new ReplyStreamWriter(this.deps.redis, turn.replyId, this.deps.streams);
    if (await writer.claim()) await writer.finish(null, error);
    else this.deps.logger.info('pending voice turn no longer pending; not failing it', { replyId: turn.replyId, code: error.code });
  }
}
