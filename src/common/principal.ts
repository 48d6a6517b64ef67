/** Who an admin API key speaks for. */
export type Principal =
  | { kind: 'platform'; keyId: string | null }
  | { kind: 'business'; businessId: string; keyId: string };

/**
 * Turns a presented secret into a principal, or null for an unknown/revoked key. `clientIp`:
 * the address presenting it, whose wrong keys are limited (RATE_LIMIT_AUTH_FAILURES; past the
 * limit every keyed request of that client is RATE_LIMITED).
 */
export interface ApiKeyAuthenticator {
  authenticate(secret: string, clientIp?: string): Promise<Principal | null>;
}
