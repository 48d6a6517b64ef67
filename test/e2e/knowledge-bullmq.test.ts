import Redis from 'ioredis';
import { Client } from 'pg';
import { createSilentLogger } from '../../src/observability/logger';
import { buildWorker, type WorkerApp } from '../../src/worker-app';
import { AddKnowledgeDocumentDocument, IndexJobDocument, IndexJobUpdatesDocument, RebuildIndexDocument, SearchKnowledgeDocument } from '../generated/graphql';
import { collect, gql, wsClient } from '../support/client';
import { ADMIN, ADMIN_HASH, ADMIN_SECRET, seedBusiness, waitForJob } from '../support/knowledge';
import { startTestServer, testConfig, type TestServer } from '../support/server';
import { createTestDatabase, REDIS_URL, type TestDatabase } from '../support/stores';

let db: TestDatabase;
let server: TestServer;
let worker: WorkerApp | undefined;
let redis: Redis;

beforeAll(async () => {
  db = await createTestDatabase();
  // The production driver: the api only enqueues; a BullMQ Worker (here in the test process,
  // in production `npm run worker`) runs the jobs.
  server = await startTestServer(testConfig(db, { ADMIN_API_KEY_HASHES: ADMIN_HASH, JOB_DRIVER: 'bullmq', JOB_ATTEMPTS: '2', JOB_BACKOFF_MS: '50' }));
  redis = new Redis(REDIS_URL);
});

afterAll(async () => {
  await worker?.close();
  await server?.close();
  if (redis) {
    const keys = await redis.keys(`${server.app.config.redisKeyPrefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  }
  await db?.drop();
});

/** `npm run worker`'s process, on the api's database and Redis prefix. */
function startWorker(): Promise<WorkerApp> {
  return buildWorker(server.app.config, { logger: createSilentLogger() });
}

describe('BullMQ job driver with a real Worker', () => {
  it('leaves the job QUEUED in Redis under the key prefix until a worker runs it, then streams it to SUCCEEDED', async () => {
    const biz = (await seedBusiness(server.app)).id;
    const res = await gql(server.url, AddKnowledgeDocumentDocument, { input: { businessId: biz, title: 'Hours', content: 'We open at 9 am on weekdays.' } }, ADMIN);
    const jobId = res.data!.addKnowledgeDocument.indexJobId!;
    // No event says "nothing picked the job up": give a wrongly wired consumer time to show itself.
    await new Promise((r) => setTimeout(r, 300));
    expect((await gql(server.url, IndexJobDocument, { id: jobId }, ADMIN)).data!.indexJob!.state).toBe('QUEUED');
    expect(await redis.exists(`${server.app.config.redisKeyPrefix}bull:jobs:${jobId}`)).toBe(1);

    const client = wsClient(server.wsUrl, { 'x-api-key': ADMIN_SECRET });
    try {
      let subscribed!: () => void;
      const firstUpdate = new Promise<void>((resolve) => (subscribed = resolve));
      const stream = collect(client, IndexJobUpdatesDocument, { jobId }, () => subscribed());
      // The stored state has arrived, so the subscription listens before the worker starts.
      await firstUpdate;
      worker = await startWorker();
      const { results, error } = await stream;
      expect(error).toBeUndefined();
      const states = results.map((r) => r.data!.indexJobUpdates.state);
      expect(states[0]).toBe('QUEUED');
      expect(states).toContain('RUNNING');
      expect(states[states.length - 1]).toBe('SUCCEEDED');
    } finally {
      await client.dispose();
    }
    const hits = (await gql(server.url, SearchKnowledgeDocument, { businessId: biz, query: 'when do you open' }, ADMIN)).data!.searchKnowledge;
    expect(hits.map((h) => h.title)).toEqual(['Hours']);
  });

  it('retries a failing job with backoff and marks it FAILED after the last attempt', async () => {
    worker ??= await startWorker();
    const biz = (await seedBusiness(server.app)).id;
    const res = await gql(server.url, AddKnowledgeDocumentDocument, { input: { businessId: biz, title: 'Doc', content: 'Some text.' } }, ADMIN);
    await waitForJob(server.url, res.data!.addKnowledgeDocument.indexJobId!);
    // A real failure inside the job: the business's generation row points the rebuild at a
    // generation that collides with a constraint the test adds to its own database.
    const pg = new Client({ connectionString: db.url });
    await pg.connect();
    try {
      await pg.query(`alter table knowledge_chunks add constraint test_no_gen_2 check (business_id <> '${biz}'::uuid or generation <> 2)`);
      const job = (await gql(server.url, RebuildIndexDocument, { businessId: biz }, ADMIN)).data!.rebuildIndex;
      const done = await waitForJob(server.url, job.id);
      expect(done).toMatchObject({ state: 'FAILED', attempts: 2 });
      expect(done.error).toMatch(/test_no_gen_2/);
    } finally {
      await pg.query('alter table knowledge_chunks drop constraint if exists test_no_gen_2');
      await pg.end();
    }
    const hits = (await gql(server.url, SearchKnowledgeDocument, { businessId: biz, query: 'some text' }, ADMIN)).data!.searchKnowledge;
    expect(hits.map((h) => h.title)).toEqual(['Doc']);
  });
});
