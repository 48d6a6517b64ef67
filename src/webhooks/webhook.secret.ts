import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Webhook secrets: made, kept encrypted at rest, and used to sign (Standard Webhooks).
 *
 * A secret is `whsec_` + base64 of 32 random bytes; the signing key is those 32 bytes. The
 * database holds only `v1.<iv>.<tag>.<ciphertext>` (base64url parts): AES-256-GCM under the
 * process's key (WEBHOOK_SECRET_KEY, 32 bytes), with the webhook id as additional data, so a
 * ciphertext copied to another row does not decrypt. A database dump without the key gives no
 * secret. The clear secret is returned once (createWebhook) and never logged.
 */

const PREFIX = 'whsec_';
const VERSION = 'v1';

/** A new secret: "whsec_" + base64 of 32 random bytes. */
export function newWebhookSecret(): string {
  return PREFIX + randomBytes(32).toString('base64');
}

/** The signing key of a secret: the base64-decoded part after "whsec_". */
export function signingKey(secret: string): Buffer {
  return Buffer.from(secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret, 'base64');
}

/**
 * The `webhook-signature` header value: `v1,` + base64(HMAC-SHA256(key, id.timestamp.body)),
 * timestamp in Unix seconds.
 */
export function signWebhook(secret: string, id: string, timestampSeconds: number, body: string): string {
  const mac = createHmac('sha256', signingKey(secret)).update(`${id}.${timestampSeconds}.${body}`).digest('base64');
  return `v1,${mac}`;
}

/**
 * The key secrets are encrypted with. `configured` is WEBHOOK_SECRET_KEY's 32 bytes; without
 * one (development and tests only: production refuses to create webhooks) a key is derived
 * from the database URL, so the api and the worker of one installation agree on it.
 */
export function secretsKey(configured: Buffer | undefined, databaseUrl: string): Buffer {
  if (configured) return configured;
  return Buffer.from(hkdfSync('sha256', createHash('sha256').update(databaseUrl).digest(), Buffer.alloc(0), 'concierge webhook secrets (development)', 32));
}

export class SecretBox {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('the webhook secrets key must be 32 bytes');
  }

  seal(secret: string, webhookId: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(webhookId));
    const ciphertext = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return [VERSION, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ciphertext.toString('base64url')].join('.');
  }

  /** Throws when the ciphertext was not sealed with this key for this webhook. */
  open(sealed: string, webhookId: string): string {
    const [version, iv, tag, ciphertext] = sealed.split('.');
    if (version !== VERSION || !iv || !tag || ciphertext === undefined) throw new Error('unknown webhook secret format');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(webhookId));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
  }
}
