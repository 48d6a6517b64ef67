import { print } from 'graphql';
import type { Client } from 'graphql-ws';
import { CreateApiKeyDocument, IndexJobUpdatesDocument, RebuildIndexDocument, RevokeApiKeyDocument, ServerInfoDocument } from '../generated/graphql';
import { collect, errorCodes, gql, wsClient } from '../support/client';
import { ADMIN, ADMIN_HASH, seedBusiness } from '../support/knowledge';
import { startTestServer, testConfig, type TestServer } from '../support/server';
import { createTestDatabase, type TestDatabase } from '../support/stores';

/**
 * Issue 10, item 7: `indexJobUpdates` stops reading Postgres once the client unsubscribed from a
 * job that never changes, and a revoked API key's open subscriptions end — on the process that
 * revoked it and on any other.
 */

let db: TestDatabase;
/** Two api processes on one database and Redis prefix (a revocation on one reaches the other over Redis). */
let first: TestServer;
let second: TestServer;

beforeAll(async () => {
  db = await createTestDatabase();
  // BullMQ and no worker: index jobs stay QUEUED, their subscriptions open.
  const config = testConfig(db, { ADMIN_API_KEY_HASHES: ADMIN_HASH, JOB_DRIVER: 'bullmq' });
  first = await startTestServer(config);
  second = await startTestServer(config);
});

afterAll(async () => {
  await second?.close();
  await first?.close();
  await db?.drop();
});

async function stuckJob(server: TestServer, businessId: string): Promise<string> {
  const res = await gql(server.url, RebuildIndexDocument, { businessId }, ADMIN);
  expect(errorCodes(res)).toEqual([]);
  return res.data!.rebuildIndex.id;
}

/** A round trip on the socket: the server has handled every message sent before it. */
async function roundTrip(client: Client): Promise<void> {
  const { error } = await collect(client, ServerInfoDocument, {});
  expect(error).toBeUndefined();
}

it('stops following a job (and polling its row) when the client unsubscribes', async () => {
  const biz = (await seedBusiness(first.app)).id;
  const jobId = await stuckJob(first, biz);
  const client = wsClient(first.wsUrl, ADMIN.headers);
  try {
    let unsubscribe = () => undefined as void;
    await new Promise<void>((resolve, reject) => {
      unsubscribe = client.subscribe({ query: print(IndexJobUpdatesDocument), variables: { jobId } }, { next: () => resolve(), error: reject, complete: () => undefined });
    });
    expect(first.app.knowledge.updates.watching(jobId)).toBe(1);
    unsubscribe();
    await roundTrip(client);
    // Its poll timer went with it: no more reads of a row that is not going to change.
    expect(first.app.knowledge.updates.watching(jobId)).toBe(0);
  } finally {
    await client.dispose();
  }
});

it("closes a revoked key's subscriptions on every process", async () => {
  const biz = (await seedBusiness(first.app)).id;
  const created = await gql(first.url, CreateApiKeyDocument, { input: { name: 'widget admin', businessId: biz } }, ADMIN);
  expect(errorCodes(created)).toEqual([]);
  const { secret, apiKey } = created.data!.createApiKey;
  const jobId = await stuckJob(first, biz);

  const clients = [wsClient(first.wsUrl, { 'x-api-key': secret }), wsClient(second.wsUrl, { 'x-api-key': secret })];
  try {
    const streams = clients.map((client) => {
      let resolveFirst!: () => void;
      const firstUpdate = new Promise<void>((resolve) => (resolveFirst = resolve));
      return { firstUpdate, ended: collect(client, IndexJobUpdatesDocument, { jobId }, () => resolveFirst()) };
    });
    await Promise.all(streams.map((s) => s.firstUpdate));

    // Revoked on the first process; the second learns it over Redis.
    expect((await gql(first.url, RevokeApiKeyDocument, { id: apiKey.id }, ADMIN)).data?.revokeApiKey).toBe(true);
    for (const { ended } of streams) {
      const { results, error } = await ended;
      expect(results.map((r) => r.data?.indexJobUpdates.state)).toEqual(['QUEUED']);
      expect(error).toMatchObject({ code: 4403 });
    }
  } finally {
    for (const client of clients) await client.dispose();
  }
});
