import type { Client } from 'graphql-ws';
import { Client as Pg } from 'pg';
import {
  AddKnowledgeDocumentDocument,
  ChatDocument,
  CreateApiKeyDocument,
  CreateBusinessDocument,
  CrawlWebsiteDocument,
  DeleteBusinessDocument,
  DeleteKnowledgeDocumentDocument,
  IndexJobDocument,
  IndexJobUpdatesDocument,
  KnowledgeDocumentsDocument,
  RebuildIndexDocument,
  SearchKnowledgeDocument,
  SendMessageDocument,
  SessionDocument,
  StartSessionDocument,
  type AddKnowledgeDocumentMutationVariables,
  type CreateBusinessMutationVariables,
} from '../generated/graphql';
import { streamReply } from '../support/chat';
import { collect, errorCodes, gql, wsClient } from '../support/client';
import { FakeGemini } from '../support/fake-gemini';
import { ADMIN, ADMIN_HASH, ADMIN_SECRET, waitForJob } from '../support/knowledge';
import { startTestServer, testConfig, type TestServer } from '../support/server';
import { createTestDatabase, type TestDatabase } from '../support/stores';

// Knowledge and chat together through the real server: admin ops add documents with keys,
// the inline job driver indexes them, and a visitor's chat turn retrieves and cites them.
let db: TestDatabase;
let fake: FakeGemini;
let offline: TestServer;
let gemini: TestServer;
let pg: Pg;
const sockets: Client[] = [];

const COMMON = { ADMIN_API_KEY_HASHES: ADMIN_HASH, JOB_DRIVER: 'inline', JOB_BACKOFF_MS: '10', RATE_LIMIT_CHAT: 'off' };

beforeAll(async () => {
  fake = await FakeGemini.start();
  db = await createTestDatabase();
  offline = await startTestServer(testConfig(db, COMMON));
  gemini = await startTestServer(
    testConfig(db, { ...COMMON, GEMINI_API_KEY: 'test', GEMINI_BASE_URL: fake.baseUrl, GEMINI_MODEL: 'fake-flash', GEMINI_TIMEOUT_MS: '2000' }),
  );
  pg = new Pg({ connectionString: db.url });
  await pg.connect();
});

beforeEach(() => fake.reset());

afterAll(async () => {
  for (const socket of sockets) await socket.dispose();
  await pg?.end();
  await gemini?.close();
  await offline?.close();
  await fake?.close();
  await db?.drop();
});

function ws(server: TestServer, params: Record<string, unknown> = {}): Client {
  const client = wsClient(server.wsUrl, params);
  sockets.push(client);
  return client;
}

async function createBusiness(server: TestServer, input: CreateBusinessMutationVariables['input']): Promise<string> {
  const res = await gql(server.url, CreateBusinessDocument, { input }, ADMIN);
  expect(res.errors).toBeUndefined();
  return res.data!.createBusiness.id;
}

async function addDoc(server: TestServer, input: AddKnowledgeDocumentMutationVariables['input'], auth: { headers: Record<string, string> } = ADMIN) {
  const res = await gql(server.url, AddKnowledgeDocumentDocument, { input }, auth);
  expect(res.errors).toBeUndefined();
  const doc = res.data!.addKnowledgeDocument;
  expect((await waitForJob(server.url, doc.indexJobId!)).state).toBe('SUCCEEDED');
  return doc;
}

async function startSession(server: TestServer, businessId: string): Promise<string> {
  const res = await gql(server.url, StartSessionDocument, { businessId });
  expect(res.errors).toBeUndefined();
  return res.data!.startSession.id;
}

function allText(parts: Array<{ parts: Array<{ text?: string }> }>): string {
  return parts.flatMap((c) => c.parts.map((p) => p.text ?? '')).join('\n');
}

const AFTERCARE = 'After an implant, rinse gently with warm salt water three times a day for one week.';
const RIVAL = 'Implant aftercare at Rival Clinic: rinse with warm salt water after an implant, every day for one week, and call Rival Clinic.';

describe('a visitor answer grounded in and citing the business documents', () => {
  it('offline: the streamed reply uses the indexed passage and the assistant message cites it', async () => {
    const businessId = await createBusiness(offline, { name: 'Harbor Dental' });
    const added = await gql(offline.url, AddKnowledgeDocumentDocument, { input: { businessId, title: 'Implant aftercare', content: AFTERCARE } }, ADMIN);
    const doc = added.data!.addKnowledgeDocument;
    // The job is watched over the subscription until it ends in SUCCEEDED.
    const { results, error } = await collect(ws(offline, { 'x-api-key': ADMIN_SECRET }), IndexJobUpdatesDocument, { jobId: doc.indexJobId! });
    expect(error).toBeUndefined();
    expect(results[results.length - 1].data!.indexJobUpdates).toMatchObject({ state: 'SUCCEEDED', progress: 1, businessId });

    const sessionId = await startSession(offline, businessId);
    const sent = await gql(offline.url, SendMessageDocument, { input: { sessionId, text: 'How should I rinse after an implant?' } });
    expect(sent.errors).toBeUndefined();
    const { chunks, errors } = await streamReply(ws(offline), sent.data!.sendMessage.replyId);
    expect(errors).toEqual([]);
    const streamed = chunks.filter((c) => !c.done).map((c) => c.delta).join('');
    expect(streamed).toBe(AFTERCARE);
    const final = chunks[chunks.length - 1];
    expect(final.message).toMatchObject({ role: 'ASSISTANT', text: AFTERCARE });
    expect(final.message!.sources).toEqual([{ documentId: doc.id, title: 'Implant aftercare', snippet: expect.stringMatching(/salt water/) }]);
    // The stored transcript keeps the sources too.
    const session = (await gql(offline.url, SessionDocument, { id: sessionId })).data!.session!;
    expect(session.messages[session.messages.length - 1].sources.map((s) => s.documentId)).toEqual([doc.id]);
  });

  it("answers docs/knowledge.md's worked example as documented", async () => {
    const businessId = await createBusiness(offline, { name: 'Readme Dental' });
    const doc = await addDoc(offline, {
      businessId,
      title: 'Opening hours',
      format: 'MARKDOWN',
      category: 'info',
      content: '# Opening hours\n\nWe are open Monday to Friday, 9 am to 6 pm.',
    });
    const sessionId = await startSession(offline, businessId);
    const res = await gql(offline.url, ChatDocument, { input: { sessionId, text: 'When are you open?' } });
    expect(res.data!.chat.text).toBe('We are open Monday to Friday, 9 am to 6 pm.');
    expect(res.data!.chat.sources).toEqual([{ documentId: doc.id, title: 'Opening hours', snippet: expect.stringContaining('open') }]);
    // The heading's words ("opening hours") lead to the sentence under it, which is answered alone.
    const byHeading = await gql(offline.url, ChatDocument, { input: { sessionId, text: 'What are your opening hours?' } });
    expect(byHeading.data!.chat.text).toBe('We are open Monday to Friday, 9 am to 6 pm.');
  });

  it('gemini: the passage goes in contents, not systemInstruction, and the answer cites it', async () => {
    const businessId = await createBusiness(gemini, { name: 'Harbor Dental' });
    const doc = await addDoc(gemini, { businessId, title: 'Implant aftercare', content: AFTERCARE });
    fake.reply = () => 'Rinse with warm salt water three times a day.';
    const sessionId = await startSession(gemini, businessId);
    const res = await gql(gemini.url, ChatDocument, { input: { sessionId, text: 'How should I rinse after an implant?' } });
    expect(res.errors).toBeUndefined();
    expect(res.data!.chat.text).toBe('Rinse with warm salt water three times a day.');
    expect(res.data!.chat.sources).toEqual([{ documentId: doc.id, title: 'Implant aftercare', snippet: expect.stringMatching(/salt water/) }]);
    const [request] = fake.of('stream');
    expect(allText(request.body.contents)).toContain(AFTERCARE);
    expect(allText([request.body.systemInstruction!])).not.toContain('salt water');
  });
});

describe('tenant isolation through chat', () => {
  it("business A's session never retrieves or cites business B's better-matching document", async () => {
    for (const server of [gemini, offline]) {
      const a = await createBusiness(server, { name: 'Alpha Dental' });
      const b = await createBusiness(server, { name: 'Rival Clinic' });
      const docB = await addDoc(server, { businessId: b, title: 'Implant aftercare salt water rinse', content: RIVAL });
      await addDoc(server, { businessId: a, title: 'Parking', content: 'Free parking is available behind the building on weekdays.' });
      fake.reset();
      const sessionId = await startSession(server, a);
      const res = await gql(server.url, ChatDocument, { input: { sessionId, text: 'Implant aftercare: how do I rinse with salt water?' } });
      expect(res.errors).toBeUndefined();
      if (server === gemini) {
        // Nothing of B's reached the model: not its document text, not its name.
        const requests = fake.of('stream');
        expect(requests).toHaveLength(1);
        expect(JSON.stringify(requests[0].body)).not.toContain('Rival Clinic');
      }
      expect(res.data!.chat.sources.map((s) => s.documentId)).not.toContain(docB.id);
      expect(res.data!.chat.text).not.toContain('Rival');
      // searchKnowledge agrees: for B it finds B's document, for A it does not.
      const forB = await gql(server.url, SearchKnowledgeDocument, { businessId: b, query: 'implant aftercare salt water rinse' }, ADMIN);
      expect(forB.data!.searchKnowledge.map((h) => h.documentId)).toContain(docB.id);
      const forA = await gql(server.url, SearchKnowledgeDocument, { businessId: a, query: 'implant aftercare salt water rinse' }, ADMIN);
      expect(forA.data!.searchKnowledge.map((h) => h.documentId)).not.toContain(docB.id);

      // The same question in B's session does cite B's document (the match is real).
      const inB = await gql(server.url, ChatDocument, { input: { sessionId: await startSession(server, b), text: 'Implant aftercare: how do I rinse with salt water?' } });
      expect(inB.data!.chat.sources.map((s) => s.documentId)).toContain(docB.id);
    }
  });
});

describe('enabledCategories in chat', () => {
  it('does not cite a matching document whose category is not enabled', async () => {
    const businessId = await createBusiness(offline, { name: 'Category Dental', enabledCategories: ['services'] });
    const blog = await addDoc(offline, { businessId, title: 'Whitening myths', category: 'blog', content: 'Teeth whitening with charcoal toothpaste damages enamel over time.' });
    const service = await addDoc(offline, { businessId, title: 'Whitening service', category: 'services', content: 'Our in-chair teeth whitening takes one hour.' });
    const sessionId = await startSession(offline, businessId);
    const res = await gql(offline.url, ChatDocument, { input: { sessionId, text: 'Does charcoal toothpaste teeth whitening damage enamel?' } });
    expect(res.errors).toBeUndefined();
    const cited = res.data!.chat.sources.map((s) => s.documentId);
    expect(cited).not.toContain(blog.id);
    expect(res.data!.chat.text).not.toContain('charcoal');
    // The services document is still retrievable for the same business.
    const other = await gql(offline.url, ChatDocument, { input: { sessionId, text: 'How long does in-chair teeth whitening take?' } });
    expect(other.data!.chat.sources.map((s) => s.documentId)).toEqual([service.id]);
  });
});

describe('business-scoped keys on knowledge operations', () => {
  let own: string;
  let other: string;
  let otherDoc: { id: string; indexJobId?: string | null };
  let key: { headers: Record<string, string> };
  let secret: string;

  beforeAll(async () => {
    own = await createBusiness(offline, { name: 'Own Business' });
    other = await createBusiness(offline, { name: 'Other Business' });
    otherDoc = await addDoc(offline, { businessId: other, title: 'Other secret', content: 'The other business keeps its price list here.' });
    const created = await gql(offline.url, CreateApiKeyDocument, { input: { name: 'own key', businessId: own } }, ADMIN);
    expect(created.errors).toBeUndefined();
    secret = created.data!.createApiKey.secret;
    key = { headers: { 'x-api-key': secret } };
  });

  it('manages and searches its own business', async () => {
    const doc = await addDoc(offline, { businessId: own, title: 'Own prices', content: 'A cleaning costs 80 dollars at our practice.' }, key);
    const list = await gql(offline.url, KnowledgeDocumentsDocument, { businessId: own }, key);
    expect(list.data!.knowledgeDocuments.map((d) => d.id)).toEqual([doc.id]);
    const hits = await gql(offline.url, SearchKnowledgeDocument, { businessId: own, query: 'how much is a cleaning' }, key);
    expect(hits.data!.searchKnowledge[0].documentId).toBe(doc.id);
    const job = await gql(offline.url, RebuildIndexDocument, { businessId: own }, key);
    expect(job.errors).toBeUndefined();
    expect((await waitForJob(offline.url, job.data!.rebuildIndex.id)).state).toBe('SUCCEEDED');
    expect((await gql(offline.url, IndexJobDocument, { id: job.data!.rebuildIndex.id }, key)).data!.indexJob!.state).toBe('SUCCEEDED');
    const { results } = await collect(ws(offline, { 'x-api-key': secret }), IndexJobUpdatesDocument, { jobId: job.data!.rebuildIndex.id });
    expect(results.map((r) => r.data?.indexJobUpdates.state)).toEqual(['SUCCEEDED']);
    expect((await gql(offline.url, DeleteKnowledgeDocumentDocument, { id: doc.id }, key)).data!.deleteKnowledgeDocument).toBe(true);
    expect((await gql(offline.url, KnowledgeDocumentsDocument, { businessId: own }, key)).data!.knowledgeDocuments).toEqual([]);
  });

  it("gets FORBIDDEN on every knowledge operation for another business, and nothing changes", async () => {
    const forbidden = async (res: Promise<{ errors?: readonly import('graphql').GraphQLFormattedError[] }>) => expect(errorCodes(await res)).toEqual(['FORBIDDEN']);
    await forbidden(gql(offline.url, AddKnowledgeDocumentDocument, { input: { businessId: other, title: 'Injected', content: 'Injected text.' } }, key));
    await forbidden(gql(offline.url, KnowledgeDocumentsDocument, { businessId: other }, key));
    await forbidden(gql(offline.url, DeleteKnowledgeDocumentDocument, { id: otherDoc.id }, key));
    await forbidden(gql(offline.url, IndexJobDocument, { id: otherDoc.indexJobId! }, key));
    await forbidden(gql(offline.url, CrawlWebsiteDocument, { businessId: other, url: 'http://127.0.0.1:9/', maxPages: 1 }, key));
    await forbidden(gql(offline.url, RebuildIndexDocument, { businessId: other }, key));
    await forbidden(gql(offline.url, SearchKnowledgeDocument, { businessId: other, query: 'price list' }, key));
    const sub = await collect(ws(offline, { 'x-api-key': secret }), IndexJobUpdatesDocument, { jobId: otherDoc.indexJobId! });
    expect(JSON.stringify(sub)).toContain('FORBIDDEN');
    expect(JSON.stringify(sub)).not.toContain('SUCCEEDED');

    const docs = await gql(offline.url, KnowledgeDocumentsDocument, { businessId: other }, ADMIN);
    expect(docs.data!.knowledgeDocuments.map((d) => d.title)).toEqual(['Other secret']);
    const jobs = await pg.query('select count(*)::int as n from index_jobs where business_id = $1', [other]);
    expect(jobs.rows[0].n).toBe(1);
  });

  it('answers UNAUTHENTICATED without a key', async () => {
    const none = {};
    expect(errorCodes(await gql(offline.url, KnowledgeDocumentsDocument, { businessId: own }, none))).toEqual(['UNAUTHENTICATED']);
    expect(errorCodes(await gql(offline.url, SearchKnowledgeDocument, { businessId: own, query: 'x' }, none))).toEqual(['UNAUTHENTICATED']);
    expect(errorCodes(await gql(offline.url, AddKnowledgeDocumentDocument, { input: { businessId: own, title: 't', content: 'c' } }, none))).toEqual([
      'UNAUTHENTICATED',
    ]);
    expect(errorCodes(await gql(offline.url, RebuildIndexDocument, { businessId: own }, none))).toEqual(['UNAUTHENTICATED']);
  });
});

describe('deleteBusiness', () => {
  it("removes the business's documents, chunks and jobs, and its chat sessions answer NOT_FOUND", async () => {
    const businessId = await createBusiness(offline, { name: 'Closing Down' });
    const keep = await createBusiness(offline, { name: 'Staying Open' });
    await addDoc(offline, { businessId, title: 'Closing sale', content: 'Everything must go before we close the doors.' });
    await addDoc(offline, { businessId: keep, title: 'Still here', content: 'We stay open all year.' });
    const sessionId = await startSession(offline, businessId);
    const count = async (table: string, id: string) =>
      (await pg.query<{ n: number }>(`select count(*)::int as n from ${table} where business_id = $1`, [id])).rows[0].n;
    for (const table of ['knowledge_documents', 'knowledge_chunks', 'index_jobs']) expect(await count(table, businessId)).toBeGreaterThan(0);

    const keptSession = await startSession(offline, keep);
    const sessionKeys = async () => (await offline.app.redis.keys(`${offline.app.config.redisKeyPrefix}chat:session:*`)).sort();
    const before = await sessionKeys();
    expect(before.filter((k) => k.includes(sessionId))).not.toEqual([]);
    const deleted = await gql(offline.url, DeleteBusinessDocument, { id: businessId }, ADMIN);
    expect(deleted.errors).toBeUndefined();
    for (const table of ['knowledge_documents', 'knowledge_chunks', 'index_jobs', 'knowledge_generations']) {
      expect(await count(table, businessId)).toBe(0);
      if (table !== 'knowledge_generations') expect(await count(table, keep)).toBeGreaterThan(0);
    }
    const after = await gql(offline.url, SendMessageDocument, { input: { sessionId, text: 'Is the sale still on?' } });
    expect(errorCodes(after)).toEqual(['NOT_FOUND']);
    expect(errorCodes(await gql(offline.url, SessionDocument, { id: sessionId }))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await gql(offline.url, StartSessionDocument, { businessId }))).toEqual(['NOT_FOUND']);
    // The transcript is erased from Redis, the other business's session is untouched.
    const after2 = await sessionKeys();
    expect(after2.filter((k) => k.includes(sessionId))).toEqual([]);
    expect(after2.filter((k) => k.includes(keptSession))).not.toEqual([]);
    expect((await gql(offline.url, SessionDocument, { id: keptSession })).data!.session!.id).toBe(keptSession);
  });
});
