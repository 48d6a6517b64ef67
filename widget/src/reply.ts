import { ChatApiError, type ChatApi } from './api';
import { WidgetReplyStreamDocument, type WidgetMessageFragment } from '../generated/graphql';

/**
 * Follows one reply as it is generated: each chunk has a `seq`; the widget remembers the next
 * seq it needs and, when the connection drops, subscribes again with `fromSeq` = that seq. The
 * server replays from there, so no text is lost, and a chunk below it (a replay the widget
 * already has) is skipped, so none is shown twice.
 */

export interface ReplyHandlers {
  /** Text to append to the reply being shown. */
  delta(text: string): void;
  /** The connection dropped; the widget is reconnecting (attempt 1, 2, …). */
  reconnecting?(attempt: number): void;
}

export interface ReplyOutcome {
  /** The whole reply as stored (its text is authoritative), or null when it failed. */
  message: WidgetMessageFragment | null;
  /** Why it failed (e.g. INTERRUPTED), when it did. */
  error: { code: string; message: string } | null;
}

const MAX_ATTEMPTS = 8;

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function followReply(api: ChatApi, replyId: string, handlers: ReplyHandlers, fromSeq = 0): Promise<ReplyOutcome> {
  // Written by the chunk callback, read by the loop.
  const state: { next: number; outcome: ReplyOutcome | null; attempt: number } = { next: fromSeq, outcome: null, attempt: 0 };
  for (; ; state.attempt++) {
    const attempt = state.attempt;
    if (attempt > 0) {
      handlers.reconnecting?.(attempt);
      // 0.5 s, 1 s, 2 s … up to 8 s between attempts.
      await pause(Math.min(8_000, 250 * 2 ** attempt));
    }
    const subscription = api.subscribe(WidgetReplyStreamDocument, { replyId, fromSeq: state.next }, ({ replyStream: chunk }) => {
      if (chunk.seq < state.next) return; // a replay of what is already shown
      state.next = chunk.seq + 1;
      state.attempt = 0; // the connection works again: the next drop starts the backoff afresh
      if (chunk.delta) handlers.delta(chunk.delta);
      if (chunk.done) state.outcome = { message: chunk.message ?? null, error: chunk.error ?? null };
    });
    try {
      await subscription.done;
    } catch (err) {
      if (!(err instanceof ChatApiError) || err.code !== 'NETWORK') throw err;
    }
    if (state.outcome) return state.outcome;
    if (state.attempt + 1 >= MAX_ATTEMPTS) throw new ChatApiError('NETWORK', 'The connection to the chat server dropped.');
  }
}
