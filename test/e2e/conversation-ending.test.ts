import { createSilentLogger } from '../../src/observability/logger';
import { buildWorker, type WorkerApp } from '../../src/worker-app';
import {
  ChatDocument,
  ConversationDocument,
  CreateWebhookDocument,
  EndSessionDocument,
  StartSessionDocument,
  WebhookDeliveriesDocument,
} from '../generated/graphql';
import { seedBusiness } from '../support/chat';
import { gql } from '../support/client';
import { rows } from '../support/conversations';
import { metricValue } from '../support/metrics';
import { FakeGemini, isStructured, type RecordedRequest } from '../support/fake-gemini';
import { ADMIN, ADMIN_HASH } from '../support/knowledge';
import { startTestServer, testConfig, type TestServer } from '../support/server';
import { createTestDatabase, type TestDatabase } from '../support/stores';
import { WebhookReceiver } from '../support/webhooks';

/**
 * Conversation ending through the real server and two real workers (buildWorker: each drains
 * the event queues and sweeps for idle conversations on its own loop, like two `npm run
 * worker` processes sharing one database): Gemini (the real SDK against the fake Gemini)
 * summarises and classifies, CONVERSATION_ENDED reaches a loopback receiver that verifies the
 * signature with the `standardwebhooks` package. CONVERSATION_IDLE_MINUTES is 0.02 (1.2 s).
 */

let db: TestDatabase;
let fake: FakeGemini;
let server: TestServer;
let workers: WorkerApp[] = [];
let receiver: WebhookReceiver;
let businessId: string;
let webhookId: string;
let erasable: string;

beforeAll(async () => {
  fake = await FakeGemini.start();
  db = await createTestDatabase();
  receiver = await new WebhookReceiver().start();
  const config = testConfig(db, {
    ADMIN_API_KEY_HASHES: ADMIN_HASH,
    RATE_LIMIT_CHAT: 'off',
    JOB_DRIVER: 'bullmq',
    GEMINI_API_KEY: 'test',
    GEMINI_BASE_URL: fake.baseUrl,
    GEMINI_MODEL: 'fake-flash',
    GEMINI_TIMEOUT_MS: '2000',
    GEMINI_MAX_RETRIES: '0',
    CONVERSATION_IDLE_MINUTES: '0.02',
    OUTBOUND_ALLOW_HOSTS: '127.0.0.1:*',
    WEBHOOK_BACKOFF_MS: '200',
    // Each worker serves its own /metrics (a free port each).
    WORKER_METRICS_PORT: '0',
  });
  server = await startTestServer(config);
  workers = [await buildWorker(config, { logger: createSilentLogger() }), await buildWorker(config, { logger: createSilentLogger() })];
  businessId = (await seedBusiness(server.app)).id;
  const created = await gql(server.url, CreateWebhookDocument, { input: { businessId, url: receiver.url, events: ['CONVERSATION_ENDED'] } }, ADMIN);
  expect(created.errors).toBeUndefined();
  webhookId = created.data!.createWebhook.webhook.id;
  receiver.secret = created.data!.createWebhook.secret;
});

afterAll(async () => {
  for (const w of workers) await w.close();
  await server?.close();
  await receiver?.close();
  await fake?.close();
  await db?.drop();
});

async function start(): Promise<string> {
  return (await gql(server.url, StartSessionDocument, { businessId })).data!.startSession.id;
}

async function say(sessionId: string, text: string): Promise<void> {
  const res = await gql(server.url, ChatDocument, { input: { sessionId, text } });
  expect(res.errors).toBeUndefined();
}

async function conversation(id: string) {
  return (await gql(server.url, ConversationDocument, { id }, ADMIN)).data?.conversation ?? null;
}

/** Waits (on the stored state) until the worker has ended the conversation. */
async function ended(id: string) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const c = await conversation(id);
    if (c?.endedAt) return c;
    if (Date.now() > deadline) throw new Error(`conversation ${id} was not ended`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface EndedBody {
  type: string;
  timestamp: string;
  data: { conversation: { id: string; businessId: string; summary: string | null; intent: string; sentiment: string; messages: Array<{ id: string; role: string; text: string }>; lead: unknown } };
}

function bodiesFor(id: string): EndedBody[] {
  return receiver.received.map((r) => JSON.parse(r.body) as EndedBody).filter((b) => b.data.conversation.id === id);
}

/** conversations_ended_total{sentiment} summed over both workers' /metrics. */
async function ends(sentiment: string): Promise<number> {
  let n = 0;
  for (const w of workers) n += await metricValue(`http://127.0.0.1:${w.metricsPort}`, 'conversations_ended_total', { sentiment });
  return n;
}

function visitorText(request: RecordedRequest): string {
  return request.body.contents.flatMap((c) => c.parts.map((p) => p.text ?? '')).join('\n');
}

describe('an idle conversation', () => {
  it('ends with Gemini’s summary, intent and sentiment and reaches the webhook once, signed', async () => {
    fake.classification = (request) => (visitorText(request).includes('book an appointment') ? { intent: 'booking', sentiment: 'POSITIVE' } : { intent: 'other', sentiment: 'NEUTRAL' });
    const s = await start();
    await say(s, 'Can I book an appointment for Tuesday? Thanks, that would be great!');
    const silent = await start();

    const [hook] = await receiver.waitFor(1);
    expect(hook.verified).toBe(true);
    const body = JSON.parse(hook.body) as EndedBody;
    expect(body.type).toBe('conversation.ended');
    expect(body.data.conversation).toMatchObject({ id: s, businessId, summary: 'FAKE SUMMARY of the earlier turns.', intent: 'booking', sentiment: 'POSITIVE', lead: null });
    expect(body.data.conversation.messages.filter((m) => m.role === 'USER').map((m) => m.text)).toEqual(['Can I book an appointment for Tuesday? Thanks, that would be great!']);

    // Through the real SDK: a summary request and a classification constrained by a response schema.
    const classify = fake.of('generate').filter(isStructured);
    expect(classify).toHaveLength(1);
    expect(classify[0].body.generationConfig!.responseSchema!.properties!.intent.enum).toEqual(['information', 'pricing', 'booking', 'support', 'complaint', 'other']);
    expect(visitorText(classify[0])).toContain('Can I book an appointment for Tuesday?');
    expect(fake.of('generate').filter((r) => !isStructured(r)).some((r) => visitorText(r).includes('book an appointment'))).toBe(true);

    const c = await ended(s);
    expect(c).toMatchObject({ summary: 'FAKE SUMMARY of the earlier turns.', intent: 'booking', sentiment: 'POSITIVE' });
    expect(new Date(c.endedAt!).getTime()).toBeGreaterThanOrEqual(new Date(c.lastMessageAt).getTime() + 1_200);

    // A session in which the visitor never wrote is closed without a model call or a delivery.
    const closed = await ended(silent);
    expect(closed).toMatchObject({ summary: null, intent: null, sentiment: null });
    const deliveries = (await gql(server.url, WebhookDeliveriesDocument, { webhookId }, ADMIN)).data!.webhookDeliveries;
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]).toMatchObject({ id: hook.id, event: 'CONVERSATION_ENDED', state: 'SUCCEEDED' });
    // Two workers swept all along; neither ends a conversation again.
    expect(await workers[0].conversations.tasks.endIdle(new Date(Date.now() + 3_600_000))).toBe(0);
    expect(bodiesFor(s)).toHaveLength(1);
    expect(receiver.received).toHaveLength(1);
    // Read from the workers' own /metrics: one POSITIVE ending, one without visitor messages.
    expect(await ends('POSITIVE')).toBe(1);
    expect(await ends('none')).toBe(1);
  });

  it('several idle conversations at once: each ended and delivered exactly once by the two workers', async () => {
    receiver.received.length = 0;
    const ids = [await start(), await start(), await start(), await start()];
    for (const id of ids) await say(id, 'How much does whitening cost?');
    await receiver.waitFor(ids.length);
    for (const id of ids) await ended(id);
    // Give a second delivery every chance to show up: a sweep of both workers after the ends.
    await Promise.all(workers.map((w) => w.conversations.tasks.endIdle(new Date(Date.now() + 3_600_000))));
    await Promise.all(workers.map((w) => w.webhooks.runDue()));
    for (const id of ids) expect(bodiesFor(id)).toHaveLength(1);
    expect(receiver.received.every((r) => r.verified)).toBe(true);
  });

  it('Gemini failing: not ended then, retried on a later sweep, delivered once; after repeated failures the offline labels stand in', async () => {
    receiver.received.length = 0;
    fake.classification = () => ({ intent: 'support', sentiment: 'NEGATIVE' });
    // One failure: the summary request answers 500; the next sweep asks again.
    fake.next('generate', '500');
    const once = await start();
    await say(once, 'My crown is broken and it hurts, can you help?');
    const c = await ended(once);
    expect(c).toMatchObject({ summary: 'FAKE SUMMARY of the earlier turns.', intent: 'support', sentiment: 'NEGATIVE' });
    await receiver.waitFor(1);
    expect(bodiesFor(once)).toHaveLength(1);
    // The failed summary request and the one that answered.
    expect(fake.of('generate').filter((r) => !isStructured(r) && visitorText(r).includes('My crown is broken'))).toHaveLength(2);

    // Gemini down for good: after three failed tries the offline summary and the lexicon classifier.
    fake.next('generate', '500', '500', '500');
    const down = await start();
    await say(down, 'This is terrible, I want to complain about the awful service.');
    const offline = await ended(down);
    expect(offline.summary).toContain('The visitor asked: This is terrible, I want to complain about the awful service.');
    expect(offline).toMatchObject({ intent: 'complaint', sentiment: 'NEGATIVE' });
    expect(fake.of('generate').filter((r) => visitorText(r).includes('This is terrible'))).toHaveLength(3);
    expect(await ends('NEGATIVE')).toBe(2);
    await receiver.waitFor(2);
    expect(bodiesFor(down)).toHaveLength(1);
    erasable = down;
  });

  it('endSession erases the CONVERSATION_ENDED payload of the session (its transcript)', async () => {
    const s = erasable;
    expect((await rows<{ n: number }>(server.app, 'select count(*)::int as n from webhook_deliveries where session_id = ? and body is not null', [s]))[0].n).toBe(1);
    expect((await gql(server.url, EndSessionDocument, { id: s })).data?.endSession).toBe(true);
    expect((await rows<{ n: number }>(server.app, 'select count(*)::int as n from webhook_deliveries where session_id = ? and body is not null', [s]))[0].n).toBe(0);
    expect(await conversation(s)).toBeNull();
  });
});
