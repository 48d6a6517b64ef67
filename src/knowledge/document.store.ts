import { LockMode } from '@mikro-orm/core';
import type { EntityManager, Knex } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import { BadUserInputError } from '../common/errors';
import { chunkText } from './chunker';
import { KnowledgeChunkEntity, KnowledgeDocumentEntity, KnowledgeGenerationEntity, type DocumentFormat } from './knowledge.entity';

/** Chunk rows per INSERT: a 2 MB document is a few thousand chunks. */
const CHUNK_BATCH = 500;

/**
 * A query built by MikroORM's query builder, sent by knex with bound parameters (in `em`'s
 * transaction, if any). The ORM's own execution inlines every value as an escaped literal:
 * saving a 2 MB document took 290 ms that way instead of 20 ms, and indexing it twice as long.
 */
function withBindings(em: EntityManager, qb: { getKnexQuery(): Knex.QueryBuilder }): Knex.QueryBuilder {
  const query = qb.getKnexQuery();
  const trx = em.getTransactionContext<Knex.Transaction>();
  return trx ? query.transacting(trx) : query;
}

export interface NewDocument {
  businessId: string;
  title: string;
  format: DocumentFormat;
  category: string | null;
  sourceUrl: string | null;
  /** Cleaned text. */
  content: string;
  indexJobId: string;
}

/** A business's knowledge quota (`KNOWLEDGE_MAX_DOCUMENTS`, `KNOWLEDGE_MAX_BYTES`). */
export interface KnowledgeQuota {
  maxDocuments: number;
  maxBytes: number;
}

/** Saving the document would take the business past its quota. */
export class QuotaExceededError extends BadUserInputError {
  constructor(
    readonly quota: 'documents' | 'bytes',
    limit: number,
    current: number,
  ) {
    super(
      quota === 'documents'
        ? `this business already has ${current} documents; the limit is ${limit} (delete documents first)`
        : `this document would take the business's knowledge to ${current} bytes; the limit is ${limit} bytes (delete documents first)`,
      { reason: 'KNOWLEDGE_QUOTA', quota, limit },
    );
  }
}

/**
 * Checks that saving `doc` keeps its business within `quota`, counting a document with the same
 * `sourceUrl` as replaced. Must run in the transaction that saves the document: it takes a
 * per-business transaction lock first, so two concurrent saves cannot both pass the check.
 * Sizes are the stored content's UTF-8 bytes (`octet_length`, read from the TOAST header).
 */
export async function assertQuota(em: EntityManager, doc: Pick<NewDocument, 'businessId' | 'sourceUrl' | 'content'>, quota: KnowledgeQuota): Promise<void> {
  const knex = em.getKnex();
  const trx = em.getTransactionContext<Knex.Transaction>();
  if (!trx) throw new Error('assertQuota must run inside a transaction');
  await knex.raw('select pg_advisory_xact_lock(hashtext(?))', [`knowledge-quota:${doc.businessId}`]).transacting(trx);
  const row = (await knex
    .raw(
      `select count(*)::bigint as documents, coalesce(sum(octet_length(content)), 0)::bigint as bytes,
              coalesce(sum(octet_length(content)) filter (where source_url = ?::text), 0)::bigint as replaced_bytes,
              count(*) filter (where source_url = ?::text)::bigint as replaced
         from knowledge_documents where business_id = ?`,
      [doc.sourceUrl, doc.sourceUrl, doc.businessId],
    )
    .transacting(trx)) as { rows: Array<{ documents: string; bytes: string; replaced_bytes: string; replaced: string }> };
  const { documents, bytes, replaced_bytes: replacedBytes, replaced } = row.rows[0];
  const count = Number(documents) - Number(replaced) + 1;
  if (count > quota.maxDocuments) throw new QuotaExceededError('documents', quota.maxDocuments, Number(documents));
  const total = Number(bytes) - Number(replacedBytes) + Buffer.byteLength(doc.content, 'utf8');
  if (total > quota.maxBytes) throw new QuotaExceededError('bytes', quota.maxBytes, total);
}

/**
 * Inserts a document, or replaces the one with the same business and `sourceUrl` (a crawl
 * of the same page, or an admin re-adding it): its id, creation time and index state stay,
 * so no duplicate appears. One INSERT … ON CONFLICT, so two saves of one URL cannot race.
 */
export async function saveDocument(em: EntityManager, doc: NewDocument): Promise<KnowledgeDocumentEntity> {
  const now = new Date();
  const upsert = em
    .createQueryBuilder(KnowledgeDocumentEntity)
    .insert({ id: randomUUID(), ...doc, chunkCount: 0, createdAt: now, updatedAt: now })
    .onConflict(['businessId', 'sourceUrl'])
    .merge(['title', 'format', 'category', 'content', 'indexJobId', 'updatedAt']);
  const [saved] = await withBindings(em, upsert).returning<Array<Pick<KnowledgeDocumentEntity, 'id'>>>('id');
  return em.findOneOrFail(KnowledgeDocumentEntity, { id: saved.id });
}

/**
 * Makes sure the business has a generation row (generation 1 active). INSERT … ON CONFLICT
 * DO NOTHING, so the concurrent first jobs of a business agree.
 */
export async function ensureGenerations(em: EntityManager, businessId: string): Promise<void> {
  await em.createQueryBuilder(KnowledgeGenerationEntity).insert({ businessId, active: 1, building: null, lastAllocated: 1 }).onConflict(['businessId']).ignore().execute('run');
}

/**
 * The business's generation row, locked for the rest of `em`'s transaction (`share`: a job
 * indexes into its generations; `update`: a rebuild changes them). Null when there is none.
 */
export async function lockGenerations(em: EntityManager, businessId: string, mode: 'share' | 'update'): Promise<KnowledgeGenerationEntity | null> {
  return em.findOne(KnowledgeGenerationEntity, { businessId }, { lockMode: mode === 'share' ? LockMode.PESSIMISTIC_READ : LockMode.PESSIMISTIC_WRITE });
}

/**
 * Re-chunks one document into the given generations, in `em`'s transaction: deletes its chunks
 * there, inserts the new ones. Idempotent, so a retried job converges. Returns the chunk
 * count, or null when the document no longer exists.
 */
export async function writeDocumentChunks(em: EntityManager, documentId: string, generations: number[]): Promise<number | null> {
  const doc = await em.findOne(KnowledgeDocumentEntity, { id: documentId }, { lockMode: LockMode.PESSIMISTIC_WRITE, populate: ['content'], refresh: true });
  if (!doc) return null;
  const chunks = chunkText(doc.content);
  await em.nativeDelete(KnowledgeChunkEntity, { documentId, generation: { $in: generations } });
  for (const generation of generations) {
    const rows = chunks.map((text, seq) => ({ businessId: doc.businessId, documentId, generation, seq, title: doc.title, category: doc.category ?? null, text }));
    for (let i = 0; i < rows.length; i += CHUNK_BATCH) await withBindings(em, em.createQueryBuilder(KnowledgeChunkEntity).insert(rows.slice(i, i + CHUNK_BATCH)));
  }
  return chunks.length;
}

/** Records that the document's chunks in the active generation are `chunkCount` passages. */
export async function markIndexed(em: EntityManager, documentId: string, chunkCount: number): Promise<void> {
  await em.nativeUpdate(KnowledgeDocumentEntity, { id: documentId }, { chunkCount, indexedAt: new Date() });
}
