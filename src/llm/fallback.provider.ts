import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { LlmError, type Classification, type ClassifyRequest, type LlmProvider, type ReplyRequest, type SummaryRequest, type TranscriptionRequest } from './llm.provider';

/**
 * Gemini first, the offline provider when Gemini fails before its first token (timeout,
 * 429/5xx after retries, network, open circuit). After the first token a failure is
 * re-thrown: the visitor already saw part of an answer, so the chat service ends the reply
 * with a ReplyError instead of splicing in a different one. Transcription falls back the same
 * way (see {@link FallbackProvider.transcribe}).
 */
export class FallbackProvider implements LlmProvider {
  readonly name: string;

  constructor(
    private readonly primary: LlmProvider,
    private readonly fallback: LlmProvider,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
  ) {
    this.name = primary.name;
  }

  async *streamReply(request: ReplyRequest): AsyncIterable<string> {
    const iterator = this.primary.streamReply(request)[Symbol.asyncIterator]();
    let first: IteratorResult<string>;
    try {
      first = await iterator.next();
    } catch (err) {
      const kind = err instanceof LlmError ? err.kind : 'unknown';
      if (kind === 'aborted') throw err;
      this.metrics.llmFallbacks.inc({ reason: kind });
      this.logger.warn('llm fallback to offline', { reason: kind });
      yield* this.fallback.streamReply(request);
      return;
    }
    try {
      if (first.done) return;
      yield first.value;
      for (;;) {
        const next = await iterator.next();
        if (next.done) return;
        yield next.value;
      }
    } finally {
      // Closes the primary stream when the consumer stops early.
      await iterator.return?.();
    }
  }

  async summarize(request: SummaryRequest): Promise<string> {
    return this.primary.summarize(request);
  }

  /** The primary's classifier (no fallback: the caller has a local one). */
  get classify(): ((request: ClassifyRequest) => Promise<Classification>) | undefined {
    const primary = this.primary;
    return primary.classify ? (request) => primary.classify!(request) : undefined;
  }

  /**
   * Gemini first; when it fails (after its retries, or with the circuit open) the offline
   * provider's local recogniser, if one is installed. The fallback's own error wins then: it
   * says what voice needs (SERVICE_UNAVAILABLE naming pocketsphinx, or LlmError `unavailable`).
   */
  async transcribe(request: TranscriptionRequest): Promise<string> {
    try {
      return await this.primary.transcribe(request);
    } catch (err) {
      const kind = err instanceof LlmError ? err.kind : 'unknown';
      if (kind === 'aborted' || request.signal?.aborted) throw err;
      this.metrics.llmFallbacks.inc({ reason: kind });
      this.logger.warn('transcription fallback to the local recogniser', { reason: kind });
      return this.fallback.transcribe(request);
    }
  }
}
