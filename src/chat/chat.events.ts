/**
 * What happened in a chat, as chat reports it to whoever keeps conversation records and
 * analytics (src/analytics/ implements {@link ChatEventSink}; chat knows only this interface).
 * Reporting is one synchronous, non-blocking call per step of a turn: it never waits for a
 * store and never throws, so it cannot slow or fail the turn.
 */
import type { MessageRecord } from './chat.records';

/** How the visitor's words reached chat: typed, or transcribed from a recording. */
export type VisitorInput = 'typed' | 'spoken';

export type ChatEvent =
  | { kind: 'session_started'; sessionId: string; businessId: string; at: string; messages: MessageRecord[] }
  /** A typed or spoken message and, for a reply without a model (greeting again), that reply too. */
  | { kind: 'visitor_message'; sessionId: string; businessId: string; at: string; messages: MessageRecord[]; input: VisitorInput }
  /** A CTA click: the click as a visitor message and, unless it goes to the model (SEND), the canned reply. */
  | { kind: 'cta_click'; sessionId: string; businessId: string; at: string; messages: MessageRecord[]; ctaId: string; label: string }
  /**
   * A model reply, stored in the session. `grounded: false` when the provider said it could not
   * answer from what the business shared; `question` is the visitor message it answers.
   */
  | {
      kind: 'reply';
      sessionId: string;
      businessId: string;
      at: string;
      messages: MessageRecord[];
      provider: string;
      firstTokenMs: number | null;
      grounded: boolean;
      question: string;
    };

export interface ChatEventSink {
  /** Never throws, never awaits a store: failures are the sink's to log and count. */
  record(event: ChatEvent): void;
}

/** For cores and tests built without conversation records. */
export const NO_CHAT_EVENTS: ChatEventSink = { record: () => undefined };
