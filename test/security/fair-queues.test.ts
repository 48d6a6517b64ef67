import type { ServerResponse } from 'node:http';
import { createSilentLogger } from '../../src/observability/logger';
import { buildWorker, type WorkerApp } from '../../src/worker-app';
import { CrawlWebsiteDocument, IndexJobDocument, RebuildIndexDocument, SendVoiceMessageDocument, StartSessionDocument } from '../generated/graphql';
import { speech } from '../support/audio';
import { seedBusiness, streamReply } from '../support/chat';
import { errorCodes, gql, wsClient } from '../support/client';
import { FakeGemini } from '../support/fake-gemini';
import { ADMIN, ADMIN_HASH, waitForJob, waitForJobState } from '../support/knowledge';
import { upload } from '../support/multipart';
import { LoopbackServer } from '../support/outbound';
import { startTestServer, testConfig, type TestServer } from '../support/server';
import { createTestDatabase, type TestDatabase } from '../support/stores';

/**
 * Issue 10, item 5: one tenant's crawls never starve another's voice messages or rebuilds.
 * Voice jobs have a queue of their own; a business holds at most one knowledge slot with its
 * crawls and rebuilds. The api enqueues, a real BullMQ worker (`npm run worker`'s process) runs.
 */

let db: TestDatabase;
let gemini: FakeGemini;
let server: TestServer;
let worker: WorkerApp;
/** A site that answers nothing until the test lets it: a crawl of it holds its job slot. */
let site: LoopbackServer;
let held: ServerResponse[] = [];
let holding = true;
let firstRequest: () => void = () => undefined;

/** Answers every held request (404: the crawl ends with no page) and every later one at once. */
function release(): void {
  holding = false;
  for (const res of held) res.writeHead(404).end();
  held = [];
}

beforeAll(async () => {
  db = await createTestDatabase();
  gemini = await FakeGemini.start();
  site = await new LoopbackServer((_req, res) => {
    if (!holding) return void res.writeHead(404).end();
    held.push(res);
    firstRequest();
  }).start();
  const config = testConfig(db, {
    ADMIN_API_KEY_HASHES: ADMIN_HASH,
    JOB_DRIVER: 'bullmq',
    JOB_KNOWLEDGE_CONCURRENCY: '2',
    JOB_VOICE_CONCURRENCY: '1',
    JOB_ATTEMPTS: '1',
    OUTBOUND_ALLOW_HOSTS: '127.0.0.1:*',
    CRAWL_REQUEST_TIMEOUT_MS: '60000',
    CRAWL_RETRIES: '0',
    LLM_PROVIDER: 'gemini',
    GEMINI_API_KEY: 'test',
    GEMINI_BASE_URL: gemini.baseUrl,
    GEMINI_MAX_RETRIES: '0',
    VOICE_WORKER_THRESHOLD_BYTES: '2048',
    RATE_LIMIT_CHAT: 'off',
  });
  server = await startTestServer(config);
  worker = await buildWorker(config, { logger: createSilentLogger() });
});

afterAll(async () => {
  release();
  await worker?.close();
  await server?.close();
  await site?.close();
  await gemini?.close();
  await db?.drop();
});

/** Starts a crawl of the holding site and resolves once the worker is inside it (its first request arrived). */
async function hangingCrawl(businessId: string): Promise<string> {
  holding = true;
  const inside = new Promise<void>((resolve) => (firstRequest = resolve));
  const res = await gql(server.url, CrawlWebsiteDocument, { businessId, url: `${site.origin}/`, maxPages: 5 }, ADMIN);
  expect(errorCodes(res)).toEqual([]);
  await inside;
  return res.data!.crawlWebsite.id;
}

it("answers a large voice message while other businesses' crawls fill every knowledge slot", async () => {
  const crawlerA = await seedBusiness(server.app, { name: 'Crawler A' });
  const crawlerC = await seedBusiness(server.app, { name: 'Crawler C' });
  const voice = await seedBusiness(server.app, { name: 'Voice B', voiceEnabled: true });
  const crawls = [await hangingCrawl(crawlerA.id), await hangingCrawl(crawlerC.id)];
  try {
    const session = (await gql(server.url, StartSessionDocument, { businessId: voice.id })).data!.startSession.id;
    gemini.transcript = 'What are your opening hours?';
    const sent = await upload(server.url, SendVoiceMessageDocument, { sessionId: session }, await speech('what are your opening hours', 'wav'));
    expect(errorCodes(sent)).toEqual([]);
    expect(sent.data?.sendVoiceMessage.transcriptPending).toBe(true); // handed to the worker's voice queue
    const ws = wsClient(server.wsUrl);
    try {
      const { chunks, errors } = await streamReply(ws, sent.data!.sendVoiceMessage.replyId);
      expect(errors).toEqual([]);
      expect(chunks.at(-1)).toMatchObject({ done: true, error: null, message: { role: 'ASSISTANT' } });
    } finally {
      await ws.dispose();
    }
    // The crawls were running the whole time.
    for (const id of crawls) expect((await gql(server.url, IndexJobDocument, { id }, ADMIN)).data!.indexJob!.state).toBe('RUNNING');
  } finally {
    release();
    await Promise.all(crawls.map((id) => waitForJob(server.url, id)));
  }
});

it("keeps a business to one crawl/rebuild slot: its rebuild waits for its crawl, another business's rebuild runs", async () => {
  const busy = await seedBusiness(server.app, { name: 'Busy' });
  const other = await seedBusiness(server.app, { name: 'Other' });
  const crawl = await hangingCrawl(busy.id);
  let ownRebuild = '';
  try {
    // Queued before the other business's rebuild, with a knowledge slot free.
    ownRebuild = (await gql(server.url, RebuildIndexDocument, { businessId: busy.id }, ADMIN)).data!.rebuildIndex.id;
    const otherRebuild = (await gql(server.url, RebuildIndexDocument, { businessId: other.id }, ADMIN)).data!.rebuildIndex.id;
    expect((await waitForJob(server.url, otherRebuild)).state).toBe('SUCCEEDED');
    const own = (await gql(server.url, IndexJobDocument, { id: ownRebuild }, ADMIN)).data!.indexJob!;
    expect(own.state).toBe('QUEUED');
    expect(own.attempts).toBe(0);
  } finally {
    release();
  }
  await waitForJob(server.url, crawl);
  // Once the crawl let go of the slot the rebuild runs, without having spent an attempt.
  await waitForJobState(server.url, ownRebuild, 'SUCCEEDED', 20_000);
  expect((await gql(server.url, IndexJobDocument, { id: ownRebuild }, ADMIN)).data!.indexJob!).toMatchObject({ state: 'SUCCEEDED', attempts: 1 });
});
