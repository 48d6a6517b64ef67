import { Client as Pg } from 'pg';
import { AddKnowledgeDocumentDocument, ChatDocument, SearchKnowledgeDocument, StartSessionDocument, type AddKnowledgeDocumentMutationVariables } from '../generated/graphql';
import { gql } from '../support/client';
import { FakeGemini } from '../support/fake-gemini';
import { ADMIN, ADMIN_HASH, seedBusiness, waitForJob } from '../support/knowledge';
import { startTestServer, testConfig, type TestServer } from '../support/server';
import { createTestDatabase, type TestDatabase } from '../support/stores';

// Semantic retrieval through the real server with the fake Gemini on the wire: the worker
// (inline job driver) embeds chunks with batchEmbedContents, each search embeds its question,
// and the vector ranking is fused with full text and WordNet concepts.
let db: TestDatabase;
let fake: FakeGemini;
let gemini: TestServer;
let offline: TestServer;
let pg: Pg;

const COMMON = { ADMIN_API_KEY_HASHES: ADMIN_HASH, JOB_DRIVER: 'inline', JOB_BACKOFF_MS: '10', RATE_LIMIT_CHAT: 'off' };
const QUESTION = 'Do you cater for coeliacs?';

beforeAll(async () => {
  fake = await FakeGemini.start();
  // The fake's embeddings put "coeliac" and "gluten" on one dimension: WordNet links neither.
  fake.meanings = [['coeliac', 'gluten', 'celiac']];
  db = await createTestDatabase();
  gemini = await startTestServer(
    testConfig(db, { ...COMMON, GEMINI_API_KEY: 'test', GEMINI_BASE_URL: fake.baseUrl, GEMINI_MODEL: 'fake-flash', GEMINI_EMBEDDING_MODEL: 'fake-embed', GEMINI_TIMEOUT_MS: '2000' }),
  );
  offline = await startTestServer(testConfig(db, COMMON));
  pg = new Pg({ connectionString: db.url });
  await pg.connect();
});

afterAll(async () => {
  await pg?.end();
  await gemini?.close();
  await offline?.close();
  await fake?.close();
  await db?.drop();
});

async function addDoc(server: TestServer, input: AddKnowledgeDocumentMutationVariables['input']) {
  const res = await gql(server.url, AddKnowledgeDocumentDocument, { input }, ADMIN);
  expect(res.errors).toBeUndefined();
  const doc = res.data!.addKnowledgeDocument;
  expect((await waitForJob(server.url, doc.indexJobId!)).state).toBe('SUCCEEDED');
  return doc;
}

async function titles(server: TestServer, businessId: string, query: string): Promise<string[]> {
  const res = await gql(server.url, SearchKnowledgeDocument, { businessId, query, limit: 5 }, ADMIN);
  expect(res.errors).toBeUndefined();
  return res.data!.searchKnowledge.map((h) => h.title);
}

describe('semantic retrieval (Gemini embeddings, fused by reciprocal rank)', () => {
  let shop: string;
  beforeAll(async () => {
    shop = (await seedBusiness(gemini.app, { name: 'Crumb Bakery', hours: 'Tuesday to Sunday 7am to 4pm.' })).id;
    fake.embedRequests.length = 0;
    await addDoc(gemini, { businessId: shop, title: 'Allergens', content: 'Every cake can be made gluten-free on request. Our kitchen handles nuts.' });
    await addDoc(gemini, { businessId: shop, title: 'Delivery', content: 'We deliver within five miles for five pounds.' });
  });

  it('embeds the chunks in the worker, batched, and stores the vectors beside them', async () => {
    const batches = fake.embedRequests.filter((r) => r.taskType === 'RETRIEVAL_DOCUMENT');
    expect(batches.length).toBe(2);
    expect(batches.every((b) => b.path.endsWith('fake-embed:batchEmbedContents'))).toBe(true);
    expect(batches.map((b) => b.texts.join(' ')).join(' ')).toContain('gluten-free');
    const rows = await pg.query<{ title: string; dims: number; model: string }>(
      'select title, array_length(embedding, 1) as dims, embedding_model as model from knowledge_chunks where business_id = $1 order by title',
      [shop],
    );
    expect(rows.rows).toEqual([
      { title: 'Allergens', dims: 64, model: 'fake-embed' },
      { title: 'Delivery', dims: 64, model: 'fake-embed' },
    ]);
  });

  it('finds a paraphrase by its vector that full text and WordNet miss', async () => {
    // The same data without Gemini: no passage (full text and concepts see no link).
    expect(await titles(offline, shop, QUESTION)).toEqual([]);
    fake.embedRequests.length = 0;
    expect(await titles(gemini, shop, QUESTION)).toEqual(['Allergens']);
    const query = fake.embedRequests.find((r) => r.taskType === 'RETRIEVAL_QUERY');
    expect(query?.texts).toEqual([QUESTION]);
  });

  it('keeps full-text hits first when the vectors agree, and the chat turn cites the fused passage', async () => {
    expect((await titles(gemini, shop, 'Do you deliver?'))[0]).toBe('Delivery');
    const session = await gql(gemini.url, StartSessionDocument, { businessId: shop });
    fake.reply = () => 'Yes: every cake can be made gluten-free.';
    const reply = await gql(gemini.url, ChatDocument, { input: { sessionId: session.data!.startSession.id, text: QUESTION } });
    expect(reply.errors).toBeUndefined();
    expect(reply.data!.chat.sources.map((s) => s.title)).toEqual(['Allergens']);
    const context = JSON.stringify(fake.of('stream').at(-1)?.body.contents);
    expect(context).toContain('gluten-free on request');
  });

  it('ranks without vectors when the embedding call fails (logged), never failing the search', async () => {
    fake.next('embed', '500', '500', '500', '500');
    expect(await titles(gemini, shop, 'Do you deliver?')).toEqual(['Delivery']);
    expect(await titles(gemini, shop, QUESTION)).toEqual([]);
  });
});
