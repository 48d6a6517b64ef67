import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Orm } from '../db/orm';
import type { RedisBroadcast } from '../redis/broadcast';
import { IndexJobEntity, IndexJobKind, IndexJobState } from './knowledge.entity';

/** The broadcast channel of index job changes. */
export const INDEX_JOB_CHANNEL = 'index-jobs';

export const TERMINAL_STATES: ReadonlySet<IndexJobState> = new Set([IndexJobState.SUCCEEDED, IndexJobState.FAILED]);

/**
 * A job as published on {@link INDEX_JOB_CHANNEL}: the entity's own JSON serialisation
 * (`JSON.stringify(job)`), read back into an unmanaged entity with its dates revived.
 */
export function decodeJob(json: string): IndexJobEntity {
  const raw = JSON.parse(json) as Omit<IndexJobEntity, 'createdAt' | 'startedAt' | 'finishedAt'> & { createdAt: string; startedAt?: string | null; finishedAt?: string | null };
  return Object.assign(new IndexJobEntity(), raw, {
    createdAt: new Date(raw.createdAt),
    startedAt: raw.startedAt ? new Date(raw.startedAt) : null,
    finishedAt: raw.finishedAt ? new Date(raw.finishedAt) : null,
  });
}

/** The fields a job's processor changes; absent ones stay. */
export type JobPatch = Partial<Pick<IndexJobEntity, 'state' | 'progress' | 'error' | 'payload' | 'attempts' | 'startedAt' | 'finishedAt'>>;

/**
 * Index job rows in Postgres, the record admins read. Every change bumps `version` and is
 * published on one Redis channel, so `indexJobUpdates` subscribers on any api process see
 * jobs that run in the worker. A failed publish (Redis down) is logged, not thrown: the row
 * is the truth and subscribers re-read it when updates stop arriving.
 */
export class IndexJobStore {
  constructor(
    private readonly orm: Orm,
    private readonly broadcast: RedisBroadcast,
  ) {}

  /** A new QUEUED job, inserted when `em` flushes (with the caller's transaction). */
  create(em: EntityManager, job: { businessId: string; kind: IndexJobKind; payload: Record<string, unknown> }): IndexJobEntity {
    return em.create(IndexJobEntity, { ...job, state: IndexJobState.QUEUED, progress: 0, version: 1, attempts: 0, createdAt: new Date() });
  }

  async get(id: string): Promise<IndexJobEntity | null> {
    return this.orm.em.fork().findOne(IndexJobEntity, { id });
  }

  /** The business's job of this kind that is still QUEUED or RUNNING, if any. */
  async unfinished(em: EntityManager, businessId: string, kind: IndexJobKind): Promise<IndexJobEntity | null> {
    return em.findOne(IndexJobEntity, { businessId, kind, state: { $in: [IndexJobState.QUEUED, IndexJobState.RUNNING] } });
  }

  /**
   * Applies the patch and bumps the version under a row lock (the api and the worker may both
   * change a job), then publishes the new state. Null if the row is gone.
   */
  async update(id: string, patch: JobPatch): Promise<IndexJobEntity | null> {
    const job = await this.orm.em.fork().transactional(async (em) => {
      const row = await em.findOne(IndexJobEntity, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!row) return null;
      if (patch.state !== undefined) row.state = patch.state;
      if (patch.progress !== undefined) row.progress = Math.max(0, Math.min(1, patch.progress));
      if (patch.error !== undefined) row.error = patch.error;
      if (patch.payload !== undefined) row.payload = patch.payload;
      if (patch.attempts !== undefined) row.attempts = patch.attempts;
      if (patch.startedAt !== undefined) row.startedAt = patch.startedAt;
      if (patch.finishedAt !== undefined) row.finishedAt = patch.finishedAt;
      row.version += 1;
      return row;
    });
    if (job) await this.broadcast.publish(INDEX_JOB_CHANNEL, JSON.stringify(job));
    return job;
  }
}
