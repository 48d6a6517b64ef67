import { Client } from 'pg';
import { CrawlWebsiteDocument, KnowledgeDocumentsDocument } from '../generated/graphql';
import { errorCodes, gql } from '../support/client';
import { ADMIN, ADMIN_HASH, seedBusiness, waitForJob } from '../support/knowledge';
import { fakeDns, LoopbackServer } from '../support/outbound';
import { startTestServer, testConfig, type TestServer } from '../support/server';
import { createTestDatabase, type TestDatabase } from '../support/stores';

/**
 * Issue 10 item 1: the crawler is no SSRF gadget. Every request of a crawl (the page, robots.txt,
 * sitemaps, sitemap-index children, redirects) goes through the outbound client; crawlWebsite
 * refuses a non-public start URL up front; nothing is fetched off the site's origin; job errors
 * do not tell an open port from a closed one.
 */

const PAGE = (title: string) =>
  `<!doctype html><html><head><title>${title}</title></head><body><main><article><h1>${title}</h1>` +
  `<p>${'Opening hours are nine to five on weekdays, and we welcome walk-in visitors. '.repeat(3)}</p></article></main></body></html>`;

let db: TestDatabase;
/** A "private" service on loopback: what an attacker wants the crawler to reach. */
let internal: LoopbackServer;
/** The tenant's website, on loopback, reached through made-up public names (fake DNS). */
let site: LoopbackServer;
/** A server that refuses crawling with a 500 on robots.txt: an open port answering with an error. */
let broken: LoopbackServer;
/** No OUTBOUND_ALLOW_HOSTS: loopback is refused, as in production. */
let strict: TestServer;
/** Lets the made-up site names through (as an intranet deployment would), nothing else. */
let lenient: TestServer;
let pg: Client;
let closedPort = 0;
let rebindCalls = 0;

beforeAll(async () => {
  internal = await new LoopbackServer((_req, res) => void res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE('Internal admin'))).start();
  site = await new LoopbackServer((req, res, self) => {
    const path = req.url ?? '/';
    const internalUrl = internal.origin;
    if (path === '/robots.txt') {
      // Sitemap lines on another origin (the internal service, the metadata address) and one of its own.
      return void res
        .writeHead(200, { 'content-type': 'text/plain' })
        .end(`User-agent: *\nSitemap: ${internalUrl}/sitemap.xml\nSitemap: http://169.254.169.254/latest/meta-data/\nSitemap: http://site.example:${self.port}/sitemap.xml\n`);
    }
    if (path === '/sitemap.xml') {
      return void res.writeHead(200, { 'content-type': 'application/xml' }).end(
        `<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">` +
          `<sitemap><loc>${internalUrl}/child-sitemap.xml</loc></sitemap>` +
          `<sitemap><loc>http://site.example:${self.port}/pages.xml</loc></sitemap></sitemapindex>`,
      );
    }
    if (path === '/pages.xml') {
      return void res.writeHead(200, { 'content-type': 'application/xml' }).end(
        `<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">` +
          `<url><loc>http://site.example:${self.port}/hours</loc></url><url><loc>${internalUrl}/admin</loc></url>` +
          `<url><loc>http://site.example:${self.port}/to-internal</loc></url><url><loc>http://site.example:${self.port}/to-metadata</loc></url></urlset>`,
      );
    }
    if (path === '/hours') return void res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE('Hours'));
    if (path === '/to-internal') return void res.writeHead(302, { location: `${internalUrl}/admin` }).end();
    if (path === '/to-metadata') return void res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
    // redirect.example's robots.txt is fine; its home page redirects to the internal service.
    if (path === '/') return void res.writeHead(302, { location: `${internalUrl}/` }).end();
    res.writeHead(404).end();
  }).start();
  broken = await new LoopbackServer((_req, res) => void res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error')).start();
  // A port nothing listens on: start a server, note its port, close it.
  const gone = await new LoopbackServer((_req, res) => void res.end()).start();
  closedPort = gone.port;
  await gone.close();

  const dns = fakeDns({
    'site.example': ['127.0.0.1'],
    'redirect.example': ['127.0.0.1'],
    'broken.example': ['127.0.0.1'],
    'closed.example': ['127.0.0.1'],
    // A name that resolves to the loopback address: refused like the literal.
    'intranet.example': ['127.0.0.1'],
    // Public when crawlWebsite checks it, loopback when the worker connects (DNS rebinding).
    'rebind.example': () => (++rebindCalls === 1 ? ['93.184.216.34'] : ['127.0.0.1']),
  });
  db = await createTestDatabase();
  const env = { ADMIN_API_KEY_HASHES: ADMIN_HASH, JOB_DRIVER: 'inline', JOB_BACKOFF_MS: '10', JOB_ATTEMPTS: '3', CRAWL_RETRIES: '0', CRAWL_REQUEST_TIMEOUT_MS: '3000' };
  strict = await startTestServer(testConfig(db, env), { outboundLookup: dns });
  lenient = await startTestServer(
    testConfig(db, {
      ...env,
      OUTBOUND_ALLOW_HOSTS: `site.example:${site.port},redirect.example:${site.port},broken.example:${broken.port},closed.example:${closedPort}`,
    }),
    { outboundLookup: dns },
  );
  pg = new Client({ connectionString: db.url });
  await pg.connect();
});

afterAll(async () => {
  await pg?.end();
  await strict?.close();
  await lenient?.close();
  await db?.drop();
  await internal?.close();
  await site?.close();
  await broken?.close();
});

const jobCount = async (businessId: string) => (await pg.query('select count(*)::int as n from index_jobs where business_id = $1', [businessId])).rows[0].n as number;

describe('crawlWebsite refuses non-public start URLs (BAD_USER_INPUT, no job, nothing fetched)', () => {
  it.each([
    'http://127.0.0.1:INTERNAL_PORT/',
    'http://127.0.0.1/',
    'http://169.254.169.254/latest/meta-data/',
    'http://[::1]:INTERNAL_PORT/',
    'http://[::1]/',
    'http://2130706433/', // decimal 127.0.0.1
    'http://0x7f.1/', // hex
    'http://0177.0.0.1/', // octal
    'http://[::ffff:127.0.0.1]/', // IPv4-mapped IPv6
    'http://10.0.0.7/',
    'http://192.168.1.1/',
    'http://100.64.0.1/', // carrier-grade NAT
    'http://0.0.0.0/',
    'http://intranet.example/', // a name that resolves to loopback
    'http://postgres:5432/', // compose service names: refused for the port alone
    'http://redis:6379/',
  ])('%s', async (target) => {
    const url = target.replace('INTERNAL_PORT', String(internal.port));
    const biz = (await seedBusiness(strict.app, { name: `SSRF ${target}` })).id;
    const before = internal.requests.length;
    const res = await gql(strict.url, CrawlWebsiteDocument, { businessId: biz, url, maxPages: 1 }, ADMIN);
    expect(errorCodes(res)).toEqual(['BAD_USER_INPUT']);
    expect(res.errors![0].message).toMatch(/may not be crawled/);
    expect(await jobCount(biz)).toBe(0);
    expect(internal.requests.length).toBe(before);
  });

  it("refuses the business's websiteUrl the same way when no url is given", async () => {
    const biz = (await seedBusiness(strict.app, { name: 'Metadata site', websiteUrl: 'http://169.254.169.254/' })).id;
    expect(errorCodes(await gql(strict.url, CrawlWebsiteDocument, { businessId: biz }, ADMIN))).toEqual(['BAD_USER_INPUT']);
    expect(await jobCount(biz)).toBe(0);
  });
});

describe('a crawl never leaves the site', () => {
  it('ignores Sitemap lines, sitemap-index children and sitemap entries on other origins, and does not follow redirects off the site', async () => {
    const biz = (await seedBusiness(lenient.app, { name: 'Site' })).id;
    const res = await gql(lenient.url, CrawlWebsiteDocument, { businessId: biz, url: `http://site.example:${site.port}/`, maxPages: 20 }, ADMIN);
    expect(res.errors).toBeUndefined();
    const job = await waitForJob(lenient.url, res.data!.crawlWebsite.id);
    expect(job.state).toBe('SUCCEEDED');
    const docs = (await gql(lenient.url, KnowledgeDocumentsDocument, { businessId: biz }, ADMIN)).data!.knowledgeDocuments;
    expect(docs.map((d) => new URL(d.sourceUrl!).pathname)).toEqual(['/hours']);
    expect(internal.requests).toEqual([]);
    // The redirecting pages were asked for; their off-site targets never were.
    expect(site.requests).toEqual(expect.arrayContaining(['/robots.txt', '/sitemap.xml', '/pages.xml', '/hours', '/to-internal', '/to-metadata']));
  });

  it('a start page that redirects to a loopback address fetches nothing there and fails with a generic error', async () => {
    const biz = (await seedBusiness(lenient.app, { name: 'Redirect' })).id;
    const res = await gql(lenient.url, CrawlWebsiteDocument, { businessId: biz, url: `http://redirect.example:${site.port}/`, maxPages: 5 }, ADMIN);
    const job = await waitForJob(lenient.url, res.data!.crawlWebsite.id);
    expect(job.state).toBe('FAILED');
    expect(job.error).toMatch(/no page could be fetched from the website/);
    expect(internal.requests).toEqual([]);
  });
});

describe('job errors are no port scanner', () => {
  const crawlError = async (url: string) => {
    const biz = (await seedBusiness(lenient.app, { name: url })).id;
    const res = await gql(lenient.url, CrawlWebsiteDocument, { businessId: biz, url, maxPages: 1 }, ADMIN);
    expect(res.errors).toBeUndefined();
    const job = await waitForJob(lenient.url, res.data!.crawlWebsite.id);
    expect(job.state).toBe('FAILED');
    return job.error!;
  };

  it('an open port answering 500 and a closed port read the same, with no status or network error text', async () => {
    const open = await crawlError(`http://broken.example:${broken.port}/`);
    const closed = await crawlError(`http://closed.example:${closedPort}/`);
    expect(open).toBe(closed);
    for (const error of [open, closed]) {
      expect(error).not.toMatch(/HTTP|500|fetch failed|ECONN|refused|socket|getaddrinfo|127\.0\.0\.1|\d{4,5}/i);
    }
  });

  it('an address refused at connect time (DNS rebinding) fails the job at once, not retried', async () => {
    const biz = (await seedBusiness(strict.app, { name: 'Rebind' })).id;
    rebindCalls = 0;
    const res = await gql(strict.url, CrawlWebsiteDocument, { businessId: biz, url: 'http://rebind.example/', maxPages: 1 }, ADMIN);
    expect(res.errors).toBeUndefined(); // the first answer was public
    const job = await waitForJob(strict.url, res.data!.crawlWebsite.id);
    expect(job).toMatchObject({ state: 'FAILED', attempts: 1 });
    expect(job.error).toMatch(/may not be crawled/);
    expect(internal.requests).toEqual([]);
  });
});
