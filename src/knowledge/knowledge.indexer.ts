import type { ChunkEmbeddings } from './chunk-embeddings';
import type { Orm } from '../db/orm';
import { JobDeferredError, type JobContext, type JobProcessors } from '../jobs/job-queue';
import type { BusinessJobSlots } from './business-slot';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { ensureGenerations, lockGenerations, markIndexed, writeDocumentChunks } from './document.store';
import type { IndexJobStore } from './index-job.store';
import { IndexJobState, KnowledgeChunkEntity, KnowledgeDocumentEntity, type IndexJobEntity } from './knowledge.entity';
import type { CrawlRunner } from './website.crawl-job';
import { CrawlFailure } from './website.crawler';

export const JOB_INDEX_DOCUMENT = 'knowledge.index-document';
export const JOB_REBUILD = 'knowledge.rebuild';
export const JOB_CRAWL = 'knowledge.crawl';

export interface IndexJobData extends Record<string, unknown> {
  indexJobId: string;
}

export type ProgressFn = (progress: number) => Promise<void>;

/** A rebuild found its generation taken over by a newer rebuild. */
class SupersededError extends Error {}

/**
 * The background side of the knowledge base: indexes a document, rebuilds a business into a
 * new generation and switches atomically, runs crawls. Each processor is idempotent (a retry
 * rewrites the same rows) and records state, progress and errors on its index job. Every
 * write is a transaction on a fresh fork of the entity manager.
 */
export class KnowledgeIndexer {
  constructor(
    private readonly orm: Orm,
    private readonly jobs: IndexJobStore,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
    private readonly crawl: CrawlRunner,
    /** One crawl or rebuild per business at a time (absent: no such bound). */
    private readonly slots?: BusinessJobSlots,
    /** How long a crawl or rebuild waits when its business's slot is taken. */
    private readonly deferMs = 2_000,
    /** Vectors beside the chunks (Gemini configured), written after the chunks commit. */
    private readonly embeddings: ChunkEmbeddings | null = null,
  ) {}

  processors(): JobProcessors {
    return {
      [JOB_INDEX_DOCUMENT]: (data: IndexJobData, ctx: JobContext) => this.track(data, ctx, (job) => this.indexDocument(job)),
      [JOB_REBUILD]: (data: IndexJobData, ctx: JobContext) =>
        this.exclusive(data, () => this.track(data, ctx, (job, progress) => this.rebuild(job, progress), (job) => this.abandonRebuild(job))),
      [JOB_CRAWL]: (data: IndexJobData, ctx: JobContext) =>
        this.exclusive(data, () => this.track(data, ctx, (job, progress) => this.crawl.run(job, progress, (documentId) => this.indexOne(documentId)))),
    };
  }

  /**
   * Runs a crawl or rebuild holding its business's slot. When another crawl or rebuild of the
   * business holds it, the job is deferred (back to the queue for `deferMs`, no attempt spent,
   * its index job row still QUEUED), so one business never occupies two job slots with them
   * and other businesses' jobs take the free ones.
   */
  private async exclusive(data: IndexJobData, run: () => Promise<void>): Promise<void> {
    if (!this.slots) return run();
    const job = await this.jobs.get(data.indexJobId);
    if (!job || job.state === IndexJobState.SUCCEEDED) return;
    const lease = await this.slots.tryAcquire(job.businessId);
    if (!lease) throw new JobDeferredError(this.deferMs, `business ${job.businessId} has a crawl or rebuild running`);
    try {
      await run();
    } finally {
      await lease.release();
    }
  }

  /** Runs `work` under the job's row: RUNNING → SUCCEEDED, or back to QUEUED (retry) / FAILED. */
  private async track(
    data: IndexJobData,
    ctx: JobContext,
    work: (job: IndexJobEntity, progress: ProgressFn) => Promise<void>,
    onFinalFailure?: (job: IndexJobEntity) => Promise<void>,
  ): Promise<void> {
    const existing = await this.jobs.get(data.indexJobId);
    // Deleted with its business, or already finished by an earlier delivery: nothing to do.
    if (!existing || existing.state === IndexJobState.SUCCEEDED) return;
    const started = Date.now();
    const job = (await this.jobs.update(existing.id, { state: IndexJobState.RUNNING, attempts: ctx.attempt, startedAt: new Date(), error: null })) ?? existing;
    let lastReported = 0;
    let lastValue = -1;
    const progress: ProgressFn = async (value) => {
      // Throttled: at most ~10 updates a second, and only forward.
      if (value <= lastValue || (Date.now() - lastReported < 100 && value < 1)) return;
      lastReported = Date.now();
      lastValue = value;
      await this.jobs.update(job.id, { progress: value });
    };
    try {
      await work(job, progress);
      await this.jobs.update(job.id, { state: IndexJobState.SUCCEEDED, progress: 1, error: null, finishedAt: new Date() });
      this.metrics.indexJobDuration.observe({ kind: job.kind, outcome: 'succeeded' }, (Date.now() - started) / 1000);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      // A superseded rebuild and an unretryable crawl failure (a refused address) end at once.
      const unretryable = err instanceof SupersededError || (err instanceof CrawlFailure && !err.retryable);
      const final = ctx.isFinalAttempt || unretryable;
      this.logger.warn('index job failed', { jobId: job.id, kind: job.kind, attempt: ctx.attempt, final, error: message });
      if (final) {
        await onFinalFailure?.(job);
        await this.jobs.update(job.id, { state: IndexJobState.FAILED, error: message.slice(0, 1000), finishedAt: new Date() });
        this.metrics.indexJobDuration.observe({ kind: job.kind, outcome: 'failed' }, (Date.now() - started) / 1000);
        this.metrics.indexJobFailures.inc({ kind: job.kind });
        if (unretryable) return;
      } else {
        await this.jobs.update(job.id, { state: IndexJobState.QUEUED, error: `attempt ${ctx.attempt} failed: ${message}`.slice(0, 1000) });
      }
      throw err;
    }
  }

  private async indexDocument(job: IndexJobEntity): Promise<void> {
    const documentId = typeof job.payload.documentId === 'string' ? job.payload.documentId : '';
    await this.indexOne(documentId);
  }

  /**
   * Indexes one document into the active generation and, while a rebuild runs, into the
   * generation being built, so a document added mid-rebuild survives the switch. The share
   * lock on the generation row keeps the switch from happening in between.
   */
  async indexOne(documentId: string): Promise<void> {
    await this.orm.em.fork().transactional(async (em) => {
      const doc = await em.findOne(KnowledgeDocumentEntity, { id: documentId }, { fields: ['businessId'] });
      if (!doc) return; // deleted meanwhile: nothing to index
      await ensureGenerations(em, doc.businessId);
      const gen = (await lockGenerations(em, doc.businessId, 'share'))!;
      const generations = gen.building != null && gen.building !== gen.active ? [gen.active, gen.building] : [gen.active];
      const count = await writeDocumentChunks(em, documentId, generations);
      if (count !== null) await markIndexed(em, documentId, count);
    });
    await this.embeddings?.embedDocument(documentId);
  }

  /**
   * Re-indexes every document of the business into a new generation, then switches the
   * active generation in one UPDATE. Until then the old generation answers; on a final
   * failure the new generation is dropped and the old one stays.
   */
  private async rebuild(job: IndexJobEntity, progress: ProgressFn): Promise<void> {
    const businessId = job.businessId;
    // Allocate the generation once; a retry reuses it (rows are rewritten idempotently).
    const allocated = typeof job.payload.generation === 'number' ? job.payload.generation : null;
    const target = await this.orm.em.fork().transactional(async (em) => {
      await ensureGenerations(em, businessId);
      const gen = (await lockGenerations(em, businessId, 'update'))!;
      if (allocated !== null && gen.building === allocated) return allocated;
      if (allocated !== null && gen.active >= allocated) throw new SupersededError('a newer rebuild replaced this one');
      gen.lastAllocated += 1;
      gen.building = gen.lastAllocated;
      return gen.lastAllocated;
    });
    await this.jobs.update(job.id, { payload: { ...job.payload, generation: target } });

    const documents = await this.orm.em.fork().find(KnowledgeDocumentEntity, { businessId }, { fields: ['id'], orderBy: { id: 'asc' } });
    const counts = new Map<string, number>();
    for (let i = 0; i < documents.length; i++) {
      await this.orm.em.fork().transactional(async (em) => {
        const gen = await lockGenerations(em, businessId, 'share');
        if (gen?.building !== target) throw new SupersededError('a newer rebuild replaced this one');
        const count = await writeDocumentChunks(em, documents[i].id, [target]);
        if (count !== null) counts.set(documents[i].id, count);
      });
      await this.embeddings?.embedDocument(documents[i].id);
      await progress((0.95 * (i + 1)) / Math.max(1, documents.length));
    }

    // The switch: the active generation changes in the transaction that drops the old rows.
    await this.orm.em.fork().transactional(async (em) => {
      const gen = await lockGenerations(em, businessId, 'update');
      if (!gen || gen.building !== target) throw new SupersededError('a newer rebuild replaced this one');
      gen.active = target;
      gen.building = null;
      await em.nativeDelete(KnowledgeChunkEntity, { businessId, generation: { $ne: target } });
      for (const [documentId, count] of counts) await markIndexed(em, documentId, count);
    });
  }

  /** After a rebuild's last failed attempt: forget the half-built generation. */
  async abandonRebuild(job: IndexJobEntity): Promise<void> {
    const generation = typeof job.payload.generation === 'number' ? job.payload.generation : null;
    const current = await this.jobs.get(job.id);
    const target = generation ?? (typeof current?.payload.generation === 'number' ? current.payload.generation : null);
    if (target === null) return;
    await this.orm.em.fork().transactional(async (em) => {
      const gen = await lockGenerations(em, job.businessId, 'update');
      if (!gen || gen.active === target) return;
      if (gen.building === target) gen.building = null;
      await em.nativeDelete(KnowledgeChunkEntity, { businessId: job.businessId, generation: target });
    });
  }
}
