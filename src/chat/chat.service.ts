import { randomUUID } from 'node:crypto';
import {
  childCtas,
  CtaAction,
  entryCtas,
  findCta,
  greetingText,
  toCtaButton,
  type BusinessProfile,
  type CtaButton,
  type CtaNodeRecord,
} from '../business/business.profile';
import { AppError, NotFoundError } from '../common/errors';
import type { RequestContext } from '../common/request-context';
import type { LastKind, MessageRecord, ReplyChunkRecord, SessionRecord } from './chat.records';
import { greetingAgainText, isResetMessage } from './chat.navigation';
import type { ChatEvent, ChatEventSink, VisitorInput } from './chat.events';
import type { OriginAccess, OriginCaller } from '../business/business.origins';
import { checkMessageText, checkOneOf } from './chat.input';
import type { ReplyStreamHub } from './reply-stream.hub';
import { ReplyStreamWriter, type ReplyStreamSettings } from './reply-stream.writer';
import type { ReplyGenerator } from './reply.generator';
import { newOpaqueId, type ModelContext, type SessionHead, type SessionStore } from './session.store';
import type { SessionErasure } from './session.erasure';
import type { RedisClient } from '../redis/redis';

/**
 * Anything that can look a business up by id (the in-process BusinessCache). `clientIp`: the
 * id came from that public caller, whose lookups of unknown ids are limited.
 */
export interface BusinessLookup {
  get(id: string, clientIp?: string): Promise<BusinessProfile | null>;
}

/** The per-client limits of visitor turns (RateLimitService implements it). */
export interface TurnLimits {
  /** `chat`: the turn reaches the model; `navigation`: it needs none. Throws RATE_LIMITED. */
  consume(name: 'chat' | 'navigation', ip: string): Promise<void>;
}

/**
 * The caller, as far as the chat needs it (the origin rule, rate limits). `clientIp` absent:
 * an in-process caller (tests, tools), not rate limited.
 */
export type ChatCaller = OriginCaller & Partial<Pick<RequestContext, 'clientIp'>>;

export interface SendMessageRequest {
  sessionId: string;
  text?: string | null;
  ctaId?: string | null;
}

/** A session and its business, loaded and checked once for one turn. */
export interface TurnTarget {
  session: SessionHead;
  business: BusinessProfile;
  /** What the model sees before this turn, read with the session (sendMessage's path). */
  context?: ModelContext;
}

export interface Receipt {
  userMessage: MessageRecord;
  replyId: string;
}

/** The event a visitor step reports, given the messages it stored. */
type Reporter = (messages: MessageRecord[]) => ChatEvent;

function message(role: MessageRecord['role'], text: string, ctas: CtaButton[] = []): MessageRecord {
  return { id: randomUUID(), role, text, createdAt: new Date().toISOString(), sources: [], ctas };
}

/**
 * A visitor's conversation: sessions, turns, CTA clicks and greetings, reply streams.
 * Input is checked and the session, business and CTA are resolved before anything is
 * written or any model is called. Model replies run in the background (ReplyGenerator) and
 * stream through Redis, so `replyStream` works from any process.
 */
export class ChatService {
  constructor(
    private readonly deps: {
      redis: RedisClient;
      sessions: SessionStore;
      businesses: BusinessLookup;
      hub: ReplyStreamHub;
      generator: ReplyGenerator;
      streams: ReplyStreamSettings;
      /** Which pages may use which business's chat (FORBIDDEN otherwise). */
      origins: Pick<OriginAccess, 'assertChat'>;
      /** What endSession runs: the session's Redis keys and every registered SessionEraser. */
      erasure: SessionErasure;
      limits?: TurnLimits;
      /** Conversation records and analytics (one non-blocking call per step of a turn). */
      events: ChatEventSink;
      /** MAX_HISTORY_TURNS: the turns read with the session for the model (the generator's window). */
      maxHistoryTurns?: number;
    },
  ) {}

  /** `clientIp`: the id was named by that public caller (startSession), not read from a session. */
  private async business(id: string, caller: ChatCaller, clientIp?: string): Promise<BusinessProfile> {
    const business = await this.deps.businesses.get(id, clientIp);
    if (!business) throw new NotFoundError('Business');
    this.deps.origins.assertChat(business, caller);
    return business;
  }

  /**
   * The session and its business, origin-checked; NOT_FOUND when either is gone or the id is
   * unknown. A caller that does work before the turn (voice transcribes) opens the turn once
   * and continues it with {@link sendTextTo}.
   */
  async openTurn(sessionId: string, caller: ChatCaller): Promise<TurnTarget> {
    return this.openTurnWith(sessionId, caller, 0);
  }

  /**
   * {@link openTurn} in one Redis command (the transcript is not read); with `turns` > 0 it
   * also brings what the model sees before this turn (summary and history window), so the
   * model request needs no further read.
   */
  private async openTurnWith(sessionId: string, caller: ChatCaller, turns: number): Promise<TurnTarget> {
    const state = await this.deps.sessions.turnState(sessionId, turns);
    if (!state) throw new NotFoundError('Session');
    const { context, ...session } = state;
    return { session, business: await this.business(session.businessId, caller), ...(turns > 0 ? { context } : {}) };
  }

  private opening(business: BusinessProfile): MessageRecord[] {
    const ctas = entryCtas(business);
    const second = business.secondaryGreeting?.trim();
    if (!second) return [message('ASSISTANT', greetingText(business), ctas)];
    return [message('ASSISTANT', greetingText(business)), message('ASSISTANT', second, ctas)];
  }

  /** A new session for `businessId`, opening with the greeting and the entry CTAs. */
  async startSession(businessId: string, caller: ChatCaller): Promise<SessionRecord> {
    const business = await this.business(businessId, caller, caller.clientIp);
    const session = await this.deps.sessions.create(business.id, this.opening(business));
    this.deps.events.record({ kind: 'session_started', sessionId: session.id, businessId: business.id, at: new Date().toISOString(), messages: session.messages });
    return session;
  }

  async getSession(id: string, caller: ChatCaller): Promise<SessionRecord> {
    const session = await this.deps.sessions.get(id);
    if (!session) throw new NotFoundError('Session');
    await this.business(session.businessId, caller);
    return session;
  }

  /**
   * Erases the session now (see {@link SessionErasure}): its transcript and history, its reply
   * streams (a reply still generating stops and stores nothing), parked audio, queued job
   * payloads, and whatever other features registered. False when there was none. A session
   * whose erasure failed midway is still found here, so calling again finishes it.
   */
  async endSession(id: string, caller: ChatCaller): Promise<boolean> {
    const businessId = await this.deps.sessions.ownerOf(id);
    if (!businessId) return false;
    await this.business(businessId, caller);
    return this.deps.erasure.eraseSession(id);
  }

  /**
   * A visitor message: text or a CTA click. Starts the reply and returns at once. Counted
   * against the caller's limits by what it costs: a turn that reaches the model against
   * RATE_LIMIT_CHAT, a greeting or a menu/link click against RATE_LIMIT_NAVIGATION. Text is
   * counted before the session is read; a click once its CTA is known (its action decides).
   */
  async sendMessage(input: SendMessageRequest, caller: ChatCaller): Promise<Receipt> {
    const kind = checkOneOf(input.text, input.ctaId);
    const turns = this.deps.maxHistoryTurns ?? 10;
    if (kind === 'text') {
      const text = checkMessageText(input.text as string);
      // The limit and the session read go out together; the limit is sent first, so a
      // refused turn is RATE_LIMITED whatever the session, and nothing is written before both.
      const [, target] = await Promise.all([this.count(isResetMessage(text) ? 'navigation' : 'chat', caller), this.openTurnWith(input.sessionId, caller, turns)]);
      return this.sendTextTo(target, text);
    }
    const { session, business, context } = await this.openTurnWith(input.sessionId, caller, turns);
    const node = findCta(business, input.ctaId as string);
    // The message names the id the client sent (quoted, cut to 100 characters) so a wrong id in
    // a script or a stale widget is easy to see.
    if (!node) throw new NotFoundError(`CTA ${JSON.stringify((input.ctaId as string).slice(0, 100))}`);
    await this.count(this.clickNeedsModel(node) ? 'chat' : 'navigation', caller);
    return this.click(session, business, node, context);
  }

  private async count(name: 'chat' | 'navigation', caller: ChatCaller): Promise<void> {
    if (caller.clientIp && this.deps.limits) await this.deps.limits.consume(name, caller.clientIp);
  }

  /** Whether {@link click} will call the model for `node`. */
  private clickNeedsModel(node: CtaNodeRecord): boolean {
    return node.action === CtaAction.SEND && !isResetMessage(node.message?.trim() || node.label);
  }

  /**
   * Continues the conversation with what the visitor said (typed, or transcribed from a
   * voice message) and returns the receipt; the reply streams under `replyId`.
   */
  async sendText(sessionId: string, rawText: string, caller: ChatCaller): Promise<Receipt> {
    const text = checkMessageText(rawText);
    return this.sendTextTo(await this.openTurn(sessionId, caller), text);
  }

  /**
   * Continues an opened turn with the visitor's text (checked here). `spoken`: the text was
   * transcribed from speech (a lead captured from it has source VOICE; analytics count it as a
   * voice message); nothing else differs.
   */
  async sendTextTo({ session, business, context }: TurnTarget, rawText: string, opts: { spoken?: boolean } = {}): Promise<Receipt> {
    const text = checkMessageText(rawText);
    const input: VisitorInput = opts.spoken ? 'spoken' : 'typed';
    const report: Reporter = (messages) => ({ kind: 'visitor_message', sessionId: session.id, businessId: business.id, at: messages[0].createdAt, messages, input });
    if (isResetMessage(text)) return this.reset(session, business, text, report);
    return this.modelTurn(session, business, text, opts.spoken ? 'spoken' : 'text', report, context);
  }

  /** Sends and waits for the whole reply (for clients without WebSocket). */
  async chat(input: SendMessageRequest, caller: ChatCaller): Promise<MessageRecord> {
    const receipt = await this.sendMessage(input, caller);
    for await (const chunk of await this.deps.hub.subscribe(receipt.replyId, 0)) {
      if (!chunk.done) continue;
      if (chunk.message) return chunk.message;
      throw new AppError('SERVICE_UNAVAILABLE', chunk.error?.message ?? 'The reply failed', { replyCode: chunk.error?.code }, 'warn');
    }
    throw new AppError('SERVICE_UNAVAILABLE', 'The reply ended without a message', {}, 'warn');
  }

  replyStream(replyId: string, fromSeq = 0): Promise<AsyncIterableIterator<ReplyChunkRecord>> {
    return this.deps.hub.subscribe(replyId, Math.max(0, fromSeq));
  }

  private async click(session: SessionHead, business: BusinessProfile, node: CtaNodeRecord, context?: ModelContext): Promise<Receipt> {
    const report: Reporter = (messages) => ({
      kind: 'cta_click',
      sessionId: session.id,
      businessId: business.id,
      at: messages[0].createdAt,
      messages,
      ctaId: node.id,
      label: node.label,
    });
    if (node.action === CtaAction.SEND) {
      const text = node.message?.trim() || node.label;
      if (isResetMessage(text)) return this.reset(session, business, text, report);
      return this.modelTurn(session, business, text, 'cta', report, context);
    }
    if (node.action === CtaAction.LINK) {
      // The click first: its createdAt must not be later than the reply's (transcripts are ordered by it).
      const user = message('USER', node.label);
      const button = toCtaButton(node);
      const reply = message('ASSISTANT', button.url ? `Here you go: ${button.url}` : node.label, [button]);
      return this.canned(session, user, reply, 'menu', report);
    }
    const user = message('USER', node.label);
    const children = childCtas(business, node.id);
    const reply = message('ASSISTANT', children.length ? `${node.label}: please choose an option.` : node.label, children);
    return this.canned(session, user, reply, 'menu', report);
  }

  /** "hi", "menu", "start over": the greeting again, but never twice in a row. */
  private reset(session: SessionHead, business: BusinessProfile, text: string, report: Reporter): Promise<Receipt> {
    const user = message('USER', text);
    if (session.lastKind === 'greeting' || session.lastKind === 'greeting-again') {
      return this.canned(session, user, message('ASSISTANT', greetingAgainText(business), entryCtas(business)), 'greeting-again', report);
    }
    const greeting = [greetingText(business), business.secondaryGreeting?.trim()].filter(Boolean).join('\n\n');
    return this.canned(session, user, message('ASSISTANT', greeting, entryCtas(business)), 'greeting', report);
  }

  /** A reply that needs no model: stored with the visitor message, streamed in one piece. */
  private async canned(session: SessionHead, user: MessageRecord, reply: MessageRecord, kind: LastKind, report: Reporter): Promise<Receipt> {
    const stored = await this.deps.sessions.append(
      session.id,
      [
        { message: user, inHistory: false },
        { message: reply, inHistory: false },
      ],
      kind,
    );
    if (!stored.ok) throw new NotFoundError('Session');
    this.deps.events.record(report([user, reply]));
    const writer = new ReplyStreamWriter(this.deps.redis, newOpaqueId(), this.deps.streams);
    try {
      if (!(await writer.start(session.id))) throw new NotFoundError('Session');
      await writer.delta(reply.text);
      await writer.finish(reply, null);
    } finally {
      writer.stopHeartbeat();
    }
    return { userMessage: user, replyId: writer.replyId };
  }

  /**
   * Stores the visitor message and opens the reply stream (sent together: one round trip, the
   * message first), while the generator already retrieves; the model is called once both are
   * stored. Session gone or sealed meanwhile: NOT_FOUND, nothing generated, and a stream that
   * was opened is ended at once. Redis failing: the error reaches the caller (nothing was
   * generated; a message that was stored stays, like any unanswered message).
   */
  private async modelTurn(
    session: SessionHead,
    business: BusinessProfile,
    text: string,
    via: 'text' | 'cta' | 'spoken',
    report: Reporter,
    context?: ModelContext,
  ): Promise<Receipt> {
    const acceptedAt = Date.now();
    const user = message('USER', text);
    const writer = new ReplyStreamWriter(this.deps.redis, newOpaqueId(), this.deps.streams);
    const writes = Promise.all([this.deps.sessions.append(session.id, [{ message: user, inHistory: true }], null), writer.start(session.id)]);
    const opened = writes.then(
      ([stored, started]) => stored.ok && started,
      () => false,
    );
    this.deps.generator.start({ business, sessionId: session.id, question: text, writer, acceptedAt, via, context, opened });
    const [stored, started] = await writes;
    if (stored.ok) this.deps.events.record(report([user]));
    if (!stored.ok || !started) {
      writer.stopHeartbeat();
      if (started) await writer.finish(null, { code: 'NOT_FOUND', message: 'The conversation ended.' }).catch(() => undefined);
      throw new NotFoundError('Session');
    }
    return { userMessage: user, replyId: writer.replyId };
  }
}
