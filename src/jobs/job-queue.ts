/**
 * A small queue seam (after Twenty's MessageQueueDriver): features enqueue named jobs with
 * JSON data and register processors by name in the {@link JobRegistry}; a driver decides where
 * they run. The BullMQ
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

/**
 * The one processor registry of a process. The composition root builds it; each feature
 * registers its processors by job name at start-up; every queue driver (inline, the BullMQ
 * worker) runs jobs from it. A name registered twice is a wiring mistake and throws.
 */
export class JobRegistry {
  private readonly processors = new Map<string, JobProcessor<never>>();

  register<T>(name: string, processor: JobProcessor<T>): this {
    if (this.processors.has(name)) throw new Error(`a processor for job "${name}" is already registered`);
    this.processors.set(name, processor);
    return this;
  }

  registerAll(processors: JobProcessors): this {
    for (const [name, processor] of Object.entries(processors)) this.register(name, processor);
    return this;
  }

  /**
   * Runs the processor registered for `name`; throws when there is none. A job whose payload
   * was scrubbed ({@link ERASED_JOB_DATA}: its session was erased while it ran) is dropped.
   */
  run(name: string, data: unknown, context: JobContext): Promise<void> {
    const processor = this.processors.get(name);
    if (!processor) throw new Error(`no processor registered for job "${name}"`);
    if (isErasedJobData(data)) return Promise.resolve();
    return (processor as (d: unknown, c: JobContext) => Promise<void>)(data, context);
  }

  has(name: string): boolean {
    return this.processors.has(name);
  }

  names(): string[] {
    return [...this.processors.keys()];
  }
}

export interface EnqueueOptions {
  /**
   * Deduplication key: a job with the id of one still waiting or running is not added twice
   * (BullMQ semantics; the inline driver does the same).
   */
  jobId?: string;
}

/**
 * What a job's payload is replaced with when it cannot be removed (it is running): no visitor
 * data, and {@link JobRegistry.run} drops it on a retry.
 */
export const ERASED_JOB_DATA: Readonly<Record<string, unknown>> = Object.freeze({ erased: true });

export function isErasedJobData(data: unknown): boolean {
  return typeof data === 'object' && data !== null && (data as { erased?: unknown }).erased === true && Object.keys(data).length === 1;
}

export interface JobQueue {
  enqueue(name: string, data: Record<string, unknown>, options?: EnqueueOptions): Promise<void>;
  /**
   * Erasure: removes job `jobId` of `name` with its payload, whatever its state (waiting,
   * delayed, completed, failed); a running job cannot be removed, so its stored payload is
   * replaced with {@link ERASED_JOB_DATA} (a retry then does nothing). No-op when there is none.
   */
  remove(name: string, jobId: string): Promise<void>;
  close(): Promise<void>;
}

export interface RetryPolicy {
  attempts: number;
  /** Base delay of the exponential backoff between attempts. */
  backoffMs: number;
}
