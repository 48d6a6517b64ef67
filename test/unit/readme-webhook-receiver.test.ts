import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { newWebhookSecret, signWebhook } from '../../src/webhooks/webhook.secret';
import { ChildServer, freePort } from '../support/process';
import { readmeCodeBlock } from '../support/readme';

/**
 * The receiver example in README ("Webhooks: receiving leads in your CRM") runs as written:
 * it accepts a request signed the way the worker signs, and refuses a tampered body, a wrong
 * secret and a stale timestamp.
 */

describe('README webhook receiver example', () => {
  const secret = newWebhookSecret();
  let dir: string;
  let child: ChildServer;
  let port: number;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'receiver-'));
    writeFileSync(path.join(dir, 'receiver.js'), readmeCodeBlock('### Webhooks: receiving leads in your CRM', 'js'));
    port = await freePort();
    child = new ChildServer(path.join(dir, 'receiver.js'), { WEBHOOK_SECRET: secret, PORT: String(port) });
    // Up once it answers (a refused connection means it is still starting).
    for (let i = 0; ; i++) {
      try {
        await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: '' });
        break;
      } catch (err) {
        if (i > 100) throw err;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  });

  afterAll(async () => {
    await child?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function post(body: string, headers: Record<string, string>): Promise<number> {
    return (await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body })).status;
  }

  const body = JSON.stringify({ type: 'lead.created', timestamp: new Date().toISOString(), data: { lead: { name: 'Ana', email: 'ana@example.com' } } });
  const id = '6f1c2a3b-0000-4000-8000-000000000001';

  it('accepts a signed delivery and refuses tampered, wrongly signed and stale ones', async () => {
    const now = Math.floor(Date.now() / 1000);
    const signed = (s: string, t: number, b = body) => ({ 'webhook-id': id, 'webhook-timestamp': String(t), 'webhook-signature': signWebhook(s, id, t, b) });
    expect(await post(body, signed(secret, now))).toBe(204);
    expect(await post(body.replace('Ana', 'Eve'), signed(secret, now))).toBe(401);
    expect(await post(body, signed(newWebhookSecret(), now))).toBe(401);
    expect(await post(body, signed(secret, now - 3600))).toBe(401);
    expect(await post(body, { 'webhook-id': id, 'webhook-timestamp': String(now) })).toBe(401);
  });
});
