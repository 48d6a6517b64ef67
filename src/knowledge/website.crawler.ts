import { XMLParser } from 'fast-xml-parser';
import robotsParser from 'robots-parser';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';

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
  html: string;
}

export interface CrawlReport {
  mode: 'sitemap' | 'links';
  fetched: number;
  failed: number;
  skippedByRobots: number;
  stoppedBy: 'done' | 'maxPages' | 'time';
}

const NOT_PAGES = /\.(png|jpe?g|gif|webp|svg|ico|pdf|zip|gz|mp[34]|mov|avi|woff2?|ttf|css|js|json|xml|txt)$/i;
const MAX_SITEMAPS = 50;

class HttpStatusError extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}

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
 */
export class WebsiteCrawler {
  private readonly xml = new XMLParser({ ignoreAttributes: true, processEntities: true });

  constructor(
    private readonly limits: CrawlLimits,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
  ) {}

  async crawl(
    startUrl: string,
    onPage: (page: FetchedPage) => Promise<void>,
    onProgress: (done: number, planned: number) => Promise<void>,
  ): Promise<CrawlReport> {
    const limits = this.limits;
    const start = normalize(startUrl);
    if (!start) throw new Error('the start URL must be http(s)');
    const origin = new URL(start).origin;
    const deadline = Date.now() + limits.maxSeconds * 1000;
    const robots = await this.robots(origin);
    const delayMs = Math.min(10_000, (robots.getCrawlDelay(limits.userAgent) ?? 0) * 1000);
    const allowed = (url: string) => robots.isAllowed(url, limits.userAgent) !== false;

    const report: CrawlReport = { mode: 'links', fetched: 0, failed: 0, skippedByRobots: 0, stoppedBy: 'done' };
    const sitemapUrls = await this.sitemapUrls(robots.getSitemaps().length ? robots.getSitemaps() : [`${origin}/sitemap.xml`], origin, deadline);

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
          const page = await this.fetchText(next.url, ['text/html', 'application/xhtml+xml'], deadline);
          if (new URL(page.url).origin !== origin) throw new Error('redirected off site');
          if (follow && next.depth < limits.maxDepth) {
            for (const link of this.links(page.text, page.url)) if (new URL(link).origin === origin) push(link, next.depth + 1);
          }
          await onPage({ url: next.url, html: page.text });
          report.fetched++;
          this.metrics.crawlPages.inc({ outcome: 'fetched' });
        } catch (err) {
          report.failed++;
          this.metrics.crawlPages.inc({ outcome: 'failed' });
          this.logger.info('crawl page failed', { url: next.url, error: err instanceof Error ? err.message : String(err) });
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
      const res = await this.fetchText(url, null, Date.now() + this.limits.requestTimeoutMs * (this.limits.retries + 1));
      return robotsParser(url, res.text);
    } catch (err) {
      if (err instanceof HttpStatusError && err.status >= 400 && err.status < 500) return robotsParser(url, '');
      throw new Error(`robots.txt could not be read (${err instanceof Error ? err.message : String(err)}); not crawling`);
    }
  }

  /** Page URLs listed by the sitemaps (indexes followed), same origin only, in order. */
  private async sitemapUrls(roots: string[], origin: string, deadline: number): Promise<string[]> {
    const pending = roots.map((u) => normalize(u)).filter((u): u is string => u !== null);
    const visited = new Set<string>();
    const pages: string[] = [];
    while (pending.length && visited.size < MAX_SITEMAPS && Date.now() < deadline) {
      const sitemap = pending.shift() as string;
      if (visited.has(sitemap)) continue;
      visited.add(sitemap);
      let doc: Record<string, unknown>;
      try {
        const res = await this.fetchText(sitemap, null, deadline);
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
      for (const child of locs(doc.sitemapindex, 'sitemap')) pending.push(child);
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
   * GET with a timeout, a byte cap and retries with backoff on 429/5xx/network errors.
   * `types`: accepted content types (null: any).
   */
  private async fetchText(url: string, types: string[] | null, deadline: number): Promise<{ url: string; text: string }> {
    const { retries, requestTimeoutMs, maxPageBytes, userAgent } = this.limits;
    for (let attempt = 0; ; attempt++) {
      let retryAfterMs = 0;
      try {
        const res = await fetch(url, {
          headers: { 'user-agent': userAgent, accept: types ? types.join(', ') : '*/*' },
          redirect: 'follow',
          signal: AbortSignal.timeout(requestTimeoutMs),
        });
        if (res.status === 429 || res.status >= 500) {
          const header = Number(res.headers.get('retry-after'));
          retryAfterMs = Number.isFinite(header) && header > 0 ? Math.min(10_000, header * 1000) : 0;
          await res.body?.cancel();
          throw new HttpStatusError(res.status);
        }
        if (!res.ok) {
          await res.body?.cancel();
          throw new HttpStatusError(res.status);
        }
        const type = (res.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
        if (types && !types.includes(type)) {
          await res.body?.cancel();
          throw new Error(`not a page (${type || 'no content type'})`);
        }
        return { url: res.url || url, text: await readCapped(res, maxPageBytes) };
      } catch (err) {
        const retryable = !(err instanceof HttpStatusError) || err.status === 429 || err.status >= 500;
        const isSizeError = err instanceof Error && err.message.startsWith('page larger than');
        const wait = Math.max(retryAfterMs, 250 * 2 ** attempt);
        if (!retryable || isSizeError || attempt >= retries || Date.now() + wait > deadline) throw err;
        await sleep(wait);
      }
    }
  }
}

/** Reads a response body as UTF-8, refusing it past `maxBytes`. */
async function readCapped(res: Response, maxBytes: number): Promise<string> {
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel();
    throw new Error(`page larger than ${maxBytes} bytes`);
  }
  if (!res.body) return '';
  const reader = res.body.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw new Error(`page larger than ${maxBytes} bytes`);
    }
    parts.push(value);
  }
  return Buffer.concat(parts).toString('utf8');
}
