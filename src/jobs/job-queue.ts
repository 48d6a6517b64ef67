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

  /** Runs the processor registered for `name`; throws when there is none. */
  run(name: string, data: unknown, context: JobContext): Promise<void> {
    const processor = this.processors.get(name);
    if (!processor) throw new Error(`no processor registered for job "${name}"`);
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

export interface JobQueue {
  enqueue(name: string, data: Record<string, unknown>, options?: EnqueueOptions): Promise<void>;
  close(): Promise<void>;
}

export interface RetryPolicy {
  attempts: number;
  /** Base delay of the exponential backoff between attempts. */
  backoffMs: number;
}
