import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from 'pg';
import { CrawlWebsiteDocument, SearchKnowledgeDocument, UpdateBusinessRecrawlDocument } from '../generated/graphql';
import { gql } from '../support/client';
import { ADMIN, ADMIN_HASH, seedBusiness, waitForJob } from '../support/knowledge';
import { startTestServer, testConfig, type TestServer } from '../support/server';
import { createTestDatabase, type TestDatabase } from '../support/stores';

/**
 * A loopback site that answers conditional requests: /etag pages by ETag (If-None-Match),
 * /dated pages by Last-Modified (If-Modified-Since), /plain sends no validators. Counts every
 * request and every 304 by path.
 */
class ConditionalSite {
  readonly hits = new Map<string, number>();
  readonly notModified = new Map<string, number>();
  readonly bodies = new Map<string, string>();
  origin = '';
  private server!: Server;

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      this.hits.set(path, (this.hits.get(path) ?? 0) + 1);
      if (path === '/robots.txt') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('User-agent: *\nAllow: /\n');
      const body = this.bodies.get(path);
      if (body === undefined) return void res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      const etag = `"${createHash('sha1').update(body).digest('hex').slice(0, 12)}"`;
      const modified = new Date(Date.UTC(2026, 0, 1 + body.length % 20)).toUTCString();
      const headers: Record<string, string> = { 'content-type': 'text/html; charset=utf-8' };
      if (path.startsWith('/etag')) headers.etag = etag;
      if (path.startsWith('/dated')) headers['last-modified'] = modified;
      const fresh = (path.startsWith('/etag') && req.headers['if-none-match'] === etag) || (path.startsWith('/dated') && req.headers['if-modified-since'] === modified);
      if (fresh) {
        this.notModified.set(path, (this.notModified.get(path) ?? 0) + 1);
        return void res.writeHead(304, headers).end();
      }
      res.writeHead(200, headers).end(body);
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const html = (title: string, text: string, links: string[] = []) =>
  `<!doctype html><html><head><title>${title}</title></head><body><nav>${links.map((l) => `<a href="${l}">${l}</a>`).join(' ')}</nav><main><h1>${title}</h1><p>${text}</p><p>${'Friendly staff answer every question with care. '.repeat(3)}</p></main></body></html>`;

let db: TestDatabase;
let server: TestServer;
let pg: Client;
let site: ConditionalSite;

beforeAll(async () => {
  site = await new ConditionalSite().start();
  site.bodies.set('/', html('Home', 'Welcome to the harbour bakery.', ['/etag-menu', '/dated-hours', '/plain-contact']));
  site.bodies.set('/etag-menu', html('Menu', 'Sourdough loaves and cinnamon buns.'));
  site.bodies.set('/dated-hours', html('Hours', 'Open from seven until four.'));
  site.bodies.set('/plain-contact', html('Contact', 'Ring the bell at the side door.'));
  db = await createTestDatabase();
  server = await startTestServer(
    testConfig(db, { ADMIN_API_KEY_HASHES: ADMIN_HASH, JOB_DRIVER: 'inline', JOB_BACKOFF_MS: '10', CRAWL_REQUEST_TIMEOUT_MS: '3000', OUTBOUND_ALLOW_HOSTS: '127.0.0.1:*' }),
  );
  pg = new Client({ connectionString: db.url });
  await pg.connect();
});

afterAll(async () => {
  await pg?.end();
  await server?.close();
  await site?.close();
  await db?.drop();
});

async function crawl(businessId: string): Promise<void> {
  const res = await gql(server.url, CrawlWebsiteDocument, { businessId, url: `${site.origin}/`, maxPages: 10 }, ADMIN);
  expect(res.errors).toBeUndefined();
  expect((await waitForJob(server.url, res.data!.crawlWebsite.id)).state).toBe('SUCCEEDED');
}

/** document title → [indexed_at, first chunk id]: both change only when the page is re-indexed. */
async function indexState(businessId: string): Promise<Map<string, string>> {
  const { rows } = await pg.query<{ title: string; state: string }>(
    `select d.title, d.indexed_at::text || ' ' || coalesce((select min(c.id)::text from knowledge_chunks c where c.document_id = d.id), '-') as state
     from knowledge_documents d where d.business_id = $1`,
    [businessId],
  );
  return new Map(rows.map((r) => [r.title, r.state]));
}

describe('re-crawl with conditional requests and content hashes', () => {
  it('asks with If-None-Match / If-Modified-Since, re-indexes only the page that changed, and follows the links of 304 pages', async () => {
    const biz = (await seedBusiness(server.app, { name: 'Harbour Bakery' })).id;
    await crawl(biz);
    const first = await indexState(biz);
    expect([...first.keys()].sort()).toEqual(['Contact', 'Home', 'Hours', 'Menu']);
    expect(site.notModified.size).toBe(0);
    const stored = await pg.query('select title, http_etag, http_last_modified from knowledge_documents where business_id = $1 order by title', [biz]);
    expect(stored.rows.find((r) => r.title === 'Menu').http_etag).toMatch(/^"[0-9a-f]{12}"$/);
    expect(stored.rows.find((r) => r.title === 'Hours').http_last_modified).toMatch(/GMT$/);

    // Only the validator-less contact page changes.
    site.bodies.set('/plain-contact', html('Contact', 'Ring the bell at the front door, or phone the shop.'));
    const hitsBefore = new Map(site.hits);
    await crawl(biz);
    expect(site.notModified.get('/etag-menu')).toBe(1);
    expect(site.notModified.get('/dated-hours')).toBe(1);
    // Every page was asked for once more (the 304 pages' links are the stored ones).
    for (const path of ['/', '/etag-menu', '/dated-hours', '/plain-contact']) expect(site.hits.get(path)).toBe((hitsBefore.get(path) ?? 0) + 1);
    const second = await indexState(biz);
    expect(second.get('Menu')).toBe(first.get('Menu'));
    expect(second.get('Hours')).toBe(first.get('Hours'));
    // Home has no validators but the same text: its hash matches, it is not re-indexed.
    expect(second.get('Home')).toBe(first.get('Home'));
    expect(second.get('Contact')).not.toBe(first.get('Contact'));
    const hits = await gql(server.url, SearchKnowledgeDocument, { businessId: biz, query: 'front door bell', limit: 3 }, ADMIN);
    expect(hits.data!.searchKnowledge[0].snippet).toMatch(/front door/);

    // A page whose ETag changes is fetched in full and re-indexed.
    site.bodies.set('/etag-menu', html('Menu', 'Sourdough loaves, cinnamon buns and rye.'));
    await crawl(biz);
    expect(site.notModified.get('/etag-menu')).toBe(1);
    expect((await indexState(biz)).get('Menu')).not.toBe(first.get('Menu'));
  });

  it('the worker starts a re-crawl when the business interval has passed, and not before', async () => {
    const biz = (await seedBusiness(server.app, { name: 'Quay Bakery' })).id;
    const bad = await gql(server.url, UpdateBusinessRecrawlDocument, { id: biz, hours: 0 }, ADMIN);
    expect(bad.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const set = await gql(server.url, UpdateBusinessRecrawlDocument, { id: biz, hours: 24, websiteUrl: `${site.origin}/` }, ADMIN);
    expect(set.data!.updateBusiness.recrawlIntervalHours).toBe(24);
    // Never crawled: due at once.
    const started = (await server.app.knowledge.service.startDueRecrawls()).filter((j) => j.businessId === biz);
    expect(started).toHaveLength(1);
    expect(started[0].payload).toMatchObject({ url: `${site.origin}/`, recrawl: true });
    expect((await waitForJob(server.url, started[0].id)).state).toBe('SUCCEEDED');
    // Crawled just now: not due.
    expect((await server.app.knowledge.service.startDueRecrawls()).filter((j) => j.businessId === biz)).toHaveLength(0);
    // A day later (the crawl's start moved back) it is due again, and unchanged pages answer 304.
    await pg.query("update index_jobs set created_at = created_at - interval '25 hours' where business_id = $1", [biz]);
    const before = site.notModified.get('/dated-hours') ?? 0;
    const again = (await server.app.knowledge.service.startDueRecrawls()).filter((j) => j.businessId === biz);
    expect(again).toHaveLength(1);
    expect((await waitForJob(server.url, again[0].id)).state).toBe('SUCCEEDED');
    expect(site.notModified.get('/dated-hours')).toBe(before + 1);
    // Interval cleared: never due.
    await gql(server.url, UpdateBusinessRecrawlDocument, { id: biz, hours: null }, ADMIN);
    await pg.query("update index_jobs set created_at = created_at - interval '100 hours' where business_id = $1", [biz]);
    expect((await server.app.knowledge.service.startDueRecrawls()).filter((j) => j.businessId === biz)).toHaveLength(0);
  });
});
