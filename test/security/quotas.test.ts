import { AddKnowledgeDocumentDocument, CrawlWebsiteDocument, DeleteKnowledgeDocumentDocument, KnowledgeDocumentsDocument } from '../generated/graphql';
import { errorCodes, gql } from '../support/client';
import { ADMIN, ADMIN_HASH, seedBusiness, waitForJob } from '../support/knowledge';
import { LoopbackServer } from '../support/outbound';
import { startTestServer, testConfig, type TestServer } from '../support/server';
import { createTestDatabase, type TestDatabase } from '../support/stores';

/**
 * Issue 10, item 7: a business's knowledge has a document count and a total size quota
 * (KNOWLEDGE_MAX_DOCUMENTS, KNOWLEDGE_MAX_BYTES); past it a document is refused with
 * BAD_USER_INPUT (extensions.reason KNOWLEDGE_QUOTA), and a crawl stops storing pages.
 */

let db: TestDatabase;
let server: TestServer;
let site: LoopbackServer;

const page = (title: string, body: string, links: string[] = []) =>
  `<html><head><title>${title}</title></head><body><main><h1>${title}</h1><p>${body}</p>${links.map((l) => `<a href="${l}">${l}</a>`).join('')}</main></body></html>`;

beforeAll(async () => {
  db = await createTestDatabase();
  site = await new LoopbackServer((req, res) => {
    const n = /^\/p(\d+)$/.exec(req.url ?? '')?.[1];
    if (req.url === '/') return void res.writeHead(200, { 'content-type': 'text/html' }).end(page('Home', 'The home page.', ['/p1', '/p2', '/p3', '/p4', '/p5']));
    if (n) return void res.writeHead(200, { 'content-type': 'text/html' }).end(page(`Page ${n}`, `Text of page ${n}.`));
    res.writeHead(404).end();
  }).start();
  server = await startTestServer(
    testConfig(db, {
      ADMIN_API_KEY_HASHES: ADMIN_HASH,
      JOB_DRIVER: 'inline',
      JOB_BACKOFF_MS: '10',
      KNOWLEDGE_MAX_DOCUMENTS: '3',
      KNOWLEDGE_MAX_BYTES: '2048',
      OUTBOUND_ALLOW_HOSTS: '127.0.0.1:*',
      CRAWL_CONCURRENCY: '1',
    }),
  );
});

afterAll(async () => {
  await server?.close();
  await site?.close();
  await db?.drop();
});

const add = (businessId: string, title: string, content: string, sourceUrl?: string) =>
  gql(server.url, AddKnowledgeDocumentDocument, { input: { businessId, title, content, sourceUrl } }, ADMIN);

it('refuses the document past KNOWLEDGE_MAX_DOCUMENTS, accepts a replacement and a document after a delete', async () => {
  const biz = (await seedBusiness(server.app)).id;
  const ids: string[] = [];
  for (const i of [1, 2, 3]) {
    const res = await add(biz, `Doc ${i}`, `Text ${i}.`, `https://harbor.example/doc${i}`);
    expect(errorCodes(res)).toEqual([]);
    ids.push(res.data!.addKnowledgeDocument.id);
  }
  const fourth = await add(biz, 'Doc 4', 'Text 4.');
  expect(errorCodes(fourth)).toEqual(['BAD_USER_INPUT']);
  expect(fourth.errors?.[0].extensions).toMatchObject({ reason: 'KNOWLEDGE_QUOTA', quota: 'documents', limit: 3 });
  expect(fourth.errors?.[0].message).toMatch(/limit is 3/);

  // The same sourceUrl replaces its document: the count does not grow.
  expect(errorCodes(await add(biz, 'Doc 1 again', 'New text 1.', 'https://harbor.example/doc1'))).toEqual([]);
  expect(errorCodes(await gql(server.url, DeleteKnowledgeDocumentDocument, { id: ids[1] }, ADMIN))).toEqual([]);
  expect(errorCodes(await add(biz, 'Doc 4', 'Text 4.'))).toEqual([]);
  const docs = (await gql(server.url, KnowledgeDocumentsDocument, { businessId: biz }, ADMIN)).data!.knowledgeDocuments;
  expect(docs.map((d) => d.title).sort()).toEqual(['Doc 1 again', 'Doc 3', 'Doc 4']);
});

it('refuses the document that would take the business past KNOWLEDGE_MAX_BYTES; other businesses have their own quota', async () => {
  const biz = (await seedBusiness(server.app)).id;
  expect(errorCodes(await add(biz, 'Big', 'x'.repeat(1500)))).toEqual([]);
  const over = await add(biz, 'Bigger', 'y'.repeat(600));
  expect(errorCodes(over)).toEqual(['BAD_USER_INPUT']);
  expect(over.errors?.[0].extensions).toMatchObject({ reason: 'KNOWLEDGE_QUOTA', quota: 'bytes', limit: 2048 });
  expect(errorCodes(await add(biz, 'Small', 'z'.repeat(400)))).toEqual([]);

  const other = (await seedBusiness(server.app, { name: 'Other' })).id;
  expect(errorCodes(await add(other, 'Big', 'x'.repeat(1500)))).toEqual([]);
});

it('stops storing crawled pages at the quota and says so in the job', async () => {
  const biz = (await seedBusiness(server.app, { name: 'Crawled' })).id;
  const res = await gql(server.url, CrawlWebsiteDocument, { businessId: biz, url: `${site.origin}/`, maxPages: 6 }, ADMIN);
  expect(errorCodes(res)).toEqual([]);
  const job = await waitForJob(server.url, res.data!.crawlWebsite.id);
  expect(job.state).toBe('FAILED');
  expect(job.error).toMatch(/quota/);
  const docs = (await gql(server.url, KnowledgeDocumentsDocument, { businessId: biz }, ADMIN)).data!.knowledgeDocuments;
  expect(docs).toHaveLength(3);
});
