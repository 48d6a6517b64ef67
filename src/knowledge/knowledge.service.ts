import type { Knex } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import type { Principal } from '../common/principal';
import type { BusinessCache } from '../business/business.cache';
import { BadUserInputError, NotFoundError, PayloadTooLargeError, ServiceUnavailableError } from '../common/errors';
import { isUuid } from '../common/ids';
import type { AppConfig } from '../config/config';
import type { JobQueue } from '../jobs/job-queue';
import type { Logger } from '../observability/logger';
import { assertBusinessAccess } from './business-access';
import { getDocument, listDocuments, saveDocument, type DocumentRecord } from './document.store';
import type { IndexJobRecord, IndexJobStore } from './index-job.store';
import type { IndexJobUpdates } from './index-job.updates';
import { JOB_CRAWL, JOB_INDEX_DOCUMENT, JOB_REBUILD } from './knowledge.indexer';
import { DocumentFormat, IndexJobKind, IndexJobState } from './knowledge.entity';
import type { RetrievedPassage, Retriever } from './retriever';
import { htmlToText, markdownToText, normalizeText } from './text-extract';
import { MAX_TITLE_LENGTH } from './website.crawl-job';

export const MAX_CRAWL_PAGES = 1000;
const MAX_URL_LENGTH = 2048;
const MAX_CATEGORY_LENGTH = 100;
const MAX_QUERY_LENGTH = 1000;

export interface AddDocumentInput {
  businessId: string;
  title: string;
  content: string;
  format?: DocumentFormat | null;
  sourceUrl?: string | null;
  category?: string | null;
}

function httpUrl(value: string, field: string): string {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new BadUserInputError(`${field} must be an absolute http(s) URL`, { field });
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || value.length > MAX_URL_LENGTH) {
    throw new BadUserInputError(`${field} must be an http(s) URL of at most ${MAX_URL_LENGTH} characters`, { field });
  }
  return url.toString();
}

/**
 * Admin operations on a business's knowledge: documents, crawls, rebuilds, job status and
 * test retrieval. Writes commit the document and its index job row together, then queue the
 * job; if queueing fails (Redis down) the job row is marked FAILED, the document stays
 * stored (unindexed) and the caller gets SERVICE_UNAVAILABLE: a later `rebuildIndex`
 * indexes it.
 */
export class KnowledgeService {
  constructor(
    private readonly knex: Knex,
    private readonly config: AppConfig,
    private readonly queue: JobQueue,
    private readonly jobs: IndexJobStore,
    private readonly updates: IndexJobUpdates,
    private readonly retriever: Retriever,
    private readonly businesses: BusinessCache,
    private readonly logger: Logger,
  ) {}

  private async business(principal: Principal | null | undefined, businessId: string) {
    assertBusinessAccess(principal, businessId);
    const business = isUuid(businessId) ? await this.businesses.get(businessId) : null;
    if (!business) throw new NotFoundError('Business');
    return business;
  }

  async addDocument(principal: Principal | null | undefined, input: AddDocumentInput): Promise<DocumentRecord> {
    await this.business(principal, input.businessId);
    const title = input.title.trim();
    if (!title || title.length > MAX_TITLE_LENGTH) throw new BadUserInputError(`title must be 1 to ${MAX_TITLE_LENGTH} characters`, { field: 'title' });
    const bytes = Buffer.byteLength(input.content, 'utf8');
    if (bytes > this.config.knowledge.maxDocumentBytes) {
      throw new PayloadTooLargeError(`content is ${bytes} bytes; the limit is ${this.config.knowledge.maxDocumentBytes} bytes per document`);
    }
    if (!input.content.trim()) throw new BadUserInputError('content must not be empty', { field: 'content' });
    const format = input.format ?? DocumentFormat.TEXT;
    const text =
      format === DocumentFormat.HTML ? htmlToText(input.content).text : format === DocumentFormat.MARKDOWN ? markdownToText(input.content) : normalizeText(input.content);
    if (!text) throw new BadUserInputError('content has no text once cleaned (scripts and styles are dropped)', { field: 'content' });
    const sourceUrl = input.sourceUrl?.trim() ? httpUrl(input.sourceUrl, 'sourceUrl') : null;
    const category = input.category?.trim() || null;
    if (category && category.length > MAX_CATEGORY_LENGTH) throw new BadUserInputError(`category must be at most ${MAX_CATEGORY_LENGTH} characters`, { field: 'category' });

    const jobId = randomUUID();
    const doc = await this.knex.transaction(async (trx) => {
      const saved = await saveDocument(trx, { businessId: input.businessId, title, format, category, sourceUrl, content: text, indexJobId: jobId });
      await this.jobs.create(trx, { id: jobId, businessId: input.businessId, kind: IndexJobKind.DOCUMENT, payload: { documentId: saved.id } });
      return saved;
    });
    await this.enqueue(JOB_INDEX_DOCUMENT, jobId);
    return doc;
  }

  async deleteDocument(principal: Principal | null | undefined, id: string): Promise<boolean> {
    const doc = isUuid(id) ? await getDocument(this.knex, id) : null;
    if (!doc) throw new NotFoundError('Document');
    assertBusinessAccess(principal, doc.businessId);
    // Its chunks go with it (ON DELETE CASCADE) in every generation.
    await this.knex('knowledge_documents').where({ id }).delete();
    return true;
  }

  async documents(principal: Principal | null | undefined, businessId: string): Promise<DocumentRecord[]> {
    await this.business(principal, businessId);
    return listDocuments(this.knex, businessId);
  }

  async rebuild(principal: Principal | null | undefined, businessId: string): Promise<IndexJobRecord> {
    await this.business(principal, businessId);
    return this.startJob(businessId, IndexJobKind.REBUILD, JOB_REBUILD, {});
  }

  async crawl(principal: Principal | null | undefined, businessId: string, url: string | null | undefined, maxPages: number): Promise<IndexJobRecord> {
    const business = await this.business(principal, businessId);
    const start = url?.trim() || business.websiteUrl?.trim();
    if (!start) throw new BadUserInputError('give a url, or set the business\'s websiteUrl first', { field: 'url' });
    if (!Number.isInteger(maxPages) || maxPages < 1 || maxPages > MAX_CRAWL_PAGES) {
      throw new BadUserInputError(`maxPages must be between 1 and ${MAX_CRAWL_PAGES}`, { field: 'maxPages' });
    }
    return this.startJob(businessId, IndexJobKind.CRAWL, JOB_CRAWL, { url: httpUrl(start, 'url'), maxPages });
  }

  async job(principal: Principal | null | undefined, id: string): Promise<IndexJobRecord | null> {
    const job = isUuid(id) ? await this.jobs.get(id) : null;
    if (!job) return null;
    assertBusinessAccess(principal, job.businessId);
    return job;
  }

  watchJob(principal: Principal | null | undefined, id: string): AsyncGenerator<IndexJobRecord> {
    if (!isUuid(id)) throw new NotFoundError('Index job');
    return this.updates.watch(id, (job) => assertBusinessAccess(principal, job.businessId), () => new NotFoundError('Index job'));
  }

  /** Exactly what the chat turn would retrieve for this business and question. */
  async search(principal: Principal | null | undefined, businessId: string, query: string, limit: number): Promise<RetrievedPassage[]> {
    const business = await this.business(principal, businessId);
    if (!query.trim()) throw new BadUserInputError('query must not be empty', { field: 'query' });
    if (query.length > MAX_QUERY_LENGTH) throw new BadUserInputError(`query must be at most ${MAX_QUERY_LENGTH} characters`, { field: 'query' });
    if (!Number.isInteger(limit) || limit < 1 || limit > 20) throw new BadUserInputError('limit must be between 1 and 20', { field: 'limit' });
    return this.retriever.retrieve({ businessId, query, limit, categories: business.enabledCategories });
  }

  /** One running job of a kind per business: asking again returns the one under way. */
  private async startJob(businessId: string, kind: IndexJobKind, name: string, payload: Record<string, unknown>): Promise<IndexJobRecord> {
    const jobId = randomUUID();
    const result = await this.knex.transaction(async (trx) => {
      // Serialises concurrent requests for this business and kind.
      await trx.raw('select pg_advisory_xact_lock(hashtext(?))', [`index-job:${businessId}:${kind}`]);
      const running = (await trx('index_jobs')
        .select('id')
        .where({ business_id: businessId, kind })
        .whereIn('state', [IndexJobState.QUEUED, IndexJobState.RUNNING])
        .first()) as { id: string } | undefined;
      if (running) return { runningId: running.id };
      return { created: await this.jobs.create(trx, { id: jobId, businessId, kind, payload }) };
    });
    if (result.created) {
      await this.enqueue(name, jobId);
      return result.created;
    }
    const current = await this.jobs.get(result.runningId);
    if (!current) throw new NotFoundError('Index job');
    return current;
  }

  private async enqueue(name: string, jobId: string): Promise<void> {
    try {
      await this.queue.enqueue(name, { indexJobId: jobId }, { jobId });
    } catch (err) {
      this.logger.error('index job not queued', { jobId, job: name, error: String(err) });
      await this.jobs.update(jobId, { state: IndexJobState.FAILED, error: 'could not be queued (job queue unavailable); retry later', finishedAt: new Date() });
      throw new ServiceUnavailableError('Job queue', err);
    }
  }
}
