import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { BusinessEntity } from '../business/business.entity';

export enum DocumentFormat {
  TEXT = 'TEXT',
  MARKDOWN = 'MARKDOWN',
  HTML = 'HTML',
  PDF = 'PDF',
  DOCX = 'DOCX',
}

export enum IndexJobState {
  QUEUED = 'QUEUED',
  RUNNING = 'RUNNING',
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
}

export enum IndexJobKind {
  DOCUMENT = 'DOCUMENT',
  REBUILD = 'REBUILD',
  CRAWL = 'CRAWL',
}

/**
 * One document of a business's knowledge base, with its cleaned text (the source of every
 * re-index, so a rebuild never re-fetches). A document with a `sourceUrl` is unique per
 * business: adding or crawling the same URL again replaces it.
 */
@Entity({ tableName: 'knowledge_documents' })
@Unique({ name: 'knowledge_documents_business_source_url_unique', properties: ['businessId', 'sourceUrl'] })
export class KnowledgeDocumentEntity {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => BusinessEntity, { fieldName: 'business_id', mapToPk: true, deleteRule: 'cascade', updateRule: 'cascade' })
  businessId!: string;

  @Property({ type: 'text' })
  title!: string;

  @Enum({ items: () => DocumentFormat, type: 'text', nativeEnumName: undefined })
  format: DocumentFormat = DocumentFormat.TEXT;

  @Property({ type: 'text', nullable: true })
  category?: string | null;

  @Property({ type: 'text', nullable: true })
  sourceUrl?: string | null;

  /** Cleaned text (HTML already reduced to text; Markdown headings kept for chunking). */
  @Property({ type: 'text', lazy: true })
  content!: string;

  @Property({ type: 'integer' })
  chunkCount: number = 0;

  @Property({ type: 'timestamptz', nullable: true })
  indexedAt?: Date | null;

  /** The last job that indexed (or will index) this document. */
  @Property({ type: 'uuid', nullable: true })
  indexJobId?: string | null;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}

/**
 * A searchable passage, written in bulk through the query builder (`document.store.ts`) and
 * read only by the one retrieval query (`retrieval.sql.ts`). `tsv` is a stored generated
 * column under a GIN index; `title` has a trigram index for fuzzy name matches.
 */
@Entity({ tableName: 'knowledge_chunks' })
@Index({ name: 'knowledge_chunks_business_generation_index', properties: ['businessId', 'generation'] })
@Index({ name: 'knowledge_chunks_document_generation_index', properties: ['documentId', 'generation'] })
@Index({
  name: 'knowledge_chunks_title_trgm_index',
  expression: 'create index "knowledge_chunks_title_trgm_index" on "knowledge_chunks" using gin ("title" gin_trgm_ops)',
})
export class KnowledgeChunkEntity {
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  @ManyToOne(() => BusinessEntity, { fieldName: 'business_id', mapToPk: true, deleteRule: 'cascade', updateRule: 'cascade' })
  businessId!: string;

  @ManyToOne(() => KnowledgeDocumentEntity, { fieldName: 'document_id', mapToPk: true, deleteRule: 'cascade', updateRule: 'cascade' })
  documentId!: string;

  @Property({ type: 'integer' })
  generation!: number;

  @Property({ type: 'integer' })
  seq!: number;

  @Property({ type: 'text' })
  title!: string;

  @Property({ type: 'text', nullable: true })
  category?: string | null;

  @Property({ type: 'text' })
  text!: string;

  @Index({ name: 'knowledge_chunks_tsv_index', type: 'gin' })
  @Property({
    type: 'tsvector',
    columnType: 'tsvector',
    // Written as Postgres prints it back, so schema diffs see no change.
    generated: `to_tsvector('english'::regconfig, ((title || ' '::text) || text)) stored`,
    persist: false,
    lazy: true,
    nullable: true,
  })
  tsv?: string;
}

/**
 * Which chunk generation of a business answers queries. A rebuild writes `building` and
 * then switches `active` to it in one UPDATE; documents indexed meanwhile go to both.
 */
@Entity({ tableName: 'knowledge_generations' })
export class KnowledgeGenerationEntity {
  @ManyToOne(() => BusinessEntity, { fieldName: 'business_id', primary: true, mapToPk: true, deleteRule: 'cascade', updateRule: 'cascade' })
  businessId!: string;

  @Property({ type: 'integer' })
  active: number = 1;

  @Property({ type: 'integer', nullable: true })
  building?: number | null;

  @Property({ type: 'integer' })
  lastAllocated: number = 1;
}

/** A background indexing job as admins see it (`indexJob`, `indexJobUpdates`). */
@Entity({ tableName: 'index_jobs' })
export class IndexJobEntity {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => BusinessEntity, { fieldName: 'business_id', mapToPk: true, deleteRule: 'cascade', updateRule: 'cascade', index: true })
  businessId!: string;

  @Enum({ items: () => IndexJobKind, type: 'text', nativeEnumName: undefined })
  kind!: IndexJobKind;

  @Enum({ items: () => IndexJobState, type: 'text', nativeEnumName: undefined })
  state: IndexJobState = IndexJobState.QUEUED;

  @Property({ type: 'double' })
  progress: number = 0;

  @Property({ type: 'text', nullable: true })
  error?: string | null;

  /** What the job works on: a document id, a crawl's start URL and limits, a generation. */
  @Property({ type: 'json' })
  payload: Record<string, unknown> = {};

  /** Bumped on every change, so subscribers drop updates they have already seen. */
  @Property({ type: 'integer' })
  version: number = 0;

  @Property({ type: 'integer' })
  attempts: number = 0;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz', nullable: true })
  startedAt?: Date | null;

  @Property({ type: 'timestamptz', nullable: true })
  finishedAt?: Date | null;
}
