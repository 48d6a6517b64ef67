import type { IncomingHttpHeaders } from 'node:http';

/**
 * Reads the admin key from `x-api-key` or `Authorization: Bearer`. Query strings are never
 * consulted, so a key cannot leak into access logs or browser history.
 */
export function apiKeyFromHeaders(headers: IncomingHttpHeaders | Record<string, unknown>): string | null {
  const direct = headers['x-api-key'];
  if (typeof direct === 'string' && direct.trim()) return direct.trim();
  const auth = headers['authorization'];
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m) return m[1];
  }
  return null;
}
