import type { OriginAccess } from '../business/business.origins';

/**
 * The HTTP and WebSocket side of the origin rule (business/business.origins.ts decides).
 *
 * - CORS preflight and WebSocket upgrade: accepted from ALLOWED_ORIGINS and from every origin
 *   some business lists (they carry no operation yet, so no business to ask).
 * - The actual GraphQL answer: the CORS header is removed when a business refused the page
 *   (RequestMeta.originRefused), so a site listed by business A cannot read business B's chat.
 */

/**
 * A page this server served itself (the demo page, the Playground) calling back: the browser
 * sets Origin to the page's origin and Host to ours, so they match only for our own pages. A
 * page elsewhere cannot forge either header. The scheme is not compared, because a
 * TLS-terminating proxy makes an https page reach us over http.
 */
export function isSameOrigin(origin: string | undefined | null, host: string | undefined): boolean {
  if (!origin || !host) return false;
  try {
    return new URL(origin).host === host.toLowerCase();
  } catch {
    return false;
  }
}

/** Whether a request that names no business yet (preflight, upgrade) may come in. */
export function mayConnect(origins: Pick<OriginAccess, 'mayConnect'>, origin: string | undefined, host: string | undefined): boolean {
  return origins.mayConnect(origin) || isSameOrigin(origin, host);
}
