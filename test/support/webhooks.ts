import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import type { Core } from '../../src/core';
import { WebhookEntity, WebhookEvent } from '../../src/webhooks/webhook.entity';
import { newWebhookSecret, SecretBox, secretsKey } from '../../src/webhooks/webhook.secret';

/** One request a {@link WebhookReceiver} got, with what the Standard Webhooks library said of it. */
export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  body: string;
  /** The `webhook-id` header. */
  id: string;
  /** Verified by the `standardwebhooks` package with the webhook's secret; null: no secret set. */
  verified: boolean | null;
  /** The status the receiver answered. */
  answered: number;
}

/**
 * A loopback webhook receiver (what a business's CRM endpoint would be). It verifies every
 * request with the `standardwebhooks` package (an implementation of the spec independent of
 * ours), answers with `statuses` in order (then 200), and can `hold` requests unanswered (a
 * receiver that hangs while the worker is killed).
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  /** Statuses to answer, in order; once used up, 200. */
  statuses: number[] = [];
  /** While true, requests are recorded but never answered. */
  hold = false;
  secret: string | undefined;
  private server!: Server;
  private held: ServerResponse[] = [];
  private waiters: Array<() => void> = [];
  port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        let verified: boolean | null = null;
        if (this.secret) {
          try {
            new Webhook(this.secret).verify(body, req.headers as Record<string, string>);
            verified = true;
          } catch {
            verified = false;
          }
        }
        const answered = this.hold ? 0 : (this.statuses.shift() ?? 200);
        this.received.push({ headers: req.headers, body, id: String(req.headers['webhook-id']), verified, answered });
        if (this.hold) this.held.push(res);
        else res.writeHead(answered, { 'content-type': 'text/plain' }).end('ok');
        const waiters = this.waiters;
        this.waiters = [];
        for (const w of waiters) w();
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** Resolves once `count` requests have arrived (event-driven), or rejects after `timeoutMs`. */
  async waitFor(count: number, timeoutMs = 20_000): Promise<ReceivedWebhook[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.length < count) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`receiver got ${this.received.length} of ${count} requests in ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.received.slice(0, count);
  }

  async close(): Promise<void> {
    for (const res of this.held) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * A webhook stored as createWebhook stores it (secret sealed with the core's key), for tests
 * that drive the outbox below the admin API. Returns the row and the clear secret.
 */
export async function seedWebhook(
  core: Pick<Core, 'orm' | 'config'>,
  fields: { businessId: string; url: string; events?: WebhookEvent[]; enabled?: boolean },
): Promise<{ webhook: WebhookEntity; secret: string }> {
  const secret = newWebhookSecret();
  const webhook = Object.assign(new WebhookEntity(), { events: [WebhookEvent.LEAD_CREATED], ...fields });
  webhook.secretCiphertext = new SecretBox(secretsKey(core.config.webhooks.secretKey, core.config.databaseUrl)).seal(secret, webhook.id);
  await core.orm.em.fork().persistAndFlush(webhook);
  return { webhook, secret };
}
