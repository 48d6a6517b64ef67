import type { Knex } from '@mikro-orm/postgresql';
import type { RedisBroadcast } from '../redis/broadcast';
import { IndexJobKind, IndexJobState } from './knowledge.entity';

/** An index job as stored and as published to subscribers. */
export interface IndexJobRecord {
  id: string;
  businessId: string;
  kind: IndexJobKind;
  state: IndexJobState;
  progress: number;
  error: string | null;
  payload: Record<string, unknown>;
  version: number;
  attempts: number;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

/** The broadcast channel of index job changes. */
export const INDEX_JOB_CHANNEL = 'index-jobs';

export const TERMINAL_STATES: ReadonlySet<IndexJobState> = new Set([IndexJobState.SUCCEEDED, IndexJobState.FAILED]);

interface Row {
  id: string;
  business_id: string;
  kind: IndexJobKind;
  state: IndexJobState;
  progress: number;
  error: string | null;
  payload: Record<string, unknown>;
  version: number;
  attempts: number;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

const fromRow = (r: Row): IndexJobRecord => ({
  id: r.id,
  businessId: r.business_id,
  kind: r.kind,
  state: r.state,
  progress: Number(r.progress),
  error: r.error,
  payload: r.payload ?? {},
  version: r.version,
  attempts: r.attempts,
  createdAt: new Date(r.created_at),
  startedAt: r.started_at ? new Date(r.started_at) : null,
  finishedAt: r.finished_at ? new Date(r.finished_at) : null,
});

/** JSON on the wire: dates as ISO strings. */
export function decodeJob(json: string): IndexJobRecord {
  const raw = JSON.parse(json) as IndexJobRecord & { createdAt: string; startedAt: string | null; finishedAt: string | null };
  return {
    ...raw,
    createdAt: new Date(raw.createdAt),
    startedAt: raw.startedAt ? new Date(raw.startedAt) : null,
    finishedAt: raw.finishedAt ? new Date(raw.finishedAt) : null,
  };
}

export interface JobPatch {
  state?: IndexJobState;
  progress?: number;
  error?: string | null;
  payload?: Record<string, unknown>;
  attempts?: number;
  startedAt?: Date | null;
  finishedAt?: Date | null;
}

/**
 * Index job rows in Postgres, the record admins read. Every change bumps `version` and is
 * published on one Redis channel, so `indexJobUpdates` subscribers on any api process see
 * jobs that run in the worker. A failed publish (Redis down) is logged, not thrown: the row
 * is the truth and subscribers re-read it when updates stop arriving.
 */
export class IndexJobStore {
  constructor(
    private readonly knex: Knex,
    private readonly broadcast: RedisBroadcast,
  ) {}

  async create(
    trx: Knex | Knex.Transaction,
    job: { id: string; businessId: string; kind: IndexJobKind; payload: Record<string, unknown> },
  ): Promise<IndexJobRecord> {
    const rows = (await trx('index_jobs')
      .insert({ id: job.id, business_id: job.businessId, kind: job.kind, state: IndexJobState.QUEUED, progress: 0, payload: JSON.stringify(job.payload), version: 1, attempts: 0, created_at: new Date() })
      .returning('*')) as Row[];
    return fromRow(rows[0]);
  }

  async get(id: string): Promise<IndexJobRecord | null> {
    const row = (await this.knex('index_jobs').where({ id }).first()) as Row | undefined;
    return row ? fromRow(row) : null;
  }

  /** Applies the patch, bumps the version and publishes the new state. Null if the row is gone. */
  async update(id: string, patch: JobPatch): Promise<IndexJobRecord | null> {
    const set: Record<string, unknown> = { version: this.knex.raw('version + 1') };
    if (patch.state !== undefined) set.state = patch.state;
    if (patch.progress !== undefined) set.progress = Math.max(0, Math.min(1, patch.progress));
    if (patch.error !== undefined) set.error = patch.error;
    if (patch.payload !== undefined) set.payload = JSON.stringify(patch.payload);
    if (patch.attempts !== undefined) set.attempts = patch.attempts;
    if (patch.startedAt !== undefined) set.started_at = patch.startedAt;
    if (patch.finishedAt !== undefined) set.finished_at = patch.finishedAt;
    const rows = (await this.knex('index_jobs').where({ id }).update(set).returning('*')) as Row[];
    if (!rows[0]) return null;
    const record = fromRow(rows[0]);
    await this.publish(record);
    return record;
  }

  async publish(record: IndexJobRecord): Promise<void> {
    await this.broadcast.publish(INDEX_JOB_CHANNEL, JSON.stringify(record));
  }
}
