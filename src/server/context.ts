import type { IncomingHttpHeaders } from 'node:http';
import type { Principal } from '../auth/principal';
import type { Logger } from '../observability/logger';

/** Per-request (HTTP) or per-operation (WebSocket) context handed to every resolver. */
export interface RequestContext {
  requestId: string;
  logger: Logger;
  transport: 'http' | 'ws';
  /** The client address, honouring TRUST_PROXY hops. */
  clientIp: string;
  /** The browser Origin header, if any. */
  origin: string | null;
  /** The admin key presented (header or connectionParams). Never logged. */
  apiKey: string | null;
  /** Set by the auth checker the first time it resolves `apiKey`. */
  principal?: Principal | null;
  /** Aborted when the HTTP client goes away before its response is sent (long work stops). */
  signal?: AbortSignal;
  /** Filled in while the request runs, read by the request log line. */
  meta: RequestMeta;
}

export interface RequestMeta {
  operationName?: string;
  errorCodes: string[];
}

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
