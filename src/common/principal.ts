/** Who an admin API key speaks for. */
export type Principal =
  | { kind: 'platform'; keyId: string | null }
  | { kind: 'business'; businessId: string; keyId: string };

/** Turns a presented secret into a principal, or null for an unknown/revoked key. */
export interface ApiKeyAuthenticator {
  authenticate(secret: string): Promise<Principal | null>;
}
