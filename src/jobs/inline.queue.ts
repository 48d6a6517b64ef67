import type { Logger } from '../observability/logger';
import { JobDeferredError, type EnqueueOptions, type JobQueue, type JobRegistry, type RetryPolicy } from './job-queue';

/**
 * Runs jobs in this process, asynchronously (never inside the caller's await) and with the
 * same retry policy as the BullMQ driver. Deterministic for tests: `drain()` resolves when
 * every job enqueued so far has settled. Jobs do not survive a restart: tests only.
 * Same semantics as BullMQ where they matter to features: job id dedupe, `remove`, and a
 * {@link JobDeferredError} waits its delay and runs again without spending an attempt. No
 * concurrency bound (every job starts at once), so lanes make no difference here.
 */
export class InlineJobQueue implements JobQueue {
  private readonly running = new Set<Promise<void>>();
  private readonly activeIds = new Set<string>();
  /** Jobs removed (erased) before or while they ran: no further attempt starts. */
  private readonly removedIds = new Set<string>();
  private closed = false;

  constructor(
    private readonly registry: JobRegistry,
    private readonly retry: RetryPolicy,
    private readonly logger: Logger,
  ) {}

  async enqueue(name: string, data: Record<string, unknown>, options: EnqueueOptions = {}): Promise<void> {
    if (this.closed) throw new Error('job queue is closed');
    if (!this.registry.has(name)) throw new Error(`no processor registered for job "${name}"`);
    if (options.jobId && this.activeIds.has(options.jobId)) return;
    if (options.jobId) {
      this.activeIds.add(options.jobId);
      this.removedIds.delete(options.jobId);
    }
    const removed = () => options.jobId !== undefined && this.removedIds.has(options.jobId);
    const run = (async () => {
      await new Promise((resolve) => setImmediate(resolve));
      for (let attempt = 1; attempt <= this.retry.attempts; attempt++) {
        if (removed()) return;
        const isFinalAttempt = attempt === this.retry.attempts;
        try {
          await this.registry.run(name, data, { attempt, maxAttempts: this.retry.attempts, isFinalAttempt });
          return;
        } catch (err) {
          if (err instanceof JobDeferredError && !this.closed) {
            await new Promise((resolve) => setTimeout(resolve, err.delayMs));
            attempt--; // not an attempt: the same one runs again
            continue;
          }
          this.logger.warn('job attempt failed', { job: name, attempt, error: err instanceof Error ? err.message : String(err) });
          if (isFinalAttempt || this.closed) return;
          await new Promise((resolve) => setTimeout(resolve, this.retry.backoffMs * 2 ** (attempt - 1)));
        }
      }
    })().finally(() => {
      if (options.jobId) {
        this.activeIds.delete(options.jobId);
        this.removedIds.delete(options.jobId);
      }
      this.running.delete(run);
    });
    this.running.add(run);
  }

  /** Like BullMQ's: a job not started yet never starts, a running one gets no further attempt. */
  async remove(_name: string, jobId: string): Promise<void> {
    if (this.activeIds.has(jobId)) this.removedIds.add(jobId);
  }

  /** Resolves once every job enqueued so far (and those they enqueue) has settled. */
  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.drain();
  }
}
