import { DelayedError, Queue, Worker, type Job } from 'bullmq';
import Redis from 'ioredis';
import type { AppConfig } from '../config/config';
import type { Logger } from '../observability/logger';
import { ERASED_JOB_DATA, JOB_LANES, JobDeferredError, type EnqueueOptions, type JobLane, type JobQueue, type JobRegistry, type RetryPolicy } from './job-queue';

/**
 * The BullMQ queue of each lane; processors are looked up by `job.name`. The knowledge queue
 * keeps the name of the single queue there used to be, so jobs queued before an upgrade run.
 */
export const QUEUE_NAMES: Readonly<Record<JobLane, string>> = { knowledge: 'jobs', voice: 'voice' };

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
 * Each job goes to the queue of its lane ({@link JobRegistry.laneOf}).
 */
/**
 * The warning for a job no worker has taken: with the BullMQ driver the api only queues, and a
 * quick start that forgot `npm run worker` would otherwise leave knowledge QUEUED with no word.
 */
export interface UnclaimedJobWatch {
  logger: Logger;
  /** How long a job may wait untaken before the warning (default 30 s). */
  afterMs?: number;
}

export const UNCLAIMED_JOB_WARN_MS = 30_000;

export class BullMqJobQueue implements JobQueue {
  private readonly queues = new Map<JobLane, Queue>();
  private readonly watchTimers = new Set<NodeJS.Timeout>();
  /** Per lane: when the last warning was logged (one per `afterMs` at most, however many jobs wait). */
  private readonly lastWarned = new Map<JobLane, number>();

  constructor(
    connection: Redis,
    config: Pick<AppConfig, 'redisKeyPrefix'>,
    private readonly registry: JobRegistry,
    private readonly retry: RetryPolicy,
    private readonly enqueueTimeoutMs = 5_000,
    private readonly unclaimed: UnclaimedJobWatch | null = null,
  ) {
    for (const lane of JOB_LANES) {
      const queue = new Queue(QUEUE_NAMES[lane], { connection, prefix: bullPrefix(config) });
      // Errors surface on enqueue; the event only keeps an outage from crashing the process.
      queue.on('error', () => undefined);
      this.queues.set(lane, queue);
    }
  }

  private queueOf(name: string): Queue {
    return this.queues.get(this.registry.laneOf(name))!;
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
    let added: Job | undefined;
    try {
      added = await Promise.race([
        this.queueOf(name).add(name, data, {
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
    if (added?.id) this.watchUnclaimed(name, added.id);
  }

  /**
   * After `afterMs`, a job still waiting (no worker took it) logs a warning naming
   * `npm run worker`. Only a hint: the timer lives in this process (a restart forgets it), and
   * when Redis does not answer the check, nothing is logged (the outage is logged elsewhere).
   */
  private watchUnclaimed(name: string, jobId: string): void {
    if (!this.unclaimed) return;
    const { logger, afterMs = UNCLAIMED_JOB_WARN_MS } = this.unclaimed;
    const lane = this.registry.laneOf(name);
    const timer = setTimeout(() => {
      this.watchTimers.delete(timer);
      void (async () => {
        const state = await (await this.queueOf(name).getJob(jobId))?.getState();
        if (state !== 'waiting' && state !== 'prioritized') return;
        const now = Date.now();
        if (now - (this.lastWarned.get(lane) ?? -Infinity) < afterMs) return;
        this.lastWarned.set(lane, now);
        logger.warn(
          `job "${name}" is still queued after ${Math.round(afterMs / 1000)} s: no worker has taken it. Start one with \`npm run worker\` ` +
            '(npm run start:all starts the api and a worker), or set JOB_DRIVER=inline to run jobs in the api process.',
          { job: name, jobId, lane, waitedMs: afterMs },
        );
      })().catch(() => undefined);
    }, afterMs);
    timer.unref();
    this.watchTimers.add(timer);
  }

  /** See {@link JobQueue.remove}: BullMQ's own removal, or the payload scrubbed when the job is locked (running). */
  async remove(name: string, jobId: string): Promise<void> {
    const job = await this.queueOf(name).getJob(jobId);
    if (!job) return;
    try {
      await job.remove();
    } catch {
      // Locked by a worker: the worker holds the payload in memory; the stored copy goes.
      await job.updateData({ ...ERASED_JOB_DATA });
    }
  }

  /** Stops the queues; their connection belongs to the caller. */
  async close(): Promise<void> {
    for (const timer of this.watchTimers) clearTimeout(timer);
    this.watchTimers.clear();
    await Promise.all([...this.queues.values()].map((q) => q.close()));
  }
}

/**
 * Consumer side (`npm run worker`, and the BullMQ tests): one BullMQ Worker per lane, each
 * running that lane's registered processors with its own `concurrency`. A processor that throws
 * {@link JobDeferredError} has its job moved back to delayed (no attempt spent), which frees the
 * slot at once.
 */
export class BullMqJobWorker {
  private readonly workers: Worker[] = [];

  constructor(
    connection: Redis,
    config: Pick<AppConfig, 'redisKeyPrefix'>,
    registry: JobRegistry,
    options: { concurrency: Readonly<Record<JobLane, number>>; logger: Logger },
  ) {
    for (const lane of JOB_LANES) {
      const worker = new Worker(
        QUEUE_NAMES[lane],
        async (job: Job, token?: string) => {
          const maxAttempts = job.opts.attempts ?? 1;
          const attempt = job.attemptsMade + 1;
          try {
            await registry.run(job.name, job.data, { attempt, maxAttempts, isFinalAttempt: attempt >= maxAttempts });
          } catch (err) {
            if (!(err instanceof JobDeferredError)) throw err;
            await job.moveToDelayed(Date.now() + err.delayMs, token);
            throw new DelayedError();
          }
        },
        // BullMQ shares one connection between its workers' commands; blocking fetches get their own.
        { connection, prefix: bullPrefix(config), concurrency: options.concurrency[lane], autorun: true },
      );
      worker.on('failed', (job, err) => options.logger.warn('job attempt failed', { job: job?.name, id: job?.id, attempt: job?.attemptsMade, error: err.message }));
      worker.on('error', (err) => options.logger.error('job worker error', { lane, error: err.message }));
      this.workers.push(worker);
    }
  }

  async waitUntilReady(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.waitUntilReady()));
  }

  /** Lets running jobs finish; the connection belongs to the caller. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
  }
}
