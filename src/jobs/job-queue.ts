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

/**
 * The queue a job runs in. Each lane is a BullMQ queue of its own with its own concurrency
 * (`JOB_KNOWLEDGE_CONCURRENCY`, `JOB_VOICE_CONCURRENCY`), so a burst of one kind (crawls) never
 * holds the slots of the other (voice messages).
 */
export type JobLane = 'knowledge' | 'voice';
export const JOB_LANES: readonly JobLane[] = ['knowledge', 'voice'];

/**
 * Thrown by a processor that cannot run now (another job holds what it needs, e.g. its
 * business's crawl/rebuild slot): the driver puts the job back for `delayMs` without spending an
 * attempt and frees the slot for other jobs meanwhile.
 */
export class JobDeferredError extends Error {
  constructor(
    readonly delayMs: number,
    reason: string,
  ) {
    super(`deferred ${delayMs} ms: ${reason}`);
    this.name = 'JobDeferredError';
  }
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
  private readonly lanes = new Map<string, JobLane>();

  /** Registers the processor of `name`, run in `lane` (default: the knowledge queue). */
  register<T>(name: string, processor: JobProcessor<T>, lane: JobLane = 'knowledge'): this {
    if (this.processors.has(name)) throw new Error(`a processor for job "${name}" is already registered`);
    this.processors.set(name, processor);
    this.lanes.set(name, lane);
    return this;
  }

  registerAll(processors: JobProcessors, lane: JobLane = 'knowledge'): this {
    for (const [name, processor] of Object.entries(processors)) this.register(name, processor, lane);
    return this;
  }

  /** The lane job `name` runs in; throws when nothing is registered for it. */
  laneOf(name: string): JobLane {
    const lane = this.lanes.get(name);
    if (!lane) throw new Error(`no processor registered for job "${name}"`);
    return lane;
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
