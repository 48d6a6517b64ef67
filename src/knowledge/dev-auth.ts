import { createHash, timingSafeEqual } from 'node:crypto';
import type { AuthChecker } from 'type-graphql';
import { UnauthenticatedError } from '../common/errors';
import type { RequestContext } from '../server/context';

/**
 * TEMPORARY (until the admin branch's authChecker lands): accepts a platform key whose
 * sha256 is in ADMIN_API_KEY_HASHES and nothing else.
 */
export function devPlatformKeyAuthChecker(adminApiKeyHashes: readonly string[]): AuthChecker<RequestContext> {
  const hashes = adminApiKeyHashes.map((h) => Buffer.from(h, 'hex'));
  return ({ context }) => {
    if (context.principal) return true;
    if (!context.apiKey) throw new UnauthenticatedError();
    const digest = createHash('sha256').update(context.apiKey).digest();
    if (!hashes.some((h) => h.length === digest.length && timingSafeEqual(h, digest))) throw new UnauthenticatedError();
    context.principal = { kind: 'platform', keyId: null };
    return true;
  };
}
