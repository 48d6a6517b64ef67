import type { AppConfig } from '../config/config';
import type { Orm } from '../db/orm';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { OutboundClient } from '../outbound/outbound.client';
import { assertQuota, QuotaExceededError, saveDocument } from './document.store';
import { DocumentFormat, type IndexJobEntity } from './knowledge.entity';
import type { TextExtractor } from './text-extractor';
import { CrawlFailure, WebsiteCrawler, type KnownPage } from './website.crawler';
import { createHash } from 'node:crypto';

/** The most pages one crawl may fetch (`crawlWebsite(maxPages)`). */
export const MAX_CRAWL_PAGES = 1000;
/** The longest document title (a crawled page's title is cut to it). */
export const MAX_TITLE_LENGTH = 300;

/** The knowledge category of a crawled page: its first path segment ("/services/x" → "services"). */
export function categoryFromUrl(url: string): string | null {
  const segment = new URL(url).pathname.split('/').find((s) => s.length > 0);
  if (!segment) return null;
  let decoded = segment;
  try {
    decoded = decodeURIComponent(segment);
  } catch {
    // keep the raw segment
  }
  return decoded.replace(/\.(html?|php|aspx?)$/i, '').toLowerCase().slice(0, 100) || null;
}

export interface CrawlRunner {
  run(job: IndexJobEntity, progress: (p: number) => Promise<void>, indexOne: (documentId: string) => Promise<void>): Promise<void>;
}

/**
 * A crawl job: each fetched page becomes an HTML document (its URL as `sourceUrl`, replacing
 * an earlier crawl of the same URL) indexed at once, so answers improve while it runs.
 * Every request goes through the outbound client (see WebsiteCrawler). A job fails with a
 * {@link CrawlFailure} whose message is generic (stored in `IndexJob.error`, read by the
 * tenant: no status, no network error text); the detail goes to the log only. A refused
 * address fails the job at once (not retried).
 */
export class WebsiteCrawlRunner implements CrawlRunner {
  constructor(
    private readonly orm: Orm,
    private readonly config: AppConfig,
    private readonly outbound: OutboundClient,
    private readonly extractor: TextExtractor,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
  ) {}

  async run(job: IndexJobEntity, progress: (p: number) => Promise<void>, indexOne: (documentId: string) => Promise<void>): Promise<void> {
    const url = String(job.payload.url);
    const maxPages = Number(job.payload.maxPages);
    const crawler = new WebsiteCrawler({ ...this.config.knowledge.crawl, maxPages }, this.outbound, this.metrics, this.logger);
    // The business's quota: once a page does not fit, later pages are fetched but not stored.
    let full: QuotaExceededError | null = null;
    const known = await this.knownPages(job.businessId);
    let unchanged = 0;
    const report = await this.guard(job, () => crawler.crawl(
      url,
      async (page) => {
        if (full) return;
        const before = known.get(page.url);
        if (page.notModified && before) {
          unchanged++;
          return;
        }
        // Off the event loop for pages past a few KB; a page that takes too long is skipped (counted failed).
        const { title, text } = await this.extractor.extract({ format: 'html', content: page.html, mainContent: true });
        if (!text.trim()) return;
        const validators = { etag: page.etag ?? null, lastModified: page.lastModified ?? null, links: page.links ?? [] };
        const pageTitle = (title || new URL(page.url).pathname).slice(0, MAX_TITLE_LENGTH);
        if (before && before.hash === createHash('sha256').update(text).digest('hex') && before.title === pageTitle) {
          // Same text as stored (the server sent no validators, or new ones): not re-indexed.
          unchanged++;
          await this.saveValidators(before.id, validators);
          return;
        }
        const fields = {
          businessId: job.businessId,
          title: pageTitle,
          format: DocumentFormat.HTML,
          category: categoryFromUrl(page.url),
          sourceUrl: page.url,
          content: text,
          indexJobId: job.id,
        };
        let doc;
        try {
          doc = await this.orm.em.fork().transactional(async (em) => {
            await assertQuota(em, fields, this.config.knowledge);
            return saveDocument(em, fields);
          });
        } catch (err) {
          if (err instanceof QuotaExceededError) full = err;
          throw err;
        }
        await this.saveValidators(doc.id, validators);
        await indexOne(doc.id);
      },
      (done, planned) => progress(Math.min(0.99, done / Math.max(1, planned))),
      known,
    ));
    this.logger.info('crawl finished', { jobId: job.id, businessId: job.businessId, ...report, unchanged });
    if (full) {
      throw new CrawlFailure(`the business's knowledge quota is full (${(full as QuotaExceededError).message}); pages stored before that were kept`, false);
    }
    if (report.fetched === 0) {
      throw new CrawlFailure(`no page could be fetched from the website (${report.failed} failed, ${report.skippedByRobots} disallowed by robots.txt)`, true);
    }
  }

  /** The business's crawled pages (documents with a source URL): validators, links, title and the sha256 of the stored text. */
  private async knownPages(businessId: string): Promise<Map<string, KnownPage & { id: string; hash: string; title: string }>> {
    const { rows } = await this.orm.em.getKnex().raw<{ rows: Array<{ id: string; url: string; etag: string | null; lm: string | null; hash: string; title: string; links: string[] | null }> }>(
      `select id::text as id, source_url as url, http_etag as etag, http_last_modified as lm, encode(sha256(convert_to(content, 'UTF8')), 'hex') as hash, title, page_links as links
       from knowledge_documents where business_id = ?::uuid and source_url is not null and indexed_at is not null`,
      [businessId],
    );
    return new Map(rows.map((r) => [r.url, { id: r.id, etag: r.etag, lastModified: r.lm, hash: r.hash, title: r.title, links: r.links ?? [] }]));
  }

  /**
   * Stores a page's validators and links after its document is saved (a separate statement:
   * if Postgres fails here the crawl job fails and retries as for any page; a page stored
   * without validators is fetched unconditionally next time and compared by its text hash).
   */
  private async saveValidators(documentId: string, v: { etag: string | null; lastModified: string | null; links: string[] }): Promise<void> {
    await this.orm.em.getKnex().raw('update knowledge_documents set http_etag = ?, http_last_modified = ?, page_links = ?::jsonb where id = ?::uuid', [
      v.etag,
      v.lastModified,
      JSON.stringify(v.links.slice(0, 500)),
      documentId,
    ]);
  }

  /** Any error but a CrawlFailure (a database error while storing a page, a bug) becomes a generic one; the detail is logged. */
  private async guard<T>(job: IndexJobEntity, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (err instanceof CrawlFailure) throw err;
      this.logger.warn('crawl failed', { jobId: job.id, businessId: job.businessId, error: err instanceof Error ? err.message : String(err) });
      throw new CrawlFailure('the crawl failed; see the server log', true, { cause: err });
    }
  }
}
