import type { Knex } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import { chunkText } from './chunker';
import type { DocumentFormat } from './knowledge.entity';

/** A document row as the API shows it (content omitted). */
export interface DocumentRecord {
  id: string;
  businessId: string;
  title: string;
  format: DocumentFormat;
  category: string | null;
  sourceUrl: string | null;
  chunkCount: number;
  indexedAt: Date | null;
  indexJobId: string | null;
  createdAt: Date;
}

const COLUMNS = ['id', 'business_id', 'title', 'format', 'category', 'source_url', 'chunk_count', 'indexed_at', 'index_job_id', 'created_at'];

type Row = Record<string, unknown>;

const fromRow = (r: Row): DocumentRecord => ({
  id: r.id as string,
  businessId: r.business_id as string,
  title: r.title as string,
  format: r.format as DocumentFormat,
  category: (r.category as string | null) ?? null,
  sourceUrl: (r.source_url as string | null) ?? null,
  chunkCount: Number(r.chunk_count),
  indexedAt: r.indexed_at ? new Date(r.indexed_at as string) : null,
  indexJobId: (r.index_job_id as string | null) ?? null,
  createdAt: new Date(r.created_at as string),
});

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
 * of the same page, or an admin re-adding it): its id stays, so no duplicate appears.
 */
export async function saveDocument(trx: Knex | Knex.Transaction, doc: NewDocument): Promise<DocumentRecord> {
  const now = new Date();
  const rows: Row[] = await trx<Row>('knowledge_documents')
    .insert({
      id: randomUUID(),
      business_id: doc.businessId,
      title: doc.title,
      format: doc.format,
      category: doc.category,
      source_url: doc.sourceUrl,
      content: doc.content,
      chunk_count: 0,
      index_job_id: doc.indexJobId,
      created_at: now,
      updated_at: now,
    })
    .onConflict(['business_id', 'source_url'])
    .merge(['title', 'format', 'category', 'content', 'index_job_id', 'updated_at'])
    .returning(COLUMNS);
  return fromRow(rows[0]);
}

export async function getDocument(knex: Knex, id: string): Promise<DocumentRecord | null> {
  const row = (await knex('knowledge_documents').select(COLUMNS).where({ id }).first()) as Row | undefined;
  return row ? fromRow(row) : null;
}

export async function listDocuments(knex: Knex, businessId: string): Promise<DocumentRecord[]> {
  const rows = (await knex('knowledge_documents').select(COLUMNS).where({ business_id: businessId }).orderBy([{ column: 'created_at' }, { column: 'id' }])) as Row[];
  return rows.map(fromRow);
}

/** Makes sure the business has a generation row (generation 1 active). */
export async function ensureGenerations(trx: Knex | Knex.Transaction, businessId: string): Promise<void> {
  await trx.raw('insert into knowledge_generations (business_id, active, building, last_allocated) values (?, 1, null, 1) on conflict (business_id) do nothing', [businessId]);
}

/**
 * Re-chunks one document into the given generations: deletes its chunks there, inserts the
 * new ones. Idempotent, so a retried job converges. Returns the chunk count, or null when
 * the document no longer exists.
 */
export async function writeDocumentChunks(trx: Knex.Transaction, documentId: string, generations: number[]): Promise<number | null> {
  const doc = (await trx('knowledge_documents').select('business_id', 'title', 'category', 'content').where({ id: documentId }).forUpdate().first()) as Row | undefined;
  if (!doc) return null;
  const chunks = chunkText(doc.content as string);
  await trx('knowledge_chunks').where({ document_id: documentId }).whereIn('generation', generations).delete();
  for (const generation of generations) {
    const rows = chunks.map((text, seq) => ({ business_id: doc.business_id, document_id: documentId, generation, seq, title: doc.title, category: doc.category, text }));
    for (let i = 0; i < rows.length; i += 500) await trx('knowledge_chunks').insert(rows.slice(i, i + 500));
  }
  return chunks.length;
}

export async function markIndexed(trx: Knex | Knex.Transaction, documentId: string, chunkCount: number): Promise<void> {
  await trx('knowledge_documents').where({ id: documentId }).update({ chunk_count: chunkCount, indexed_at: new Date() });
}
