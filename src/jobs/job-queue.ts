/**
 * A small queue seam (after Twenty's MessageQueueDriver): features enqueue named jobs with
 * JSON data and register processors by name; a driver decides where they run. The BullMQ
 * driver runs them in `npm run worker`; the inline driver runs them in-process (tests).
 */
export interface JobContext {
  /** 1 on the first run. */
  attempt: number;
  maxAttempts: number;
  /** True when a failure now is final (no retry follows). */
  isFinalAttempt: boolean;
}

export type JobProcessor<T = Record<string, unknown>> = (data: T, context: JobContext) => Promise<void>;

/** Processors by job name. */
export type JobProcessors = Record<string, JobProcessor<never>>;

export interface EnqueueOptions {
  /**
   * Deduplication key: a job with the id of one still waiting or running is not added twice
   * (BullMQ semantics; the inline driver does the same).
   */
  jobId?: string;
}

export interface JobQueue {
  enqueue(name: string, data: Record<string, unknown>, options?: EnqueueOptions): Promise<void>;
  close(): Promise<void>;
}

export interface RetryPolicy {
  attempts: number;
  /** Base delay of the exponential backoff between attempts. */
  backoffMs: number;
}
