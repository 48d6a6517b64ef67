import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from 'pg';
import { categoryFromUrl } from '../../src/knowledge/website.crawl-job';
import { CrawlWebsiteDocument, KnowledgeDocumentsDocument, SearchKnowledgeDocument } from '../generated/graphql';
import { errorCodes, gql } from '../support/client';
import { ADMIN, ADMIN_HASH, seedBusiness, waitForJob } from '../support/knowledge';
import { startTestServer, testConfig, type TestServer } from '../support/server';
import { createTestDatabase, type TestDatabase } from '../support/stores';

/** A small website on loopback; records every path requested. */
class Site {
  readonly requests: string[] = [];
  private server!: Server;
  origin = '';
  version = 1;
  private failedOnce = new Set<string>();

  constructor(private readonly routes: (site: Site) => Record<string, { status?: number; type?: string; body: string; failFirst?: number }>) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      this.requests.push(path);
      const route = this.routes(this)[path];
      if (!route) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        return;
      }
      if (route.failFirst && !this.failedOnce.has(path)) {
        this.failedOnce.add(path);
        res.writeHead(route.failFirst, { 'content-type': 'text/plain' }).end('try again');
        return;
      }
      res.writeHead(route.status ?? 200, { 'content-type': route.type ?? 'text/html; charset=utf-8' }).end(route.body);
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const page = (title: string, body: string, links: string[] = []) =>
  `<!doctype html><html><head><title>${title}</title><style>.nav{display:flex}</style><script>var analytics = "tracking";</script></head>
  <body><nav class="nav">${links.map((l) => `<a href="${l}">${l}</a>`).join(' ')}</nav>
  <main><article><h1>${title}</h1><p>${body}</p><p>${'We care for every visitor with patience and clear explanations. '.repeat(3)}</p></article></main>
  <footer>Copyright footer text</footer></body></html>`;

let db: TestDatabase;
let server: TestServer;
let pg: Client;
let withSitemap: Site;
let withoutSitemap: Site;

beforeAll(async () => {
  withSitemap = await new Site((site) => ({
    '/robots.txt': { type: 'text/plain', body: `User-agent: *\nDisallow: /private\nSitemap: ${site.origin}/sitemap_index.xml\n` },
    '/sitemap_index.xml': {
      type: 'application/xml',
      body: `<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap><loc>${site.origin}/sitemap-pages.xml</loc></sitemap></sitemapindex>`,
    },
    '/sitemap-pages.xml': {
      type: 'application/xml',
      body: `<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
        <url><loc>${site.origin}/services/whitening</loc></url><url><loc>${site.origin}/services/implants</loc></url>
        <url><loc>${site.origin}/about</loc></url><url><loc>${site.origin}/private/secret</loc></url>
        <url><loc>https://elsewhere.example/page</loc></url></urlset>`,
    },
    '/services/whitening': { body: page('Teeth whitening', `Whitening costs ${site.version === 1 ? '250' : '199'} dollars per session.`, ['/unlisted']) },
    '/services/implants': { body: page('Dental implants', 'Implants are placed by Dr. Whitmore after a free consultation.') },
    '/about': { body: page('About us', 'Family practice since 1998 in the old mill building.'), failFirst: 503 },
    '/private/secret': { body: page('Secret', 'Staff-only door code 7788.') },
    '/unlisted': { body: page('Unlisted', 'This page is linked but not in the sitemap.') },
  })).start();

  withoutSitemap = await new Site(() => ({
    '/robots.txt': { type: 'text/plain', body: 'User-agent: *\nDisallow: /private\n' },
    '/': { body: page('Home', 'Welcome to the bakery on the corner.', ['/menu', '/contact', '/private/admin', 'https://elsewhere.example/', '/logo.png', '#top']) },
    '/menu': { body: page('Menu', 'Sourdough bread and cinnamon buns baked daily.', ['/menu/cakes', '/']) },
    '/menu/cakes': { body: page('Cakes', 'Birthday cakes to order with three days notice.', ['/menu/cakes/deep']) },
    '/menu/cakes/deep': { body: page('Deep', 'A page three links deep.') },
    '/contact': { body: page('Contact', 'Call us or drop by; we answer within a day.', ['/huge']) },
    '/huge': { body: page('Huge', 'x'.repeat(40_000)) },
    '/private/admin': { body: page('Admin', 'Admin panel password hunter2.') },
  })).start();

  db = await createTestDatabase();
  server = await startTestServer(
    testConfig(db, {
      ADMIN_API_KEY_HASHES: ADMIN_HASH,
      JOB_DRIVER: 'inline',
      JOB_BACKOFF_MS: '10',
      CRAWL_MAX_PAGE_BYTES: '20000',
      CRAWL_REQUEST_TIMEOUT_MS: '3000',
      CRAWL_MAX_DEPTH: '2',
      // The test sites listen on loopback, which the outbound rules refuse by default.
      OUTBOUND_ALLOW_HOSTS: '127.0.0.1:*',
    }),
  );
  pg = new Client({ connectionString: db.url });
  await pg.connect();
});

afterAll(async () => {
  await pg?.end();
  await server?.close();
  await db?.drop();
  await withSitemap?.close();
  await withoutSitemap?.close();
});

const docs = async (businessId: string) => (await gql(server.url, KnowledgeDocumentsDocument, { businessId }, ADMIN)).data!.knowledgeDocuments;

describe('crawlWebsite', () => {
  it('derives the category from the first path segment', () => {
    expect(categoryFromUrl('https://x.test/services/whitening')).toBe('services');
    expect(categoryFromUrl('https://x.test/About.html')).toBe('about');
    expect(categoryFromUrl('https://x.test/')).toBeNull();
  });

  it('uses the sitemap index, honours robots.txt, retries a 503, and makes one HTML document per page', async () => {
    const biz = (await seedBusiness(server.app, { name: 'Smile', websiteUrl: `${withSitemap.origin}/` })).id;
    const res = await gql(server.url, CrawlWebsiteDocument, { businessId: biz }, ADMIN);
    expect(res.errors).toBeUndefined();
    expect(res.data!.crawlWebsite).toMatchObject({ kind: 'CRAWL', businessId: biz });
    const job = await waitForJob(server.url, res.data!.crawlWebsite.id);
    expect(job).toMatchObject({ state: 'SUCCEEDED', progress: 1 });

    const list = await docs(biz);
    expect(list.map((d) => d.sourceUrl).sort()).toEqual([`${withSitemap.origin}/about`, `${withSitemap.origin}/services/implants`, `${withSitemap.origin}/services/whitening`]);
    expect(list.every((d) => d.format === 'HTML' && d.chunkCount > 0)).toBe(true);
    expect(list.find((d) => d.sourceUrl?.endsWith('/services/whitening'))).toMatchObject({ category: 'services', title: 'Teeth whitening' });
    expect(list.find((d) => d.sourceUrl?.endsWith('/about'))?.category).toBe('about');
    expect(withSitemap.requests).not.toContain('/private/secret');
    expect(withSitemap.requests).not.toContain('/unlisted'); // sitemap mode follows no links
    expect(withSitemap.requests.filter((p) => p === '/about')).toHaveLength(2); // 503, then 200

    const { rows } = await pg.query('select text from knowledge_chunks where business_id = $1', [biz]);
    const text = rows.map((r) => r.text).join('\n');
    expect(text).toContain('Whitening costs 250 dollars');
    expect(text).not.toMatch(/tracking|Copyright footer|display:flex|7788/);
    const hits = (await gql(server.url, SearchKnowledgeDocument, { businessId: biz, query: 'how much is whitening?' }, ADMIN)).data!.searchKnowledge;
    expect(hits[0]).toMatchObject({ sourceUrl: `${withSitemap.origin}/services/whitening`, category: 'services' });

    // Crawling again replaces each page's document instead of duplicating it.
    withSitemap.version = 2;
    const again = await gql(server.url, CrawlWebsiteDocument, { businessId: biz, url: withSitemap.origin }, ADMIN);
    expect((await waitForJob(server.url, again.data!.crawlWebsite.id)).state).toBe('SUCCEEDED');
    const after = await docs(biz);
    expect(after.map((d) => d.id).sort()).toEqual(list.map((d) => d.id).sort());
    const hits2 = (await gql(server.url, SearchKnowledgeDocument, { businessId: biz, query: 'whitening costs dollars' }, ADMIN)).data!.searchKnowledge;
    expect(hits2.map((h) => h.text).join(' ')).toContain('199 dollars');
    expect(hits2.map((h) => h.text).join(' ')).not.toContain('250 dollars');
  });

  it('without a sitemap crawls same-site links breadth-first within depth, robots.txt and byte limits', async () => {
    const biz = (await seedBusiness(server.app, { name: 'Bakery' })).id;
    const res = await gql(server.url, CrawlWebsiteDocument, { businessId: biz, url: `${withoutSitemap.origin}/`, maxPages: 50 }, ADMIN);
    const job = await waitForJob(server.url, res.data!.crawlWebsite.id);
    expect(job.state).toBe('SUCCEEDED');
    const paths = (await docs(biz)).map((d) => new URL(d.sourceUrl!).pathname).sort();
    // /menu/cakes/deep is depth 3 (limit 2); /huge exceeds the byte cap; /private is disallowed.
    expect(paths).toEqual(['/', '/contact', '/menu', '/menu/cakes']);
    expect(withoutSitemap.requests).not.toContain('/private/admin');
    expect(withoutSitemap.requests).not.toContain('/menu/cakes/deep');
    expect(withoutSitemap.requests).not.toContain('/logo.png');
    const metrics = await (await fetch(`${server.base}/metrics`)).text();
    expect(metrics).toMatch(/^knowledge_crawl_pages_total\{outcome="failed"\} [1-9]/m);
    expect(metrics).toMatch(/^knowledge_crawl_pages_total\{outcome="fetched"\} [1-9]/m);
  });

  it('respects maxPages', async () => {
    const biz = (await seedBusiness(server.app, { name: 'Bakery 2' })).id;
    const before = withoutSitemap.requests.length;
    const res = await gql(server.url, CrawlWebsiteDocument, { businessId: biz, url: `${withoutSitemap.origin}/`, maxPages: 2 }, ADMIN);
    expect((await waitForJob(server.url, res.data!.crawlWebsite.id)).state).toBe('SUCCEEDED');
    expect(await docs(biz)).toHaveLength(2);
    const pages = withoutSitemap.requests.slice(before).filter((p) => !p.endsWith('.txt') && !p.endsWith('.xml'));
    expect(pages).toHaveLength(2);
  });

  it('refuses a crawl with no url and no websiteUrl, and a maxPages out of range', async () => {
    const biz = (await seedBusiness(server.app, { name: 'No site' })).id;
    expect(errorCodes(await gql(server.url, CrawlWebsiteDocument, { businessId: biz }, ADMIN))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await gql(server.url, CrawlWebsiteDocument, { businessId: biz, url: 'ftp://x.test/' }, ADMIN))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await gql(server.url, CrawlWebsiteDocument, { businessId: biz, url: withoutSitemap.origin, maxPages: 0 }, ADMIN))).toEqual(['BAD_USER_INPUT']);
    const jobs = await pg.query('select count(*)::int as n from index_jobs where business_id = $1', [biz]);
    expect(jobs.rows[0].n).toBe(0);
  });

  it('fails the job with a clear error when no page can be fetched', async () => {
    const biz = (await seedBusiness(server.app, { name: 'Dead' })).id;
    const res = await gql(server.url, CrawlWebsiteDocument, { businessId: biz, url: `${withoutSitemap.origin}/private/admin` }, ADMIN);
    const job = await waitForJob(server.url, res.data!.crawlWebsite.id);
    expect(job.state).toBe('FAILED');
    expect(job.error).toMatch(/no page could be fetched.*disallowed by robots\.txt/);
  });
});
