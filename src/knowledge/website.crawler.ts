import { XMLParser } from 'fast-xml-parser';
import robotsParser from 'robots-parser';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { OutboundError, type OutboundClient } from '../outbound/outbound.client';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { parseHTML } = require('linkedom') as { parseHTML: (html: string) => { document: Document } };

export interface CrawlLimits {
  maxPages: number;
  maxDepth: number;
  /** Wall-clock budget of the whole crawl. */
  maxSeconds: number;
  requestTimeoutMs: number;
  maxPageBytes: number;
  /** Retries of one request on 429, 5xx or a network error. */
  retries: number;
  concurrency: number;
  userAgent: string;
}

export interface FetchedPage {
  url: string;
  /** Empty when `notModified`. */
  html: string;
  /** The server answered 304 to the conditional request: the stored page is current. */
  notModified?: boolean;
  etag?: string | null;
  lastModified?: string | null;
  /** Same-origin links of the page (the stored ones when `notModified`). */
  links?: string[];
}

/** What an earlier crawl stored of a page: its validators and links. */
export interface KnownPage {
  etag: string | null;
  lastModified: string | null;
  links: string[];
}

export interface CrawlReport {
  mode: 'sitemap' | 'links';
  fetched: number;
  failed: number;
  skippedByRobots: number;
  stoppedBy: 'done' | 'maxPages' | 'time';
  /** Pages that answered 304 Not Modified to a conditional request (counted in `fetched` too). */
  notModified: number;
}

const NOT_PAGES = /\.(png|jpe?g|gif|webp|svg|ico|pdf|zip|gz|mp[34]|mov|avi|woff2?|ttf|css|js|json|xml|txt)$/i;
const MAX_SITEMAPS = 50;

/** Redirects one fetch follows (each hop on the site's origin and checked by the outbound client). */
const MAX_REDIRECTS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

class HttpStatusError extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}

/** A fetch that would leave the site's origin (a redirect, a sitemap or a robots `Sitemap:` line elsewhere). */
class OffOriginError extends Error {
  constructor() {
    super('points off the site');
  }
}

/**
 * Why a crawl could not run at all. The message is generic on purpose: it is stored in
 * `IndexJob.error`, which a tenant reads, and must not tell an open port from a closed one
 * (no status codes, no "fetch failed", no ECONNREFUSED). `retryable` false: retrying cannot help.
 */
export class CrawlFailure extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CrawlFailure';
  }
}

/** The generic message of a start URL the outbound rules refuse. */
export const CRAWL_REFUSED_MESSAGE = 'the website address may not be crawled (a non-public address or port)';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A URL without its fragment, or null when it is not http(s). */
function normalize(raw: string, base?: string): string | null {
  try {
    const url = new URL(raw, base);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
    url.hash = '';
    return url.toString();
  } catch {
    return null;
  }
}

/**
 * Fetches the pages of one website politely: robots.txt first (its rules and crawl delay;
 * an unreachable robots.txt (5xx) means "crawl nothing", as RFC 9309 asks), then the
 * sitemap(s) (sitemap indexes followed), else a breadth-first walk of same-origin links up
 * to `maxDepth`. Every request has a timeout and a byte cap, and is retried with
 * exponential backoff on 429/5xx (honouring Retry-After up to 10 s). Hands each HTML page to
 * `onPage`; extraction and storage are the caller's.
 *
 * Every request goes through the outbound client (non-public addresses and ports refused,
 * checked at connect time on every hop). On top of that the crawler never leaves the start
 * URL's origin: robots.txt `Sitemap:` lines, sitemap-index children and sitemap entries on
 * another origin are ignored, and redirects are followed here, hop by hop, only while they
 * stay on the origin — so nothing is ever requested from another host, port or scheme.
 */
export class WebsiteCrawler {
  private readonly xml = new XMLParser({ ignoreAttributes: true, processEntities: true });

  constructor(
    private readonly limits: CrawlLimits,
    private readonly outbound: OutboundClient,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
  ) {}

  async crawl(
    startUrl: string,
    onPage: (page: FetchedPage) => Promise<void>,
    onProgress: (done: number, planned: number) => Promise<void>,
    /** Pages of an earlier crawl: fetched with If-None-Match / If-Modified-Since. */
    known: ReadonlyMap<string, KnownPage> = new Map(),
  ): Promise<CrawlReport> {
    const limits = this.limits;
    const start = normalize(startUrl);
    if (!start) throw new CrawlFailure('the start URL must be http(s)', false);
    const origin = new URL(start).origin;
    const deadline = Date.now() + limits.maxSeconds * 1000;
    const robots = await this.robots(origin);
    const delayMs = Math.min(10_000, (robots.getCrawlDelay(limits.userAgent) ?? 0) * 1000);
    const allowed = (url: string) => robots.isAllowed(url, limits.userAgent) !== false;

    const report: CrawlReport = { mode: 'links', fetched: 0, failed: 0, skippedByRobots: 0, stoppedBy: 'done', notModified: 0 };
    // Only the site's own sitemaps: a `Sitemap:` line naming another origin is ignored.
    const listed = robots.getSitemaps().filter((u) => sameOrigin(u, origin));
    const sitemapUrls = await this.sitemapUrls(listed.length ? listed : [`${origin}/sitemap.xml`], origin, deadline);

    const queue: Array<{ url: string; depth: number }> = [];
    const seen = new Set<string>();
    const push = (url: string, depth: number) => {
      if (seen.has(url)) return;
      seen.add(url);
      if (!allowed(url)) {
        report.skippedByRobots++;
        return;
      }
      queue.push({ url, depth });
    };
    if (sitemapUrls.length) {
      report.mode = 'sitemap';
      for (const url of sitemapUrls) push(url, 0);
    } else {
      push(start, 0);
    }

    let accepted = 0; // pages taken from the queue (bounded by maxPages)
    let inFlight = 0;
    const follow = report.mode === 'links';
    const worker = async () => {
      for (;;) {
        if (Date.now() > deadline) {
          report.stoppedBy = 'time';
          return;
        }
        if (accepted >= limits.maxPages) {
          if (queue.length) report.stoppedBy = 'maxPages';
          return;
        }
        const next = queue.shift();
        if (!next) {
          if (inFlight === 0) return;
          await sleep(20); // another worker may still discover links
          continue;
        }
        accepted++;
        inFlight++;
        try {
          const before = known.get(next.url);
          const page = await this.fetchText(next.url, ['text/html', 'application/xhtml+xml'], deadline, origin, before);
          const links = page.notModified ? (before?.links ?? []) : this.links(page.text, page.url).filter((link) => new URL(link).origin === origin);
          if (follow && next.depth < limits.maxDepth) for (const link of links) push(link, next.depth + 1);
          if (page.notModified) report.notModified++;
          await onPage({ url: next.url, html: page.text, notModified: page.notModified, etag: page.etag, lastModified: page.lastModified, links });
          report.fetched++;
          this.metrics.crawlPages.inc({ outcome: 'fetched' });
        } catch (err) {
          report.failed++;
          this.metrics.crawlPages.inc({ outcome: 'failed' });
          this.logger.info('crawl page failed', { url: next.url, error: describe(err) });
        } finally {
          inFlight--;
        }
        await onProgress(report.fetched + report.failed, Math.min(limits.maxPages, accepted + queue.length));
        if (delayMs) await sleep(delayMs);
      }
    };
    await Promise.all(Array.from({ length: delayMs ? 1 : limits.concurrency }, worker));
    return report;
  }

  private async robots(origin: string): Promise<ReturnType<typeof robotsParser>> {
    const url = `${origin}/robots.txt`;
    try {
      const res = await this.fetchText(url, null, Date.now() + this.limits.requestTimeoutMs * (this.limits.retries + 1), origin);
      return robotsParser(url, res.text);
    } catch (err) {
      if (err instanceof HttpStatusError && err.status >= 400 && err.status < 500) return robotsParser(url, '');
      this.logger.info('crawl robots.txt failed', { url, error: describe(err) });
      if (err instanceof OutboundError && (err.reason === 'refused' || err.reason === 'invalid_url')) {
        throw new CrawlFailure(CRAWL_REFUSED_MESSAGE, false, { cause: err });
      }
      // Generic: a 5xx, a timeout, a reset and a redirect off the site all read the same.
      throw new CrawlFailure('the website could not be reached (robots.txt unreadable); not crawling', true, { cause: err });
    }
  }

  /** Page URLs listed by the sitemaps (indexes followed), same origin only, in order. */
  private async sitemapUrls(roots: string[], origin: string, deadline: number): Promise<string[]> {
    const pending = roots.map((u) => normalize(u)).filter((u): u is string => u !== null && sameOrigin(u, origin));
    const visited = new Set<string>();
    const pages: string[] = [];
    while (pending.length && visited.size < MAX_SITEMAPS && Date.now() < deadline) {
      const sitemap = pending.shift() as string;
      if (visited.has(sitemap)) continue;
      visited.add(sitemap);
      let doc: Record<string, unknown>;
      try {
        const res = await this.fetchText(sitemap, null, deadline, origin);
        doc = this.xml.parse(res.text) as Record<string, unknown>;
      } catch {
        continue; // no sitemap (404) or an unreadable one: fall back to links
      }
      const locs = (node: unknown, key: string): string[] => {
        const list = (node as Record<string, unknown> | undefined)?.[key];
        return (Array.isArray(list) ? list : list ? [list] : [])
          .map((e) => (e as { loc?: unknown }).loc)
          .filter((l): l is string => typeof l === 'string')
          .map((l) => l.trim());
      };
      for (const child of locs(doc.sitemapindex, 'sitemap')) {
        const url = normalize(child);
        if (url && sameOrigin(url, origin)) pending.push(url);
      }
      for (const page of locs(doc.urlset, 'url')) {
        const url = normalize(page);
        if (url && new URL(url).origin === origin && !NOT_PAGES.test(new URL(url).pathname)) pages.push(url);
      }
    }
    return [...new Set(pages)];
  }

  private links(html: string, base: string): string[] {
    const { document } = parseHTML(html);
    const out: string[] = [];
    for (const a of Array.from(document.querySelectorAll('a[href]'))) {
      const rel = a.getAttribute('rel') ?? '';
      if (/nofollow/i.test(rel)) continue;
      const url = normalize(a.getAttribute('href') ?? '', base);
      if (url && !NOT_PAGES.test(new URL(url).pathname)) out.push(url);
    }
    return out;
  }

  /**
   * GET through the outbound client with a timeout, a byte cap and retries with backoff on
   * 429/5xx/network errors. Redirects are followed here (at most 5), each hop only on
   * `origin` (else {@link OffOriginError}, nothing requested). `types`: accepted content
   * types (null: any). A refused address is never retried.
   */
  private async fetchText(
    url: string,
    types: string[] | null,
    deadline: number,
    origin: string,
    known?: KnownPage,
  ): Promise<{ url: string; text: string; notModified?: boolean; etag?: string | null; lastModified?: string | null }> {
    const conditional: Record<string, string> = {};
    if (known?.etag) conditional['if-none-match'] = known.etag;
    if (known?.lastModified) conditional['if-modified-since'] = known.lastModified;
    const { retries, requestTimeoutMs, maxPageBytes, userAgent } = this.limits;
    for (let attempt = 0; ; attempt++) {
      let retryAfterMs = 0;
      try {
        let current = url;
        let res = null;
        for (let hop = 0; ; hop++) {
          if (!sameOrigin(current, origin)) throw new OffOriginError();
          res = await this.outbound.fetch(current, {
            headers: { 'user-agent': userAgent, accept: types ? types.join(', ') : '*/*', ...(hop === 0 ? conditional : {}) },
            maxBytes: maxPageBytes,
            timeoutMs: requestTimeoutMs,
            maxRedirects: 0,
          });
          const location = res.headers.location;
          if (!REDIRECTS.has(res.status) || !location) break;
          if (hop >= MAX_REDIRECTS) throw new OutboundError('too_many_redirects');
          const next = normalize(location, current);
          if (!next) throw new OffOriginError();
          current = next;
        }
        if (res.status === 429 || res.status >= 500) {
          const header = Number(res.headers['retry-after']);
          retryAfterMs = Number.isFinite(header) && header > 0 ? Math.min(10_000, header * 1000) : 0;
          throw new HttpStatusError(res.status);
        }
        const validators = { etag: header(res.headers.etag), lastModified: header(res.headers['last-modified']) };
        if (res.status === 304 && known) return { url: current, text: '', notModified: true, ...validators };
        if (res.status < 200 || res.status >= 300) throw new HttpStatusError(res.status);
        const type = (res.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
        if (types && !types.includes(type)) throw new Error(`not a page (${type || 'no content type'})`);
        return { url: current, text: res.body.toString('utf8'), ...validators };
      } catch (err) {
        const retryable =
          err instanceof HttpStatusError
            ? err.status === 429 || err.status >= 500
            : err instanceof OutboundError && (err.reason === 'network' || err.reason === 'timeout');
        const wait = Math.max(retryAfterMs, 250 * 2 ** attempt);
        if (!retryable || attempt >= retries || Date.now() + wait > deadline) throw err;
        await sleep(wait);
      }
    }
  }
}

function header(value: string | string[] | undefined): string | null {
  const v = Array.isArray(value) ? value[0] : value;
  return v && v.length <= 500 ? v : null;
}

function sameOrigin(url: string, origin: string): boolean {
  try {
    return new URL(url).origin === origin;
  } catch {
    return false;
  }
}

/** An error for the log (never for the tenant): the outbound reason and its cause. */
function describe(err: unknown): string {
  if (err instanceof OutboundError) return `${err.reason}${err.cause instanceof Error ? `: ${err.cause.message}` : ''}`;
  return err instanceof Error ? err.message : String(err);
}
