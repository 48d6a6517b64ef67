import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Client } from 'pg';
import { DeliveryState, WebhookDeliveryEntity } from '../../src/webhooks/webhook.entity';
import {
  ChatDocument,
  CreateApiKeyDocument,
  CreateBusinessDocument,
  CreateWebhookDocument,
  DeleteLeadDocument,
  DeleteWebhookDocument,
  RedeliverWebhookDocument,
  StartSessionDocument,
  UpdateWebhookDocument,
  WebhookDeliveriesDocument,
  type WebhookEvent,
  WebhooksDocument,
} from '../generated/graphql';
import { bootstrapKey, dumpDatabase, keyHeader } from '../support/admin';
import { seedBusiness } from '../support/chat';
import { errorCodes, gql } from '../support/client';
import { ChildServer } from '../support/process';
import { startTestServer, testConfig, type TestServer } from '../support/server';
import { createTestDatabase, REDIS_URL, uniqueName, type TestDatabase } from '../support/stores';
import { WebhookReceiver } from '../support/webhooks';

/**
 * Webhooks through the real server and a real worker process (`node dist/src/worker.js`, killed
 * with SIGKILL in one test): admin operations over HTTP, deliveries to a loopback receiver that
 * verifies every signature with the `standardwebhooks` package. Events are queued through the
 * api process's outbox (`app.webhooks.enqueue`, as the leads feature does in its transaction).
 */

const WORKER_JS = path.resolve(__dirname, '../../dist/src/worker.js');
const BACKOFF_MS = 300;
const TIMEOUT_MS = 3000;

const boot = bootstrapKey();
let db: TestDatabase;
let server: TestServer;
let strict: TestServer;
let receiver: WebhookReceiver;
let pg: Client;
let worker: ChildServer | undefined;
let env: Record<string, string>;

beforeAll(async () => {
  db = await createTestDatabase();
  env = {
    NODE_ENV: 'test',
    DATABASE_URL: db.url,
    REDIS_URL,
    REDIS_KEY_PREFIX: `${uniqueName('t')}:`,
    ALLOWED_ORIGINS: 'http://allowed.test',
    LOG_LEVEL: 'info',
    ADMIN_API_KEY_HASHES: boot.hash,
    JOB_DRIVER: 'bullmq',
    OUTBOUND_ALLOW_HOSTS: '127.0.0.1:*',
    WEBHOOK_BACKOFF_MS: String(BACKOFF_MS),
    WEBHOOK_MAX_ATTEMPTS: '4',
    WEBHOOK_TIMEOUT_MS: String(TIMEOUT_MS),
    WEBHOOK_SECRET_KEY: randomBytes(32).toString('base64'),
    RATE_LIMIT_CHAT: 'off',
  };
  server = await startTestServer(testConfig(db, { ...env, LOG_LEVEL: 'error' }));
  // The same database with the default outbound rules: loopback refused.
  strict = await startTestServer(testConfig(db, { ...env, LOG_LEVEL: 'error', OUTBOUND_ALLOW_HOSTS: '' }));
  receiver = await new WebhookReceiver().start();
  pg = new Client({ connectionString: db.url });
  await pg.connect();
});

afterAll(async () => {
  await worker?.stop();
  await pg?.end();
  await receiver?.close();
  await strict?.close();
  await server?.close();
  await db?.drop();
});

beforeEach(() => {
  receiver.received.length = 0;
  receiver.statuses = [];
  receiver.hold = false;
});

async function startWorker(): Promise<ChildServer> {
  const child = new ChildServer(WORKER_JS, env);
  await child.waitForLog((l) => l.message === 'worker started');
  return child;
}

const admin = () => keyHeader(boot.secret);

async function createBusiness(name: string): Promise<string> {
  const res = await gql(server.url, CreateBusinessDocument, { input: { name } }, admin());
  expect(res.errors).toBeUndefined();
  return res.data!.createBusiness.id;
}

async function createWebhook(businessId: string, events: WebhookEvent[] = ['LEAD_CREATED']): Promise<{ id: string; secret: string }> {
  const res = await gql(server.url, CreateWebhookDocument, { input: { businessId, url: receiver.url, events } }, admin());
  expect(res.errors).toBeUndefined();
  return { id: res.data!.createWebhook.webhook.id, secret: res.data!.createWebhook.secret };
}

/** What the leads feature does: the event and its deliveries in one transaction of the api. */
async function emitLeadCreated(businessId: string, name = 'Ana'): Promise<void> {
  await server.app.orm.em.fork().transactional((em) =>
    server.app.webhooks.enqueue(em, businessId, 'lead.created', { lead: { id: '0b7c6f1e-1111-4a2b-9c3d-222233334444', businessId, name, email: 'ana@example.com' } }),
  );
}

async function deliveryRows(webhookId: string): Promise<WebhookDeliveryEntity[]> {
  return server.app.orm.em.fork().find(WebhookDeliveryEntity, { webhookId }, { orderBy: { createdAt: 'asc' } });
}

/**
 * The webhook's only delivery once it is no longer PENDING. The receiver has seen the request by
 * then; the worker's write of the result follows its answer, and there is no event for it.
 */
async function settled(webhookId: string, timeoutMs = 10_000): Promise<WebhookDeliveryEntity> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [row] = await deliveryRows(webhookId);
    if (row && row.state !== DeliveryState.PENDING) return row;
    if (Date.now() > deadline) throw new Error(`delivery of webhook ${webhookId} still ${row?.state ?? 'missing'} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('webhook admin operations', () => {
  it('createWebhook shows a whsec_ secret once and stores it only encrypted', async () => {
    const businessId = await createBusiness('Secret Co');
    const { id, secret } = await createWebhook(businessId);
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
    const dump = await dumpDatabase(db.url);
    expect(dump).toContain(id);
    expect(dump).not.toContain(secret.slice(6));
    const listed = (await gql(server.url, WebhooksDocument, { businessId }, admin())).data!.webhooks;
    expect(listed).toEqual([expect.objectContaining({ id, url: receiver.url, events: ['LEAD_CREATED'], enabled: true, disabledReason: null })]);
    expect(JSON.stringify(listed)).not.toContain('whsec_');
  });

  it('refuses a loopback URL with BAD_USER_INPUT when OUTBOUND_ALLOW_HOSTS does not allow it (create and update)', async () => {
    const businessId = await createBusiness('Strict Co');
    const refused = await gql(strict.url, CreateWebhookDocument, { input: { businessId, url: 'http://127.0.0.1:9/hooks', events: ['LEAD_CREATED'] } }, admin());
    expect(errorCodes(refused)).toEqual(['BAD_USER_INPUT']);
    expect(refused.errors![0].message).toMatch(/may not receive webhooks/);
    const notHttp = await gql(strict.url, CreateWebhookDocument, { input: { businessId, url: 'ftp://example.com/x', events: ['LEAD_CREATED'] } }, admin());
    expect(errorCodes(notHttp)).toEqual(['BAD_USER_INPUT']);
    const noEvents = await gql(server.url, CreateWebhookDocument, { input: { businessId, url: receiver.url, events: [] } }, admin());
    expect(errorCodes(noEvents)).toEqual(['BAD_USER_INPUT']);

    const { id } = await createWebhook(businessId);
    const update = await gql(strict.url, UpdateWebhookDocument, { id, input: { url: 'http://[::1]:8080/' } }, admin());
    expect(errorCodes(update)).toEqual(['BAD_USER_INPUT']);
    expect((await gql(strict.url, WebhooksDocument, { businessId }, admin())).data!.webhooks.map((w) => w.url)).toEqual([receiver.url]);
  });

  it('keeps business keys to their own business', async () => {
    const a = await createBusiness('A Co');
    const b = await createBusiness('B Co');
    const keyA = (await gql(server.url, CreateApiKeyDocument, { input: { name: 'a', businessId: a } }, admin())).data!.createApiKey.secret;
    const hookB = await createWebhook(b);
    await emitLeadCreated(b);
    const [deliveryB] = await deliveryRows(hookB.id);

    const mine = await gql(server.url, CreateWebhookDocument, { input: { businessId: a, url: receiver.url, events: ['LEAD_UPDATED'] } }, keyHeader(keyA));
    expect(mine.errors).toBeUndefined();
    expect((await gql(server.url, WebhooksDocument, { businessId: a }, keyHeader(keyA))).data!.webhooks.map((w) => w.id)).toEqual([mine.data!.createWebhook.webhook.id]);

    const attempts = [
      await gql(server.url, WebhooksDocument, { businessId: b }, keyHeader(keyA)),
      await gql(server.url, CreateWebhookDocument, { input: { businessId: b, url: receiver.url, events: ['LEAD_CREATED'] } }, keyHeader(keyA)),
      await gql(server.url, UpdateWebhookDocument, { id: hookB.id, input: { enabled: false } }, keyHeader(keyA)),
      await gql(server.url, DeleteWebhookDocument, { id: hookB.id }, keyHeader(keyA)),
      await gql(server.url, WebhookDeliveriesDocument, { webhookId: hookB.id }, keyHeader(keyA)),
      await gql(server.url, RedeliverWebhookDocument, { deliveryId: deliveryB.id }, keyHeader(keyA)),
    ];
    expect(attempts.map(errorCodes)).toEqual(Array(6).fill(['FORBIDDEN']));
    expect((await gql(server.url, WebhooksDocument, { businessId: b }, admin())).data!.webhooks).toEqual([expect.objectContaining({ id: hookB.id, enabled: true })]);
    expect(errorCodes(await gql(server.url, WebhooksDocument, { businessId: a }, {}))).toEqual(['UNAUTHENTICATED']);
  });

  it('updateWebhook disables and enables; deleteWebhook removes it and its log', async () => {
    const businessId = await createBusiness('Toggle Co');
    const { id } = await createWebhook(businessId);
    const off = (await gql(server.url, UpdateWebhookDocument, { id, input: { enabled: false, events: ['LEAD_CREATED', 'CONVERSATION_ENDED'] } }, admin())).data!.updateWebhook;
    expect(off).toMatchObject({ enabled: false, disabledReason: 'Disabled by an admin', events: ['LEAD_CREATED', 'CONVERSATION_ENDED'] });
    await emitLeadCreated(businessId);
    expect(await deliveryRows(id)).toEqual([]);
    const on = (await gql(server.url, UpdateWebhookDocument, { id, input: { enabled: true } }, admin())).data!.updateWebhook;
    expect(on).toMatchObject({ enabled: true, disabledReason: null });
    await emitLeadCreated(businessId);
    expect(await deliveryRows(id)).toHaveLength(1);
    expect((await gql(server.url, DeleteWebhookDocument, { id }, admin())).data!.deleteWebhook).toBe(true);
    expect(await deliveryRows(id)).toEqual([]);
    expect(errorCodes(await gql(server.url, DeleteWebhookDocument, { id }, admin()))).toEqual(['NOT_FOUND']);
  });
});

describe('delivery by the worker', () => {
  beforeAll(async () => {
    // The admin tests' deliveries are not this block's to send.
    await pg.query(`update webhook_deliveries set state = 'FAILED', next_attempt_at = null where state = 'PENDING'`);
    worker = await startWorker();
  });

  it('retries after two 500s with doubling delays and the same webhook-id; each signature verifies; the log shows it', async () => {
    const businessId = await createBusiness('Retry Co');
    const { id, secret } = await createWebhook(businessId);
    receiver.secret = secret;
    receiver.statuses = [500, 500];
    await emitLeadCreated(businessId);

    const requests = await receiver.waitFor(3);
    const row = await settled(id);
    expect(requests.map((r) => [r.id, r.verified, r.answered])).toEqual([
      [row.id, true, 500],
      [row.id, true, 500],
      [row.id, true, 200],
    ]);
    expect(JSON.parse(requests[2].body)).toMatchObject({ type: 'lead.created', data: { lead: { name: 'Ana', businessId } } });

    const [logged] = (await gql(server.url, WebhookDeliveriesDocument, { webhookId: id }, admin())).data!.webhookDeliveries;
    expect(logged).toMatchObject({ id: row.id, event: 'LEAD_CREATED', state: 'SUCCEEDED', attempts: 3, lastStatus: 200, lastError: null, nextAttemptAt: null });
    expect(logged.deliveredAt).toBeTruthy();
    // The schedule the worker recorded: each retry due backoff × 2^(n−1) after its failed attempt.
    const delays = logged.history.map((h) => (h.nextAttemptAt ? Date.parse(h.nextAttemptAt) - Date.parse(h.at) : null));
    expect(delays).toEqual([BACKOFF_MS, 2 * BACKOFF_MS, null]);
    expect(logged.history.map((h) => [h.attempt, h.status, h.error])).toEqual([
      [1, 500, 'the receiver answered HTTP 500'],
      [2, 500, 'the receiver answered HTTP 500'],
      [3, 200, null],
    ]);
    // No attempt ran before it was due.
    for (let i = 1; i < logged.history.length; i++) expect(Date.parse(logged.history[i].at)).toBeGreaterThanOrEqual(Date.parse(logged.history[i - 1].nextAttemptAt!));
  });

  it('a visitor who gives their details in the chat reaches the receiver as lead.created, signed; deleteLead scrubs the payload', async () => {
    const business = await seedBusiness(server.app, { privacyStatement: 'We use your details only to reply to you.' });
    const { id, secret } = await createWebhook(business.id);
    receiver.secret = secret;
    const sessionId = (await gql(server.url, StartSessionDocument, { businessId: business.id })).data!.startSession.id;
    for (const text of ["I'd like to book", "I'm Ana, ana@example.com"]) {
      const res = await gql(server.url, ChatDocument, { input: { sessionId, text } });
      expect(res.errors).toBeUndefined();
    }
    const [request] = await receiver.waitFor(1);
    const row = await settled(id);
    expect(request).toMatchObject({ id: row.id, verified: true, answered: 200 });
    const event = JSON.parse(request.body) as { type: string; timestamp: string; data: { lead: Record<string, unknown> } };
    expect(event.type).toBe('lead.created');
    expect(event.data.lead).toMatchObject({ businessId: business.id, sessionId, name: 'Ana', email: 'ana@example.com', status: 'NEW', source: 'CHAT', id: expect.any(String) });
    expect(row).toMatchObject({ state: 'SUCCEEDED', event: 'LEAD_CREATED', leadId: event.data.lead.id });

    // deleteLead scrubs the payloads of the lead's deliveries; the log itself stays.
    const deleted = await gql(server.url, DeleteLeadDocument, { id: String(event.data.lead.id) }, admin());
    expect(deleted.errors).toBeUndefined();
    const { rows } = await pg.query<{ body: string | null }>('select body from webhook_deliveries where webhook_id = $1', [id]);
    expect(rows).toEqual([{ body: null }]);
    expect((await gql(server.url, WebhookDeliveriesDocument, { webhookId: id }, admin())).data!.webhookDeliveries.map((d) => d.id)).toEqual([row.id]);
    expect(errorCodes(await gql(server.url, RedeliverWebhookDocument, { deliveryId: row.id }, admin()))).toEqual(['BAD_USER_INPUT']);
  });

  it('redeliverWebhook sends a delivered event again with the same webhook-id', async () => {
    const businessId = await createBusiness('Again Co');
    const { id, secret } = await createWebhook(businessId);
    receiver.secret = secret;
    await emitLeadCreated(businessId);
    const [first] = await receiver.waitFor(1);
    const row = await settled(id);
    const again = (await gql(server.url, RedeliverWebhookDocument, { deliveryId: row.id }, admin())).data!.redeliverWebhook;
    expect(again).toMatchObject({ id: row.id, state: 'PENDING', attempts: 0 });
    const [, second] = await receiver.waitFor(2);
    expect([first.id, second.id]).toEqual([row.id, row.id]);
    expect(second.verified).toBe(true);
    expect(second.body).toBe(first.body);
  });

  it('completes a delivery whose worker was killed mid-request, once a worker runs again (same webhook-id)', async () => {
    const businessId = await createBusiness('Crash Co');
    const { id, secret } = await createWebhook(businessId);
    receiver.secret = secret;
    receiver.hold = true;
    await emitLeadCreated(businessId);
    const [held] = await receiver.waitFor(1);
    await worker!.stop(); // SIGKILL while the request is in flight
    receiver.hold = false;
    const [row] = await deliveryRows(id);
    expect(row).toMatchObject({ state: 'PENDING', attempts: 1 });

    worker = await startWorker();
    const [, retried] = await receiver.waitFor(2, TIMEOUT_MS + 15_000);
    expect([held.id, retried.id]).toEqual([row.id, row.id]);
    expect(retried.verified).toBe(true);
    const done = await settled(id);
    expect(done).toMatchObject({ state: 'SUCCEEDED', attempts: 2, lastStatus: 200 });
    // The killed attempt left no result; the one that completed is recorded.
    expect(done.history.map((h) => [h.attempt, h.status])).toEqual([[2, 200]]);
  });
});
