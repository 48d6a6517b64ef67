import type { EntityManager } from '@mikro-orm/postgresql';
import type { Orm } from '../db/orm';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { OutboundError, type OutboundClient } from '../outbound/outbound.client';
import { DeliveryState, WebhookDeliveryEntity, WebhookEntity, WebhookEvent, type DeliveryAttemptRecord } from './webhook.entity';
import type { WebhookEventType, WebhookOutbox } from './webhook.events';
import { signWebhook, type SecretBox } from './webhook.secret';

/** The wire's `type` of each event. */
export const EVENT_TYPES: Record<WebhookEvent, WebhookEventType> = {
  [WebhookEvent.LEAD_CREATED]: 'lead.created',
  [WebhookEvent.LEAD_UPDATED]: 'lead.updated',
  [WebhookEvent.CONVERSATION_ENDED]: 'conversation.ended',
};
const EVENTS_BY_TYPE = Object.fromEntries(Object.entries(EVENT_TYPES).map(([event, type]) => [type, event])) as Record<WebhookEventType, WebhookEvent>;

/** A webhook whose every attempt has failed for this long is disabled (see {@link WebhookDispatcher}). */
export const DISABLE_AFTER_MS = 24 * 3600 * 1000;
/** Lease of one attempt beyond WEBHOOK_TIMEOUT_MS: room for the database writes around the request. */
const LEASE_MARGIN_MS = 2_000;
/** Bytes of a receiver's answer read at most (it is not stored; only the status matters). */
const MAX_ANSWER_BYTES = 64 * 1024;

export interface DispatcherOptions {
  orm: Orm;
  outbound: OutboundClient;
  secrets: SecretBox;
  metrics: Metrics;
  logger: Logger;
  timeoutMs: number;
  maxAttempts: number;
  backoffMs: number;
  /** Deliveries a poll claims at once (and sends concurrently); default 10. */
  batchSize?: number;
  /** Longest sleep of the poller between two looks at the table; default 500 ms. */
  pollMs?: number;
}

interface ClaimedRow {
  id: string;
  webhook_id: string;
  body: string | null;
  attempts: number;
  created_at: Date;
  url: string;
  secret_ciphertext: string;
}

/** What a claimed attempt came to. */
interface AttemptResult {
  status: number | null;
  error: string | null;
  /** A refusal by the outbound rules: final, no retry, no request sent. */
  refused?: boolean;
}

/**
 * The transactional outbox and its sender.
 *
 * **Enqueue** (`enqueue`, in the caller's transaction) writes one PENDING delivery row per
 * enabled webhook of the business subscribed to the event, with the exact body it will send.
 * Postgres down: the caller's transaction fails as a whole — no event without its deliveries.
 *
 * **Delivery** is a poller in the worker process (`start`), not a BullMQ job: the due time of
 * every attempt is a column (`next_attempt_at`) of the row, so Postgres alone says what is due;
 * there is no second copy in Redis to lose or to reconcile, and Redis being down does not stop
 * deliveries. A poll claims due rows with `FOR UPDATE SKIP LOCKED` (several workers share the
 * table without sending a row twice at once); the claim counts the attempt and moves
 * `next_attempt_at` to the end of a lease (timeout + margin), then commits before any request.
 * The POST goes through the outbound client (checked again at connect time; a refused address
 * fails the delivery at once, no request sent), signed per Standard Webhooks with `webhook-id`
 * = the delivery id. 2xx: SUCCEEDED. Otherwise the next attempt is due after
 * `backoffMs × 2^(attempt−1)`; after `maxAttempts`, FAILED. The result is written only while
 * the row is still this claim's (same attempt count).
 *
 * Failures mid-way: worker killed or Postgres lost after the claim → the row stays PENDING and
 * is claimed again when the lease ends (the receiver may get the same `webhook-id` twice:
 * at-least-once, receivers dedupe by id); receiver down or slow → an attempt failure, retried.
 *
 * **Disabling:** a failed attempt sets the webhook's `failing_since` (if unset); a success
 * clears it; a failure at least {@link DISABLE_AFTER_MS} after `failing_since` disables the
 * webhook with a `disabledReason`. A disabled webhook's PENDING deliveries wait (not claimed)
 * and resume when it is enabled again.
 */
export class WebhookDispatcher implements WebhookOutbox {
  private readonly batchSize: number;
  private readonly pollMs: number;
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private postgresFailing = false;

  constructor(private readonly options: DispatcherOptions) {
    this.batchSize = options.batchSize ?? 10;
    this.pollMs = options.pollMs ?? 500;
  }

  // ---- the outbox ----

  async enqueue(em: EntityManager, businessId: string, type: WebhookEventType, data: Record<string, unknown>): Promise<void> {
    const event = EVENTS_BY_TYPE[type];
    if (!event) throw new Error(`unknown webhook event type "${type}"`);
    const webhooks = await em.find(WebhookEntity, { businessId, enabled: true }, { fields: ['id', 'events'] });
    const subscribed = webhooks.filter((w) => w.events.includes(event));
    if (subscribed.length === 0) return;
    const body = JSON.stringify({ type, timestamp: new Date().toISOString(), data });
    const leadId = leadIdOf(data);
    const sessionId = sessionIdOf(data);
    const now = new Date();
    const rows = subscribed.map((w) => Object.assign(new WebhookDeliveryEntity(), { webhookId: w.id, businessId, event, leadId, sessionId, body, createdAt: now, nextAttemptAt: now }));
    await em.insertMany(WebhookDeliveryEntity, rows);
  }

  /**
   * Erases the bodies of every delivery about `leadId` (deleteLead), in the caller's
   * transaction; a PENDING one becomes FAILED ("payload erased"), nothing more is sent.
   */
  async eraseForLead(em: EntityManager, leadId: string): Promise<number> {
    await em.nativeUpdate(WebhookDeliveryEntity, { leadId, state: DeliveryState.PENDING }, { state: DeliveryState.FAILED, nextAttemptAt: null, lastError: 'payload erased' });
    return em.nativeUpdate(WebhookDeliveryEntity, { leadId }, { body: null });
  }

  /**
   * Erases the bodies of every delivery about these chat sessions (the visitor's endSession:
   * a CONVERSATION_ENDED payload carries the transcript), in the caller's transaction or on its
   * own; a PENDING one becomes FAILED ("payload erased"), nothing more is sent. Postgres down:
   * throws, and the erasure (which keeps the session sealed) runs again on the next endSession.
   */
  async eraseForSessions(em: EntityManager, sessionIds: readonly string[]): Promise<number> {
    if (!sessionIds.length) return 0;
    const ids = [...sessionIds];
    await em.nativeUpdate(WebhookDeliveryEntity, { sessionId: { $in: ids }, state: DeliveryState.PENDING }, { state: DeliveryState.FAILED, nextAttemptAt: null, lastError: 'payload erased' });
    return em.nativeUpdate(WebhookDeliveryEntity, { sessionId: { $in: ids }, body: { $ne: null } }, { body: null });
  }

  // ---- the sender ----

  /** Starts the poller (the worker process; the api only with the inline job driver). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.poll();
  }

  /** Stops polling and lets the attempts in flight finish (each bounded by the timeout). */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  private async poll(): Promise<void> {
    while (this.running) {
      let claimed = 0;
      try {
        claimed = await this.runDue();
        if (this.postgresFailing) this.options.logger.info('webhook deliveries resumed');
        this.postgresFailing = false;
      } catch (err) {
        if (!this.postgresFailing) this.options.logger.error('webhook deliveries paused: cannot read the outbox', { error: errorText(err) });
        this.postgresFailing = true;
      }
      if (claimed >= this.batchSize || !this.running) continue;
      const sleepMs = this.postgresFailing ? this.pollMs : await this.untilNextDue().catch(() => this.pollMs);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, sleepMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  private async untilNextDue(): Promise<number> {
    const [row] = await this.options.orm.em
      .getConnection()
      .execute<Array<{ ms: number | null }>>(
        `select extract(epoch from (min(d.next_attempt_at) - now())) * 1000 as ms from webhook_deliveries d join webhooks w on w.id = d.webhook_id where d.state = 'PENDING' and w.enabled`,
      );
    const ms = row?.ms === null || row?.ms === undefined ? this.pollMs : Number(row.ms);
    return Math.max(0, Math.min(this.pollMs, Math.ceil(ms)));
  }

  /**
   * Claims the deliveries due now (at most a batch) and sends them concurrently; resolves with
   * how many it claimed once all are recorded. Tests call it to deliver without the poller.
   */
  async runDue(): Promise<number> {
    const rows = await this.claim();
    await Promise.all(rows.map((row) => this.attempt(row)));
    return rows.length;
  }

  private async claim(): Promise<ClaimedRow[]> {
    const leaseMs = this.options.timeoutMs + LEASE_MARGIN_MS;
    return this.options.orm.em.getConnection().execute<ClaimedRow[]>(
      `update webhook_deliveries d
          set attempts = d.attempts + 1, next_attempt_at = now() + (? * interval '1 millisecond')
         from webhooks w
        where w.id = d.webhook_id
          and d.id in (select d2.id from webhook_deliveries d2 join webhooks w2 on w2.id = d2.webhook_id
                        where d2.state = 'PENDING' and d2.next_attempt_at <= now() and w2.enabled
                        order by d2.next_attempt_at limit ? for update of d2 skip locked)
        returning d.id, d.webhook_id, d.body, d.attempts, d.created_at, w.url, w.secret_ciphertext`,
      [leaseMs, this.batchSize],
    );
  }

  private async attempt(row: ClaimedRow): Promise<void> {
    const startedAt = new Date();
    let result: AttemptResult;
    if (row.body === null) {
      result = { status: null, error: 'payload erased', refused: true };
    } else {
      result = await this.send(row, row.body, startedAt);
    }
    try {
      await this.record(row, startedAt, result);
    } catch (err) {
      // Postgres went away after the request: the lease runs out and the delivery is sent again.
      this.options.logger.warn('webhook delivery result not recorded; it will be retried', { deliveryId: row.id, error: errorText(err) });
    }
  }

  private async send(row: ClaimedRow, body: string, at: Date): Promise<AttemptResult> {
    let secret: string;
    try {
      secret = this.options.secrets.open(row.secret_ciphertext, row.webhook_id);
    } catch {
      this.options.logger.error('webhook secret cannot be decrypted (WEBHOOK_SECRET_KEY changed?)', { webhookId: row.webhook_id });
      return { status: null, error: 'the webhook secret cannot be read on this server' };
    }
    const timestamp = Math.floor(at.getTime() / 1000);
    try {
      const res = await this.options.outbound.fetch(row.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'WarmProspectConcierge-Webhooks/1',
          'webhook-id': row.id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signWebhook(secret, row.id, timestamp, body),
        },
        body,
        timeoutMs: this.options.timeoutMs,
        maxRedirects: 0,
        maxBytes: MAX_ANSWER_BYTES,
      });
      if (res.status >= 200 && res.status < 300) return { status: res.status, error: null };
      return { status: res.status, error: `the receiver answered HTTP ${res.status}` };
    } catch (err) {
      if (err instanceof OutboundError) {
        // A big answer to a 2xx was still an answer; every other reason is a failure.
        if (err.reason === 'refused' || err.reason === 'invalid_url') return { status: null, error: err.message, refused: true };
        return { status: null, error: err.message };
      }
      return { status: null, error: 'the request could not be completed' };
    }
  }

  private async record(row: ClaimedRow, at: Date, result: AttemptResult): Promise<void> {
    const { maxAttempts, backoffMs, metrics } = this.options;
    const delivered = result.error === null;
    const final = delivered || result.refused === true || row.attempts >= maxAttempts;
    const nextAttemptAt = final ? null : new Date(at.getTime() + backoffMs * 2 ** (row.attempts - 1));
    const entry: DeliveryAttemptRecord = { attempt: row.attempts, at: at.toISOString(), status: result.status, error: result.error, nextAttemptAt: nextAttemptAt?.toISOString() ?? null };
    const state = delivered ? DeliveryState.SUCCEEDED : final ? DeliveryState.FAILED : DeliveryState.PENDING;
    const em = this.options.orm.em.fork();
    let disabled = false;
    await em.transactional(async (tx) => {
      const conn = tx.getConnection();
      const updated = await conn.execute<Array<{ id: string }>>(
        `update webhook_deliveries
            set state = ?, last_status = ?, last_error = ?, next_attempt_at = ?, delivered_at = ?, history = history || ?::jsonb
          where id = ? and attempts = ? and state = 'PENDING'
          returning id`,
        [state, result.status, result.error, nextAttemptAt, delivered ? new Date() : null, JSON.stringify([entry]), row.id, row.attempts],
        'all',
        tx.getTransactionContext(),
      );
      if (updated.length === 0) return; // another claim took it over (our lease ran out): its result counts
      if (delivered) {
        await conn.execute(`update webhooks set failing_since = null where id = ? and failing_since is not null`, [row.webhook_id], 'run', tx.getTransactionContext());
        return;
      }
      const [hook] = await conn.execute<Array<{ failing_since: Date | null; enabled: boolean }>>(
        `update webhooks set failing_since = coalesce(failing_since, ?) where id = ? returning failing_since, enabled`,
        [at, row.webhook_id],
        'all',
        tx.getTransactionContext(),
      );
      if (hook?.enabled && hook.failing_since && at.getTime() - new Date(hook.failing_since).getTime() >= DISABLE_AFTER_MS) {
        const reason = `Every delivery attempt failed for 24 hours (since ${new Date(hook.failing_since).toISOString()}); last error: ${result.error}. Fix the receiver, then enable the webhook again.`;
        await conn.execute(`update webhooks set enabled = false, disabled_reason = ? where id = ?`, [reason, row.webhook_id], 'run', tx.getTransactionContext());
        disabled = true;
      }
    });
    metrics.webhookDeliveries.inc({ outcome: delivered ? 'delivered' : result.refused ? 'refused' : final ? 'failed' : 'retry' });
    if (delivered) metrics.webhookDeliveryLatency.observe((Date.now() - new Date(row.created_at).getTime()) / 1000);
    if (disabled) this.options.logger.warn('webhook disabled after a day of failed deliveries', { webhookId: row.webhook_id });
  }
}

/** The lead an event is about: `data.lead.id` (lead events) or `data.conversation.lead.id`. */
function leadIdOf(data: Record<string, unknown>): string | null {
  const pick = (value: unknown): string | null => {
    if (!value || typeof value !== 'object') return null;
    const id = (value as { id?: unknown }).id;
    return typeof id === 'string' ? id : null;
  };
  const conversation = data.conversation;
  const id = pick(data.lead) ?? (conversation && typeof conversation === 'object' ? pick((conversation as { lead?: unknown }).lead) : null) ?? (typeof data.leadId === 'string' ? data.leadId : null);
  return id && UUID.test(id) ? id : null;
}

/** The chat session an event is about: `data.conversation.id`, or the lead's `sessionId`. */
function sessionIdOf(data: Record<string, unknown>): string | null {
  const conversation = data.conversation as { id?: unknown } | undefined;
  if (conversation && typeof conversation === 'object' && typeof conversation.id === 'string') return conversation.id;
  const lead = data.lead as { sessionId?: unknown } | undefined;
  if (lead && typeof lead === 'object' && typeof lead.sessionId === 'string') return lead.sessionId;
  return null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
