import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Every generated key starts with this, so a leaked key is recognisable in a scan. */
export const KEY_PREFIX = 'wpc_';
/** Characters of the key shown in listings (`wpc_` + 8): enough to tell keys apart, useless to guess. */
const VISIBLE_LENGTH = KEY_PREFIX.length + 8;
/** Longest secret we hash at all; anything longer is malformed. */
export const MAX_SECRET_LENGTH = 256;

export interface GeneratedSecret {
  secret: string;
  prefix: string;
  hash: string;
}

/** sha256 hex digest of a secret: the only form in which keys are stored or configured. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** A new key: 32 random bytes (256 bits) in base64url after the `wpc_` prefix. */
export function generateSecret(): GeneratedSecret {
  const secret = KEY_PREFIX + randomBytes(32).toString('base64url');
  return { secret, prefix: secret.slice(0, VISIBLE_LENGTH), hash: hashSecret(secret) };
}

/** Constant-time comparison of two sha256 hex digests. */
export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === 32 && y.length === 32 && timingSafeEqual(x, y);
}
