import type { Principal } from '../common/principal';
import type { BusinessCache } from '../business/business.cache';
import { BadUserInputError, NotFoundError, PayloadTooLargeError, ServiceUnavailableError } from '../common/errors';
import { isUuid } from '../common/ids';
import type { AppConfig } from '../config/config';
import type { Orm } from '../db/orm';
import type { JobQueue } from '../jobs/job-queue';
import type { Logger } from '../observability/logger';
import { OutboundError, type OutboundClient } from '../outbound/outbound.client';
import { assertBusinessAccess } from './business-access';
import type { Readable } from 'node:stream';
import { assertQuota, saveDocument } from './document.store';
import type { IndexJobStore } from './index-job.store';
import type { IndexJobUpdates } from './index-job.updates';
import { JOB_CRAWL, JOB_INDEX_DOCUMENT, JOB_REBUILD } from './knowledge.indexer';
import { DocumentFormat, IndexJobKind, IndexJobState, KnowledgeDocumentEntity, type IndexJobEntity } from './knowledge.entity';
import type { RetrievedPassage, Retriever } from './retrieval';
import { extractText, readUpload, sniffFile } from './file-extract';
import { ExtractBusyError, ExtractTimeoutError, type TextExtractor } from './text-extractor';
import { MAX_CRAWL_PAGES, MAX_TITLE_LENGTH } from './website.crawl-job';

/** Pages a re-crawl fetches when the business never had a crawl to copy `maxPages` from. */
export const DEFAULT_RECRAWL_PAGES = 100;

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
    private readonly orm: Orm,
    private readonly config: AppConfig,
    private readonly queue: JobQueue,
    private readonly jobs: IndexJobStore,
    private readonly updates: IndexJobUpdates,
    private readonly retriever: Retriever,
    private readonly businesses: BusinessCache,
    private readonly outbound: OutboundClient,
    private readonly extractor: TextExtractor,
    private readonly logger: Logger,
  ) {}

  private async business(principal: Principal | null | undefined, businessId: string) {
    assertBusinessAccess(principal, businessId);
    const business = isUuid(businessId) ? await this.businesses.get(businessId) : null;
    if (!business) throw new NotFoundError('Business');
    return business;
  }

  /**
   * `uploadKnowledgeFile`: the file is read (at most `KNOWLEDGE_MAX_FILE_BYTES`), its type
   * sniffed from its bytes, a PDF's or DOCX's text extracted in a time-bounded worker thread,
   * and the text added as a document (then indexed by the job worker like any other). Nothing
   * is stored before the text exists: a refused file leaves the knowledge base as it was.
   */
  async addFile(
    principal: Principal | null | undefined,
    input: { businessId: string; filename: string; open: () => Promise<Readable>; title?: string | null; category?: string | null },
  ): Promise<KnowledgeDocumentEntity> {
    await this.business(principal, input.businessId);
    const limits = this.config.knowledge.files;
    const bytes = await readUpload(await input.open(), limits.maxBytes);
    // The name is known once the upload is open.
    const sniffed = await sniffFile(bytes, input.filename);
    let content = sniffed.text;
    if (content === null) {
      try {
        content = await extractText(this.extractor, bytes, sniffed.format as DocumentFormat.PDF | DocumentFormat.DOCX, limits);
      } catch (err) {
        if (err instanceof ExtractBusyError) throw new ServiceUnavailableError('Document processing', err);
        throw err;
      }
    }
    const title = input.title?.trim() || input.filename.replace(/\.[a-z0-9]{1,5}$/i, '').trim() || 'Untitled document';
    return this.addDocument(principal, { businessId: input.businessId, title: title.slice(0, MAX_TITLE_LENGTH), content, format: sniffed.format, category: input.category });
  }

  async addDocument(principal: Principal | null | undefined, input: AddDocumentInput): Promise<KnowledgeDocumentEntity> {
    await this.business(principal, input.businessId);
    const title = input.title.trim();
    if (!title || title.length > MAX_TITLE_LENGTH) throw new BadUserInputError(`title must be 1 to ${MAX_TITLE_LENGTH} characters`, { field: 'title' });
    const bytes = Buffer.byteLength(input.content, 'utf8');
    if (bytes > this.config.knowledge.maxDocumentBytes) {
      throw new PayloadTooLargeError(`content is ${bytes} bytes; the limit is ${this.config.knowledge.maxDocumentBytes} bytes per document`);
    }
    if (!input.content.trim()) throw new BadUserInputError('content must not be empty', { field: 'content' });
    const format = input.format ?? DocumentFormat.TEXT;
    const text = await this.extract(format, input.content);
    if (!text) throw new BadUserInputError('content has no text once cleaned (scripts and styles are dropped)', { field: 'content' });
    const sourceUrl = input.sourceUrl?.trim() ? httpUrl(input.sourceUrl, 'sourceUrl') : null;
    const category = input.category?.trim() || null;
    if (category && category.length > MAX_CATEGORY_LENGTH) throw new BadUserInputError(`category must be at most ${MAX_CATEGORY_LENGTH} characters`, { field: 'category' });

    const { doc, job } = await this.orm.em.fork().transactional(async (em) => {
      await assertQuota(em, { businessId: input.businessId, sourceUrl, content: text }, this.config.knowledge);
      const job = this.jobs.create(em, { businessId: input.businessId, kind: IndexJobKind.DOCUMENT, payload: {} });
      const doc = await saveDocument(em, { businessId: input.businessId, title, format, category, sourceUrl, content: text, indexJobId: job.id });
      job.payload = { documentId: doc.id };
      return { doc, job };
    });
    await this.enqueue(JOB_INDEX_DOCUMENT, job.id);
    return doc;
  }

  /** Off the event loop past a few KB (see TextExtractor); bounded in time. */
  private async extract(format: DocumentFormat, content: string): Promise<string> {
    try {
      const kind = format === DocumentFormat.HTML ? 'html' : format === DocumentFormat.MARKDOWN ? 'markdown' : 'text';
      return (await this.extractor.extract({ format: kind, content })).text;
    } catch (err) {
      if (err instanceof ExtractTimeoutError) throw new BadUserInputError('content could not be processed in time; simplify or split the document', { field: 'content' });
      if (err instanceof ExtractBusyError) throw new ServiceUnavailableError('Document processing', err);
      throw err;
    }
  }

  async deleteDocument(principal: Principal | null | undefined, id: string): Promise<boolean> {
    const em = this.orm.em.fork();
    const doc = isUuid(id) ? await em.findOne(KnowledgeDocumentEntity, { id }) : null;
    if (!doc) throw new NotFoundError('Document');
    assertBusinessAccess(principal, doc.businessId);
    // Its chunks go with it (ON DELETE CASCADE) in every generation.
    await em.remove(doc).flush();
    return true;
  }

  /** The business's documents, oldest first (without their content). */
  async documents(principal: Principal | null | undefined, businessId: string): Promise<KnowledgeDocumentEntity[]> {
    await this.business(principal, businessId);
    return this.orm.em.fork().find(KnowledgeDocumentEntity, { businessId }, { orderBy: { createdAt: 'asc', id: 'asc' } });
  }

  async rebuild(principal: Principal | null | undefined, businessId: string): Promise<IndexJobEntity> {
    await this.business(principal, businessId);
    return this.startJob(businessId, IndexJobKind.REBUILD, JOB_REBUILD, {});
  }

  async crawl(principal: Principal | null | undefined, businessId: string, url: string | null | undefined, maxPages: number): Promise<IndexJobEntity> {
    const business = await this.business(principal, businessId);
    const start = url?.trim() || business.websiteUrl?.trim();
    if (!start) throw new BadUserInputError('give a url, or set the business\'s websiteUrl first', { field: 'url' });
    if (!Number.isInteger(maxPages) || maxPages < 1 || maxPages > MAX_CRAWL_PAGES) {
      throw new BadUserInputError(`maxPages must be between 1 and ${MAX_CRAWL_PAGES}`, { field: 'maxPages' });
    }
    const checked = httpUrl(start, 'url');
    // The outbound rules first: a loopback, private, link-local or metadata address, or a
    // port other than 80/443 (unless OUTBOUND_ALLOW_HOSTS lets it through), is refused here,
    // before any job exists. The worker checks again at connect time (DNS may change).
    try {
      await this.outbound.checkUrl(checked);
    } catch (err) {
      if (!(err instanceof OutboundError)) throw err;
      throw new BadUserInputError(`url may not be crawled: ${err.message}`, { field: 'url' });
    }
    return this.startJob(businessId, IndexJobKind.CRAWL, JOB_CRAWL, { url: checked, maxPages });
  }

  /**
   * Starts the re-crawls that are due (run by the worker every few minutes): every business
   * with `recrawlIntervalHours` and a `websiteUrl` whose last crawl started longer ago than
   * its interval (or that never had one), with the last crawl's `maxPages` (else
   * {@link DEFAULT_RECRAWL_PAGES}). A business whose crawl is under way gets no second one
   * (`startJob`); a website the outbound rules refuse is logged and skipped. Returns the jobs
   * started. Failure: Postgres failing fails the round (logged by the caller; the next round
   * tries again); a job row once created is run by the queue as any crawl.
   */
  async startDueRecrawls(): Promise<IndexJobEntity[]> {
    const { rows } = await this.orm.em.getKnex().raw<{ rows: Array<{ id: string; url: string; pages: number | null }> }>(
      `select b.id::text as id, b.website_url as url,
              (select (j.payload->>'maxPages')::int from index_jobs j where j.business_id = b.id and j.kind = 'CRAWL' order by j.created_at desc limit 1) as pages
       from businesses b
       where b.recrawl_interval_hours is not null and nullif(btrim(b.website_url), '') is not null
         and not exists (select 1 from index_jobs j where j.business_id = b.id and j.kind = 'CRAWL'
                         and j.created_at > now() - make_interval(hours => b.recrawl_interval_hours))`,
    );
    const started: IndexJobEntity[] = [];
    for (const row of rows) {
      try {
        const url = httpUrl(row.url, 'websiteUrl');
        await this.outbound.checkUrl(url);
        const pages = row.pages && row.pages >= 1 && row.pages <= MAX_CRAWL_PAGES ? row.pages : DEFAULT_RECRAWL_PAGES;
        started.push(await this.startJob(row.id, IndexJobKind.CRAWL, JOB_CRAWL, { url, maxPages: pages, recrawl: true }));
      } catch (err) {
        this.logger.warn('re-crawl not started', { businessId: row.id, error: err instanceof Error ? err.message : String(err) });
      }
    }
    return started;
  }

  async job(principal: Principal | null | undefined, id: string): Promise<IndexJobEntity | null> {
    const job = isUuid(id) ? await this.jobs.get(id) : null;
    if (!job) return null;
    assertBusinessAccess(principal, job.businessId);
    return job;
  }

  watchJob(principal: Principal | null | undefined, id: string): AsyncIterableIterator<IndexJobEntity> {
    if (!isUuid(id)) throw new NotFoundError('Index job');
    return this.updates.watch(id, (job) => assertBusinessAccess(principal, job.businessId), () => new NotFoundError('Index job'));
  }

  /** Exactly what the chat turn would retrieve for this business and question. */
  async search(principal: Principal | null | undefined, businessId: string, query: string, limit: number): Promise<RetrievedPassage[]> {
    const business = await this.business(principal, businessId);
    if (!query.trim()) throw new BadUserInputError('query must not be empty', { field: 'query' });
    if (query.length > MAX_QUERY_LENGTH) throw new BadUserInputError(`query must be at most ${MAX_QUERY_LENGTH} characters`, { field: 'query' });
    if (!Number.isInteger(limit) || limit < 1 || limit > 20) throw new BadUserInputError('limit must be between 1 and 20', { field: 'limit' });
    return this.retriever.retrieve({ businessId, query, limit, categories: business.enabledCategories, synonyms: business.synonyms });
  }

  /** One running job of a kind per business: asking again returns the one under way. */
  private async startJob(businessId: string, kind: IndexJobKind, name: string, payload: Record<string, unknown>): Promise<IndexJobEntity> {
    const result = await this.orm.em.fork().transactional(async (em) => {
      // Serialises concurrent requests for this business and kind (MikroORM has no advisory locks).
      await em.execute('select pg_advisory_xact_lock(hashtext(?))', [`index-job:${businessId}:${kind}`]);
      const running = await this.jobs.unfinished(em, businessId, kind);
      return running ? { running } : { created: this.jobs.create(em, { businessId, kind, payload }) };
    });
    if (!result.created) return result.running;
    await this.enqueue(name, result.created.id);
    return result.created;
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
