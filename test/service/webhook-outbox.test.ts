import { Client } from 'pg';
import { WebhookDeliveryEntity, WebhookEntity, WebhookEvent } from '../../src/webhooks/webhook.entity';
import { seedBusiness } from '../support/chat';
import { PLATFORM, startTestCore, type TestCore } from '../support/core';
import { createTestDatabase, type TestDatabase } from '../support/stores';
import { seedWebhook, WebhookReceiver } from '../support/webhooks';

/**
 * The webhooks outbox through the core (no HTTP, no poller): `enqueue` in a transaction, then
 * `runDue` plays one pass of the worker against a loopback receiver that verifies signatures
 * with the `standardwebhooks` package.
 */

const BACKOFF_MS = 60_000;
const LEAD_ID = '0b7c6f1e-1111-4a2b-9c3d-222233334444';

let db: TestDatabase;
let core: TestCore;
let receiver: WebhookReceiver;
let pg: Client;

beforeAll(async () => {
  db = await createTestDatabase();
  core = await startTestCore(db, { OUTBOUND_ALLOW_HOSTS: '127.0.0.1:*', WEBHOOK_BACKOFF_MS: String(BACKOFF_MS), WEBHOOK_MAX_ATTEMPTS: '3', WEBHOOK_TIMEOUT_MS: '2000' });
  receiver = await new WebhookReceiver().start();
  pg = new Client({ connectionString: db.url });
  await pg.connect();
});

afterAll(async () => {
  await pg?.end();
  await receiver?.close();
  await core?.close();
  await db?.drop();
});

beforeEach(async () => {
  receiver.received.length = 0;
  receiver.statuses = [];
  receiver.hold = false;
  // Each test sends only its own deliveries.
  await pg.query(`update webhook_deliveries set state = 'FAILED', next_attempt_at = null where state = 'PENDING'`);
});

async function deliveries(webhookId: string): Promise<WebhookDeliveryEntity[]> {
  return core.orm.em.fork().find(WebhookDeliveryEntity, { webhookId }, { orderBy: { createdAt: 'asc' }, populate: ['body'] });
}

/** Makes the webhook's pending deliveries due now (the test does not wait out the backoff). */
async function makeDue(webhookId: string): Promise<void> {
  await pg.query(`update webhook_deliveries set next_attempt_at = now() where webhook_id = $1 and state = 'PENDING'`, [webhookId]);
}

const lead = (name: string) => ({ lead: { id: LEAD_ID, name, email: 'ana@example.com' } });

describe('WebhookOutbox.enqueue', () => {
  it('writes nothing when the caller\'s transaction rolls back, one delivery per subscribed webhook when it commits', async () => {
    const { id: businessId } = await seedBusiness(core);
    const { webhook } = await seedWebhook(core, { businessId, url: receiver.url });
    const { webhook: other } = await seedWebhook(core, { businessId, url: receiver.url, events: [WebhookEvent.CONVERSATION_ENDED] });
    const { webhook: off } = await seedWebhook(core, { businessId, url: receiver.url, enabled: false });

    await expect(
      core.orm.em.fork().transactional(async (em) => {
        await core.webhooks.enqueue(em, businessId, 'lead.created', lead('Ana'));
        throw new Error('the lead insert failed');
      }),
    ).rejects.toThrow('the lead insert failed');
    expect(await deliveries(webhook.id)).toEqual([]);

    await core.orm.em.fork().transactional((em) => core.webhooks.enqueue(em, businessId, 'lead.created', lead('Ana')));
    const [delivery, ...more] = await deliveries(webhook.id);
    expect(more).toEqual([]);
    expect(delivery).toMatchObject({ state: 'PENDING', attempts: 0, event: 'LEAD_CREATED', leadId: LEAD_ID, businessId });
    expect(JSON.parse(delivery.body!)).toEqual({ type: 'lead.created', timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), data: lead('Ana') });
    expect(await deliveries(other.id)).toEqual([]);
    expect(await deliveries(off.id)).toEqual([]);
  });
});

describe('WebhookDispatcher.runDue', () => {
  it('POSTs the exact body, signed per Standard Webhooks with webhook-id = the delivery id, and records SUCCEEDED', async () => {
    const { id: businessId } = await seedBusiness(core);
    const { webhook, secret } = await seedWebhook(core, { businessId, url: receiver.url });
    receiver.secret = secret;
    await core.orm.em.fork().transactional((em) => core.webhooks.enqueue(em, businessId, 'lead.created', lead('Ana')));

    expect(await core.webhooks.runDue()).toBe(1);
    const [request] = await receiver.waitFor(1);
    const [delivery] = await deliveries(webhook.id);
    expect(request.verified).toBe(true);
    expect(request.id).toBe(delivery.id);
    expect(request.body).toBe(delivery.body);
    expect(request.headers['content-type']).toBe('application/json');
    expect(Number(request.headers['webhook-timestamp'])).toBeGreaterThan(1_700_000_000);
    expect(delivery).toMatchObject({ state: 'SUCCEEDED', attempts: 1, lastStatus: 200, lastError: null, nextAttemptAt: null, deliveredAt: expect.any(Date) });
    expect(delivery.history).toEqual([{ attempt: 1, at: expect.any(String), status: 200, error: null, nextAttemptAt: null }]);
    expect(await core.webhooks.runDue()).toBe(0);
  });

  it('retries a non-2xx answer with doubling delays and the same webhook-id, then FAILED after the last attempt', async () => {
    const { id: businessId } = await seedBusiness(core);
    const { webhook, secret } = await seedWebhook(core, { businessId, url: receiver.url });
    receiver.secret = secret;
    receiver.statuses = [500, 503, 500];
    await core.orm.em.fork().transactional((em) => core.webhooks.enqueue(em, businessId, 'lead.created', lead('Ana')));

    await core.webhooks.runDue();
    // Not due again before its backoff.
    expect(await core.webhooks.runDue()).toBe(0);
    await makeDue(webhook.id);
    await core.webhooks.runDue();
    await makeDue(webhook.id);
    await core.webhooks.runDue();

    const requests = await receiver.waitFor(3);
    const [delivery] = await deliveries(webhook.id);
    expect(requests.map((r) => r.id)).toEqual([delivery.id, delivery.id, delivery.id]);
    expect(requests.every((r) => r.verified)).toBe(true);
    expect(delivery).toMatchObject({ state: 'FAILED', attempts: 3, lastStatus: 500, lastError: 'the receiver answered HTTP 500', nextAttemptAt: null, deliveredAt: null });
    const delays = delivery.history.map((h) => (h.nextAttemptAt ? Date.parse(h.nextAttemptAt) - Date.parse(h.at) : null));
    expect(delays).toEqual([BACKOFF_MS, 2 * BACKOFF_MS, null]);
    expect(delivery.history.map((h) => h.status)).toEqual([500, 503, 500]);
  });

  it('counts attempts by outcome and observes the latency of delivered ones', async () => {
    const count = async (outcome: string) => (await core.metrics.webhookDeliveries.get()).values.find((v) => v.labels.outcome === outcome)?.value ?? 0;
    const latencies = async () => (await core.metrics.webhookDeliveryLatency.get()).values.find((v) => v.metricName === 'webhook_delivery_latency_seconds_count')?.value ?? 0;
    const before = { retry: await count('retry'), delivered: await count('delivered'), latencies: await latencies() };
    const { id: businessId } = await seedBusiness(core);
    const { webhook } = await seedWebhook(core, { businessId, url: receiver.url });
    receiver.statuses = [500];
    await core.orm.em.fork().transactional((em) => core.webhooks.enqueue(em, businessId, 'lead.created', lead('Ana')));
    await core.webhooks.runDue();
    await makeDue(webhook.id);
    await core.webhooks.runDue();
    expect({ retry: await count('retry'), delivered: await count('delivered'), latencies: await latencies() }).toEqual({
      retry: before.retry + 1,
      delivered: before.delivered + 1,
      latencies: before.latencies + 1,
    });
  });

  it('counts a receiver that does not answer within WEBHOOK_TIMEOUT_MS as a failed attempt, retried later', async () => {
    const { id: businessId } = await seedBusiness(core);
    const { webhook } = await seedWebhook(core, { businessId, url: receiver.url });
    receiver.hold = true;
    try {
      await core.orm.em.fork().transactional((em) => core.webhooks.enqueue(em, businessId, 'lead.created', lead('Ana')));
      await core.webhooks.runDue();
    } finally {
      receiver.hold = false;
    }
    const [delivery] = await deliveries(webhook.id);
    expect(delivery).toMatchObject({ state: 'PENDING', attempts: 1, lastStatus: null, lastError: 'the request took too long' });
    expect(Date.parse(delivery.history[0].nextAttemptAt!) - Date.parse(delivery.history[0].at)).toBe(BACKOFF_MS);
    expect(receiver.received).toHaveLength(1);
  });

  it('fails a delivery to a refused address without sending a request', async () => {
    const { id: businessId } = await seedBusiness(core);
    const { webhook } = await seedWebhook(core, { businessId, url: 'http://10.1.2.3/hooks' });
    await core.orm.em.fork().transactional((em) => core.webhooks.enqueue(em, businessId, 'lead.created', lead('Ana')));
    await core.webhooks.runDue();
    const [delivery] = await deliveries(webhook.id);
    expect(delivery).toMatchObject({ state: 'FAILED', attempts: 1, lastStatus: null, lastError: 'the URL points to an address or port that may not be reached' });
    expect(receiver.received).toEqual([]);
  });

  it('disables a webhook whose attempts have all failed for a day, with a reason; it gets no new deliveries', async () => {
    const { id: businessId } = await seedBusiness(core);
    const { webhook } = await seedWebhook(core, { businessId, url: receiver.url });
    receiver.statuses = [500];
    await pg.query(`update webhooks set failing_since = now() - interval '25 hours' where id = $1`, [webhook.id]);
    await core.orm.em.fork().transactional((em) => core.webhooks.enqueue(em, businessId, 'lead.created', lead('Ana')));
    await core.webhooks.runDue();
    const stored = await core.orm.em.fork().findOneOrFail(WebhookEntity, webhook.id);
    expect(stored.enabled).toBe(false);
    expect(stored.disabledReason).toMatch(/failed for 24 hours.*HTTP 500/);

    await core.orm.em.fork().transactional((em) => core.webhooks.enqueue(em, businessId, 'lead.created', lead('Ana')));
    expect(await deliveries(webhook.id)).toHaveLength(1);
  });

  it('a success clears the failing streak, so a later failure does not disable', async () => {
    const { id: businessId } = await seedBusiness(core);
    const { webhook } = await seedWebhook(core, { businessId, url: receiver.url });
    await pg.query(`update webhooks set failing_since = now() - interval '25 hours' where id = $1`, [webhook.id]);
    await core.orm.em.fork().transactional((em) => core.webhooks.enqueue(em, businessId, 'lead.created', lead('Ana')));
    await core.webhooks.runDue();
    receiver.statuses = [500];
    await core.orm.em.fork().transactional((em) => core.webhooks.enqueue(em, businessId, 'lead.created', lead('Ana')));
    await core.webhooks.runDue();
    const stored = await core.orm.em.fork().findOneOrFail(WebhookEntity, webhook.id);
    expect(stored).toMatchObject({ enabled: true, disabledReason: null, failingSince: expect.any(Date) });
  });
});

describe('WebhookService.create without WEBHOOK_SECRET_KEY', () => {
  it('refuses in production (no key derived from the database URL there), naming the variable', async () => {
    const prod = await startTestCore(db, { NODE_ENV: 'production', ALLOWED_ORIGINS: 'https://a.example', OUTBOUND_ALLOW_HOSTS: '127.0.0.1:*' });
    try {
      const { id: businessId } = await seedBusiness(prod);
      await expect(prod.webhookService.create(PLATFORM, { businessId, url: receiver.url, events: [WebhookEvent.LEAD_CREATED] })).rejects.toMatchObject({
        code: 'INTERNAL_SERVER_ERROR',
        message: expect.stringContaining('WEBHOOK_SECRET_KEY'),
      });
    } finally {
      await prod.close();
    }
  });
});

describe('WebhookDispatcher.eraseForLead', () => {
  it('erases the bodies of the lead\'s deliveries and stops the pending ones', async () => {
    const { id: businessId } = await seedBusiness(core);
    const { webhook } = await seedWebhook(core, { businessId, url: receiver.url, events: [WebhookEvent.LEAD_CREATED, WebhookEvent.LEAD_UPDATED] });
    await core.orm.em.fork().transactional((em) => core.webhooks.enqueue(em, businessId, 'lead.created', lead('Ana')));
    await core.webhooks.runDue();
    await core.orm.em.fork().transactional((em) => core.webhooks.enqueue(em, businessId, 'lead.updated', lead('Ana')));
    await core.orm.em.fork().transactional((em) => core.webhooks.enqueue(em, businessId, 'lead.created', { lead: { id: '9b7c6f1e-1111-4a2b-9c3d-222233334444' } }));
    receiver.received.length = 0;

    await core.orm.em.fork().transactional((em) => core.webhooks.eraseForLead(em, LEAD_ID));
    const rows = await deliveries(webhook.id);
    expect(rows.map((d) => [d.state, d.body === null])).toEqual([
      ['SUCCEEDED', true],
      ['FAILED', true],
      ['PENDING', false],
    ]);
    expect(rows[1].lastError).toBe('payload erased');
    await core.webhooks.runDue();
    expect((await receiver.waitFor(1)).map((r) => JSON.parse(r.body).data.lead.id)).toEqual(['9b7c6f1e-1111-4a2b-9c3d-222233334444']);
  });
});
