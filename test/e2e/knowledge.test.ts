import { Client } from 'pg';
import {
  AddKnowledgeDocumentDocument,
  DeleteKnowledgeDocumentDocument,
  IndexJobUpdatesDocument,
  KnowledgeDocumentsDocument,
  RebuildIndexDocument,
  SearchKnowledgeDocument,
  type AddKnowledgeDocumentMutationVariables,
} from '../generated/graphql';
import { collect, errorCodes, gql, wsClient } from '../support/client';
import { ADMIN, ADMIN_HASH, ADMIN_SECRET, seedBusiness, waitForJob } from '../support/knowledge';
import { startTestServer, testConfig, type TestServer } from '../support/server';
import { createTestDatabase, type TestDatabase } from '../support/stores';

let db: TestDatabase;
let server: TestServer;
let pg: Client;

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startTestServer(
    testConfig(db, { ADMIN_API_KEY_HASHES: ADMIN_HASH, JOB_DRIVER: 'inline', JOB_BACKOFF_MS: '10', KNOWLEDGE_MAX_DOCUMENT_BYTES: '65536' }),
  );
  pg = new Client({ connectionString: db.url });
  await pg.connect();
});

afterAll(async () => {
  await pg?.end();
  await server?.close();
  await db?.drop();
});

const count = async (table: string, businessId: string) =>
  Number((await pg.query(`select count(*)::int as n from ${table} where business_id = $1`, [businessId])).rows[0].n);

async function addDoc(input: AddKnowledgeDocumentMutationVariables['input']) {
  const res = await gql(server.url, AddKnowledgeDocumentDocument, { input }, ADMIN);
  expect(res.errors).toBeUndefined();
  const doc = res.data!.addKnowledgeDocument;
  const job = await waitForJob(server.url, doc.indexJobId!);
  expect(job.state).toBe('SUCCEEDED');
  return doc;
}

const HOURS = 'Opening hours: we are open Monday to Friday from 9 am to 6 pm, and Saturday mornings from 10 am to 1 pm. Closed on Sundays.';

describe('documents', () => {
  it('refuses every knowledge operation without a valid admin key', async () => {
    const business = await seedBusiness(server.app);
    const none = await gql(server.url, KnowledgeDocumentsDocument, { businessId: business.id });
    expect(errorCodes(none)).toEqual(['UNAUTHENTICATED']);
    const bad = await gql(server.url, KnowledgeDocumentsDocument, { businessId: business.id }, { headers: { 'x-api-key': 'wrong' } });
    expect(errorCodes(bad)).toEqual(['UNAUTHENTICATED']);
  });

  it('adds a document, indexes it in the background and lists it with its chunk count', async () => {
    const business = await seedBusiness(server.app);
    const res = await gql(
      server.url,
      AddKnowledgeDocumentDocument,
      { input: { businessId: business.id, title: 'Hours', content: HOURS, category: 'info', sourceUrl: 'https://acme.test/hours' } },
      ADMIN,
    );
    const doc = res.data!.addKnowledgeDocument;
    expect(doc).toMatchObject({ businessId: business.id, title: 'Hours', format: 'TEXT', category: 'info', sourceUrl: 'https://acme.test/hours' });
    const job = await waitForJob(server.url, doc.indexJobId!);
    expect(job).toMatchObject({ state: 'SUCCEEDED', progress: 1, kind: 'DOCUMENT', error: null });
    const list = await gql(server.url, KnowledgeDocumentsDocument, { businessId: business.id }, ADMIN);
    expect(list.data!.knowledgeDocuments).toHaveLength(1);
    expect(list.data!.knowledgeDocuments[0]).toMatchObject({ id: doc.id, chunkCount: 1 });
    expect(list.data!.knowledgeDocuments[0].indexedAt).not.toBeNull();
  });

  it('replaces the document with the same sourceUrl instead of duplicating it', async () => {
    const business = await seedBusiness(server.app);
    const first = await addDoc({ businessId: business.id, title: 'Prices v1', content: 'Whitening costs 100 dollars.', sourceUrl: 'https://acme.test/prices' });
    const second = await addDoc({ businessId: business.id, title: 'Prices v2', content: 'Whitening costs 150 dollars.', sourceUrl: 'https://acme.test/prices' });
    expect(second.id).toBe(first.id);
    const list = await gql(server.url, KnowledgeDocumentsDocument, { businessId: business.id }, ADMIN);
    expect(list.data!.knowledgeDocuments.map((d) => d.title)).toEqual(['Prices v2']);
    const hits = await gql(server.url, SearchKnowledgeDocument, { businessId: business.id, query: 'whitening cost' }, ADMIN);
    expect(hits.errors).toBeUndefined();
    expect(hits.data!.searchKnowledge.map((h) => h.text).join(' ')).toContain('150 dollars');
    expect(hits.data!.searchKnowledge.map((h) => h.text).join(' ')).not.toContain('100 dollars');
  });

  it('stores HTML as clean text: scripts and styles never reach the index', async () => {
    const business = await seedBusiness(server.app);
    const html = '<html><head><style>body{color:red}</style></head><body><h1>Parking</h1><p>Free parking behind the building.</p><script>var trackingPixel=1;</script></body></html>';
    await addDoc({ businessId: business.id, title: 'Parking', content: html, format: 'HTML' });
    const { rows } = await pg.query('select text from knowledge_chunks where business_id = $1', [business.id]);
    expect(rows.map((r) => r.text).join('\n')).toContain('Free parking behind the building.');
    expect(rows.map((r) => r.text).join('\n')).not.toMatch(/trackingPixel|color:red/);
  });

  it('refuses empty and oversized content with a clear code and stores nothing', async () => {
    const business = await seedBusiness(server.app);
    const empty = await gql(server.url, AddKnowledgeDocumentDocument, { input: { businessId: business.id, title: 'Empty', content: '   \n ' } }, ADMIN);
    expect(errorCodes(empty)).toEqual(['BAD_USER_INPUT']);
    const onlyScript = await gql(server.url, AddKnowledgeDocumentDocument, { input: { businessId: business.id, title: 'S', content: '<script>x()</script>', format: 'HTML' } }, ADMIN);
    expect(errorCodes(onlyScript)).toEqual(['BAD_USER_INPUT']);
    const big = await gql(server.url, AddKnowledgeDocumentDocument, { input: { businessId: business.id, title: 'Big', content: 'word '.repeat(14_000) } }, ADMIN);
    expect(errorCodes(big)).toEqual(['PAYLOAD_TOO_LARGE']);
    expect(big.errors![0].message).toMatch(/limit is 65536 bytes/);
    const badUrl = await gql(server.url, AddKnowledgeDocumentDocument, { input: { businessId: business.id, title: 'U', content: 'x', sourceUrl: 'javascript:alert(1)' } }, ADMIN);
    expect(errorCodes(badUrl)).toEqual(['BAD_USER_INPUT']);
    const longTitle = await gql(server.url, AddKnowledgeDocumentDocument, { input: { businessId: business.id, title: 't'.repeat(301), content: 'x' } }, ADMIN);
    expect(errorCodes(longTitle)).toEqual(['BAD_USER_INPUT']);
    expect(await count('knowledge_documents', business.id)).toBe(0);
    expect(await count('index_jobs', business.id)).toBe(0);
  });

  it('answers NOT_FOUND for an unknown business', async () => {
    const res = await gql(server.url, AddKnowledgeDocumentDocument, { input: { businessId: '00000000-0000-4000-8000-000000000000', title: 'x', content: 'x' } }, ADMIN);
    expect(errorCodes(res)).toEqual(['NOT_FOUND']);
  });

  it('deletes a document and its passages, so retrieval stops returning it', async () => {
    const business = await seedBusiness(server.app);
    const doc = await addDoc({ businessId: business.id, title: 'Hours', content: HOURS });
    expect((await gql(server.url, SearchKnowledgeDocument, { businessId: business.id, query: 'opening hours' }, ADMIN)).data!.searchKnowledge).toHaveLength(1);
    const del = await gql(server.url, DeleteKnowledgeDocumentDocument, { id: doc.id }, ADMIN);
    expect(del.data!.deleteKnowledgeDocument).toBe(true);
    expect(await count('knowledge_chunks', business.id)).toBe(0);
    expect((await gql(server.url, SearchKnowledgeDocument, { businessId: business.id, query: 'opening hours' }, ADMIN)).data!.searchKnowledge).toEqual([]);
    expect(errorCodes(await gql(server.url, DeleteKnowledgeDocumentDocument, { id: doc.id }, ADMIN))).toEqual(['NOT_FOUND']);
  });

  it('removes documents, passages and jobs when the business is deleted (ON DELETE CASCADE)', async () => {
    const business = await seedBusiness(server.app);
    await addDoc({ businessId: business.id, title: 'Hours', content: HOURS });
    await pg.query('delete from businesses where id = $1', [business.id]);
    for (const table of ['knowledge_documents', 'knowledge_chunks', 'index_jobs', 'knowledge_generations']) expect(await count(table, business.id)).toBe(0);
  });
});

describe('index job updates over the subscription', () => {
  it('streams the job from its current state through RUNNING with progress to SUCCEEDED, then completes', async () => {
    const business = await seedBusiness(server.app);
    const long = Array.from({ length: 12 }, (_, i) => `## Section ${i}\n\n${'Our team offers friendly service and detailed advice. '.repeat(25)}`).join('\n\n');
    for (let i = 0; i < 3; i++) await addDoc({ businessId: business.id, title: `Guide ${i}`, content: long, format: 'MARKDOWN' });
    const job = (await gql(server.url, RebuildIndexDocument, { businessId: business.id }, ADMIN)).data!.rebuildIndex;
    const client = wsClient(server.wsUrl, { 'x-api-key': ADMIN_SECRET });
    try {
      const { results, error } = await collect(client, IndexJobUpdatesDocument, { jobId: job.id });
      expect(error).toBeUndefined();
      const states = results.map((r) => r.data!.indexJobUpdates);
      expect(states[states.length - 1]).toMatchObject({ state: 'SUCCEEDED', progress: 1 });
      expect(states.some((s) => s.state === 'RUNNING' && s.progress > 0 && s.progress < 1)).toBe(true);
      const progresses = states.map((s) => s.progress);
      expect([...progresses].sort((a, b) => a - b)).toEqual(progresses);
      // After completion the subscription emits the stored final state and ends.
      const again = await collect(client, IndexJobUpdatesDocument, { jobId: job.id });
      expect(again.results.map((r) => r.data!.indexJobUpdates.state)).toEqual(['SUCCEEDED']);
    } finally {
      await client.dispose();
    }
  });

  it('refuses the subscription without a key and answers NOT_FOUND for an unknown job', async () => {
    const anonymous = wsClient(server.wsUrl);
    const admin = wsClient(server.wsUrl, { 'x-api-key': ADMIN_SECRET });
    try {
      const denied = await collect(anonymous, IndexJobUpdatesDocument, { jobId: '00000000-0000-4000-8000-000000000000' });
      expect(JSON.stringify(denied)).toContain('UNAUTHENTICATED');
      const missing = await collect(admin, IndexJobUpdatesDocument, { jobId: '00000000-0000-4000-8000-000000000000' });
      expect(JSON.stringify(missing)).toContain('NOT_FOUND');
    } finally {
      await anonymous.dispose();
      await admin.dispose();
    }
  });
});
