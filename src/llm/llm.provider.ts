/**
 * The one interface every language-model provider implements (gemini, offline).
 * The system instruction is built on the server from the business record only
 * (business/system-prompt.ts); retrieved passages and history travel in `turns`, never in
 * `systemInstruction`.
 */

import type { BusinessProfile } from '../business/business.profile';
import type { ContactCaptureTurn } from './contact-capture';

export interface LlmTurn {
  role: 'user' | 'model';
  text: string;
}

export interface LlmPassage {
  documentId: string;
  title: string;
  text: string;
  sourceUrl?: string | null;
}

export interface ReplyRequest {
  /** Built by buildSystemPrompt(business); holds no visitor text and no secret. */
  systemInstruction: string;
  /** Running summary of older turns, if any (sent as conversation context). */
  summary?: string | null;
  /** Retrieved knowledge for the current question (sent as conversation context). */
  passages: LlmPassage[];
  /** Recent turns, oldest first, ending with the visitor's current message. */
  turns: LlmTurn[];
  /** Aborted when the client or the server gives up. */
  signal?: AbortSignal;
  /**
   * The business record itself, for providers that answer without a model (offline): they
   * read facts and FAQs from it. Model providers use `systemInstruction` only.
   */
  business?: BusinessProfile;
  /**
   * Contact capture for this turn, when the leads feature is on: the provider records what the
   * visitor gave about themselves (Gemini: the record_contact_details function; offline: the
   * extractor) and steers towards the missing fields (see contact-capture.ts).
   */
  contact?: ContactCaptureTurn;
}

/** The conversation, for an end-of-conversation label. */
export interface ClassifyRequest {
  turns: LlmTurn[];
  signal?: AbortSignal;
}

export const INTENTS = ['information', 'pricing', 'booking', 'support', 'complaint', 'other'] as const;
export type Intent = (typeof INTENTS)[number];
export const SENTIMENTS = ['POSITIVE', 'NEUTRAL', 'NEGATIVE'] as const;
export type SentimentLabel = (typeof SENTIMENTS)[number];

export interface Classification {
  intent: Intent;
  sentiment: SentimentLabel;
}

export interface SummaryRequest {
  systemInstruction: string;
  previousSummary?: string | null;
  /** Turns leaving the verbatim window, oldest first. */
  turns: LlmTurn[];
  signal?: AbortSignal;
}

export interface TranscriptionRequest {
  /** 16 kHz mono 16-bit PCM WAV. */
  wav: Buffer;
  /** Hint, e.g. "en-US". */
  language?: string;
  signal?: AbortSignal;
}

/** A provider failure with a kind, for metrics and for the fallback decision. */
export class LlmError extends Error {
  constructor(
    readonly kind: 'timeout' | 'rate_limited' | 'server' | 'client' | 'network' | 'circuit_open' | 'unavailable' | 'aborted',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'LlmError';
  }
}

export interface LlmProvider {
  readonly name: 'gemini' | 'offline' | string;
  /** Streams the reply as text deltas. Throws {@link LlmError}. */
  streamReply(request: ReplyRequest): AsyncIterable<string>;
  /** Folds turns leaving the window into the running summary. */
  summarize(request: SummaryRequest): Promise<string>;
  /** Speech to text. Throws {@link LlmError} with kind `unavailable` when it cannot. */
  transcribe(request: TranscriptionRequest): Promise<string>;
  /**
   * Intent and sentiment of a finished conversation. Optional: without it (the offline
   * provider) the caller uses a local lexicon classifier. Throws {@link LlmError}.
   */
  classify?(request: ClassifyRequest): Promise<Classification>;
}
