import { Queue, Worker, type Job } from 'bullmq';
import Redis from 'ioredis';
import type { AppConfig } from '../config/config';
import type { Logger } from '../observability/logger';
import { ERASED_JOB_DATA, type EnqueueOptions, type JobQueue, type JobRegistry, type RetryPolicy } from './job-queue';

/** One BullMQ queue carries every job name; processors are looked up by `job.name`. */
export const QUEUE_NAME = 'jobs';

type QueueConfig = Pick<AppConfig, 'redisUrl' | 'redisKeyPrefix' | 'redisConnectTimeoutMs'>;

/**
 * BullMQ wants connections of its own: `maxRetriesPerRequest: null` (blocking commands wait
 * through reconnects) and an offline queue, unlike the app's fail-fast connection. The
 * composition root opens it and closes it after the queue or worker.
 */
export function bullConnection(config: QueueConfig, name: string): Redis {
  return new Redis(config.redisUrl, {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    connectTimeout: config.redisConnectTimeoutMs,
    connectionName: name,
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 5), 2_000),
  });
}

/** BullMQ's `prefix` namespaces its keys; ours ends with ":" and BullMQ adds its own. */
export function bullPrefix(config: Pick<AppConfig, 'redisKeyPrefix'>): string {
  return `${config.redisKeyPrefix}bull`;
}

/**
 * Producer side (api processes). Jobs are kept in Redis until a worker takes them, retried
 * with exponential backoff; finished jobs are trimmed (the index_jobs rows are the record).
 */
export class BullMqJobQueue implements JobQueue {
  private readonly queue: Queue;

  constructor(
    connection: Redis,
    config: Pick<AppConfig, 'redisKeyPrefix'>,
    private readonly retry: RetryPolicy,
    private readonly enqueueTimeoutMs = 5_000,
  ) {
    this.queue = new Queue(QUEUE_NAME, { connection, prefix: bullPrefix(config) });
    // Errors surface on enqueue; the event only keeps an outage from crashing the process.
    this.queue.on('error', () => undefined);
  }

  /**
   * Adds the job, or throws within `enqueueTimeoutMs`: BullMQ's connection waits through
   * outages, and an admin request must not hang while Redis is down.
   */
  async enqueue(name: string, data: Record<string, unknown>, options: EnqueueOptions = {}): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Redis did not accept the job within ${this.enqueueTimeoutMs} ms`)), this.enqueueTimeoutMs);
    });
    try {
      await Promise.race([
        this.queue.add(name, data, {
          jobId: options.jobId,
          attempts: this.retry.attempts,
          backoff: { type: 'exponential', delay: this.retry.backoffMs },
          removeOnComplete: { age: 3600, count: 1000 },
          removeOnFail: { age: 7 * 86_400 },
        }),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** See {@link JobQueue.remove}: BullMQ's own removal, or the payload scrubbed when the job is locked (running). */
  async remove(_name: string, jobId: string): Promise<void> {
    const job = await this.queue.getJob(jobId);
    if (!job) return;
    try {
      await job.remove();
    } catch {
      // Locked by a worker: the worker holds the payload in memory; the stored copy goes.
      await job.updateData({ ...ERASED_JOB_DATA });
    }
  }

  /** Stops the queue; its connection belongs to the caller. */
  async close(): Promise<void> {
    await this.queue.close();
  }
}

/**
 * Consumer side (`npm run worker`, and the BullMQ test): runs registered processors with
 * `concurrency` jobs at a time.
 */
export class BullMqJobWorker {
  private readonly worker: Worker;

  constructor(
    connection: Redis,
    config: Pick<AppConfig, 'redisKeyPrefix'>,
    registry: JobRegistry,
    options: { concurrency: number; logger: Logger },
  ) {
    this.worker = new Worker(
      QUEUE_NAME,
      async (job: Job) => {
        const maxAttempts = job.opts.attempts ?? 1;
        const attempt = job.attemptsMade + 1;
        await registry.run(job.name, job.data, { attempt, maxAttempts, isFinalAttempt: attempt >= maxAttempts });
      },
      { connection, prefix: bullPrefix(config), concurrency: options.concurrency, autorun: true },
    );
    this.worker.on('failed', (job, err) => options.logger.warn('job attempt failed', { job: job?.name, id: job?.id, attempt: job?.attemptsMade, error: err.message }));
    this.worker.on('error', (err) => options.logger.error('job worker error', { error: err.message }));
  }

  async waitUntilReady(): Promise<void> {
    await this.worker.waitUntilReady();
  }

  /** Lets running jobs finish; the connection belongs to the caller. */
  async close(): Promise<void> {
    await this.worker.close();
  }
}
