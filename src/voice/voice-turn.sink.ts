import type { Receipt } from '../chat/chat.service';
import type { RequestContext } from '../common/request-context';

/**
 * The seams between voice and the rest of the server. Voice turns a recording into text; what
 * happens to the text — history, retrieval, the streamed reply, CTAs — is the chat service's
 * job, reached only through {@link VoiceTurnSink}, which chat implements in
 * `src/chat/voice-turn.adapter.ts` (ChatVoiceTurns). The app builds {@link VoiceJobQueue} on the
 * jobs queue (`voiceJobQueue` in voice.module.ts); the worker registers VOICE_JOB_NAME.
 */

/** The chat service's receipt: the stored visitor message and the reply id. */
export type VoiceReceipt = Receipt;

/** Where a pending (worker-transcribed) voice turn lives until its transcript is known. */
export interface PendingVoiceTurn {
  sessionId: string;
  replyId: string;
  userMessageId: string;
}

export interface VoiceTurnSink {
  /** The business a session belongs to; throws NOT_FOUND for an unknown or expired session. */
  sessionBusiness(sessionId: string, ctx: RequestContext): Promise<string>;
  /** Continues the conversation exactly as if the visitor had typed `text`. */
  sendText(sessionId: string, text: string, ctx: RequestContext): Promise<VoiceReceipt>;
  /**
   * Large files: records a visitor message with empty text and opens a reply stream that
   * stays open (no model call yet) until the worker calls {@link completePendingTurn}.
   */
  beginPendingTurn(sessionId: string, ctx: RequestContext): Promise<VoiceReceipt>;
  /** Worker side: fills in the transcript and starts the reply on the same replyId. */
  completePendingTurn(turn: PendingVoiceTurn, transcript: string): Promise<void>;
  /** Worker side: ends the reply stream with a ReplyError (code, message) and no model call. */
  failPendingTurn(turn: PendingVoiceTurn, error: { code: string; message: string }): Promise<void>;
}

/** What the worker receives for a large voice file (JSON; no local path, the audio is in Redis). */
export interface VoiceJobPayload extends PendingVoiceTurn {
  /** The Redis key (already prefixed) holding the uploaded bytes. */
  audioKey: string;
  bytes: number;
  requestId: string;
  /** ISO time the upload finished. */
  receivedAt: string;
}

/** The jobs queue, as voice needs it (see `voiceJobQueue`: BullMQ or inline driver). */
export interface VoiceJobQueue {
  enqueue(payload: VoiceJobPayload): Promise<void>;
}

export const VOICE_JOB_NAME = 'voice.transcribe';
