import type { Logger } from '../observability/logger';
import type { Principal } from './principal';

/**
 * Per-request (HTTP) or per-operation (WebSocket) context handed to every resolver. It carries
 * only what describes the caller; services reach resolvers through their constructors.
 */
export interface RequestContext {
  requestId: string;
  logger: Logger;
  transport: 'http' | 'ws';
  /** The client address, honouring TRUST_PROXY hops. */
  clientIp: string;
  /** The browser Origin header, if any. */
  origin: string | null;
  /** The page was served by this server itself (Origin's host is the Host header): the demo page, the Playground. */
  sameOrigin?: boolean;
  /** The server's public base URL as this caller reaches it (PUBLIC_URL, else from the request): for embedSnippet. */
  publicBaseUrl?: string;
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
  /** A business refused the page's origin: the HTTP answer carries no CORS header. */
  originRefused?: boolean;
}
