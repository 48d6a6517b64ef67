import { LockMode } from '@mikro-orm/core';
import type { EntityManager, Knex } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
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
