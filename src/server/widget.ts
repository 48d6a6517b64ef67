import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppConfig } from '../config/config';
import type { BusinessProfile } from '../business/business.profile';
import { embedSnippet } from '../business/business.embed';
import { isUuid } from '../common/ids';
import type { Logger } from '../observability/logger';

/**
 * `GET /widget.js` (the embeddable widget, built by `npm run build` into dist/widget/widget.js)
 * and `GET /widget/demo?businessId=ID` (a plain page with that business's widget).
 *
 * The bundle is read once at start-up, hashed (sha256) and compressed (brotli, gzip) in memory.
 * `/widget.js` revalidates cheaply (ETag = the hash, 5-minute cache), so sites pasting the
 * snippet get a new version within minutes of a deploy; `/widget.js?v=HASH` — what the demo
 * page uses — is cached for a year as immutable. A `v` that is not the current hash (a rolling
 * deploy) gets the current bundle with the short cache. `Cross-Origin-Resource-Policy:
 * cross-origin` lets any site load it.
 */

/** dist/widget/widget.js, from src/server (ts-jest) and from dist/src/server (node). */
export const WIDGET_FILE = path.resolve(__dirname, __dirname.includes(`${path.sep}dist${path.sep}`) ? '../../widget/widget.js' : '../../dist/widget/widget.js');

export interface WidgetBundle {
  /** First 16 hex digits of the sha256 of the bundle. */
  hash: string;
  identity: Buffer;
  gzip: Buffer;
  br: Buffer;
}

export function loadWidgetBundle(file: string = WIDGET_FILE): WidgetBundle | null {
  if (!existsSync(file)) return null;
  const identity = readFileSync(file);
  return {
    hash: createHash('sha256').update(identity).digest('hex').slice(0, 16),
    identity,
    gzip: gzipSync(identity, { level: 9 }),
    br: brotliCompressSync(identity, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11, [zlib.BROTLI_PARAM_SIZE_HINT]: identity.length } }),
  };
}

/** The best encoding the client accepts: br, then gzip, else none (q=0 means refused). */
export function pickEncoding(acceptEncoding: string | undefined): 'br' | 'gzip' | null {
  const accepted = new Set(
    (acceptEncoding ?? '')
      .split(',')
      .map((part) => part.trim().split(';'))
      .filter(([, q]) => !q || !/^q=0(\.0*)?$/.test(q.trim()))
      .map(([name]) => name.trim().toLowerCase()),
  );
  if (accepted.has('br')) return 'br';
  if (accepted.has('gzip')) return 'gzip';
  return null;
}

/** The server's public base URL for this request: PUBLIC_URL, else the request's own. */
export function requestBaseUrl(config: Pick<AppConfig, 'publicUrl'>, request: Pick<FastifyRequest, 'protocol' | 'host'>): string {
  return config.publicUrl ?? `${request.protocol}://${request.host}`;
}

const escapeHtml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

const DEMO_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "connect-src 'self'",
  // The widget's styles live in a <style> element of its shadow root.
  "style-src 'unsafe-inline'",
  'img-src http: https: data:',
  "media-src 'self' blob:",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

export function demoPage(business: Pick<BusinessProfile, 'id' | 'name'>, baseUrl: string, scriptSrc: string): string {
  const name = escapeHtml(business.name);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${name}: concierge demo</title>
<style>
  body { font-family: system-ui, sans-serif; max-width: 42rem; margin: 3rem auto; padding: 0 1rem; color: #111827; line-height: 1.5; }
  pre { background: #f3f4f6; padding: 1rem; overflow-x: auto; border-radius: 8px; }
</style>
</head>
<body>
<main>
<h1>${name}</h1>
<p>This plain page shows the concierge of ${name} as visitors will see it on the business's website: open it with the button in the corner.</p>
<p>To put it on a site, list the site's origin in the business's <code>allowedOrigins</code> and paste this tag into its pages:</p>
<pre><code>${escapeHtml(embedSnippet(baseUrl, business.id))}</code></pre>
</main>
<script src="${escapeHtml(scriptSrc)}" data-business-id="${escapeHtml(business.id)}" async></script>
</body>
</html>
`;
}

export interface WidgetRoutesOptions {
  config: Pick<AppConfig, 'publicUrl'>;
  logger: Logger;
  businesses: { get(id: string): Promise<BusinessProfile | null> };
  /** The bundle; default: read from dist/widget/widget.js. */
  bundle?: WidgetBundle | null;
}

export function registerWidgetRoutes(fastify: FastifyInstance, options: WidgetRoutesOptions): void {
  const bundle = options.bundle === undefined ? loadWidgetBundle() : options.bundle;
  if (!bundle) options.logger.warn('widget bundle missing: /widget.js answers 503 until `npm run build` has built it', { file: WIDGET_FILE });

  const notBuilt = (reply: FastifyReply) =>
    reply.code(503).type('text/plain; charset=utf-8').header('cache-control', 'no-store').send('The widget is not built on this server (npm run build).');

  fastify.get<{ Querystring: { v?: string } }>('/widget.js', async (request, reply) => {
    if (!bundle) return notBuilt(reply);
    const etag = `"${bundle.hash}"`;
    const pinned = request.query.v === bundle.hash;
    reply
      .type('text/javascript; charset=utf-8')
      .header('etag', etag)
      .header('vary', 'Accept-Encoding')
      .header('cache-control', pinned ? 'public, max-age=31536000, immutable' : 'public, max-age=300')
      .header('cross-origin-resource-policy', 'cross-origin')
      .header('x-content-type-options', 'nosniff');
    const ifNoneMatch = request.headers['if-none-match'];
    if (ifNoneMatch && ifNoneMatch.split(',').some((t) => t.trim().replace(/^W\//, '') === etag)) return reply.code(304).send();
    const encoding = pickEncoding(request.headers['accept-encoding']);
    if (encoding) reply.header('content-encoding', encoding);
    return reply.send(encoding === 'br' ? bundle.br : encoding === 'gzip' ? bundle.gzip : bundle.identity);
  });

  fastify.get<{ Querystring: { businessId?: string } }>('/widget/demo', async (request, reply) => {
    const page = (status: number, html: string) =>
      reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').header('content-security-policy', DEMO_CSP).send(html);
    const id = request.query.businessId ?? '';
    const business = isUuid(id) ? await options.businesses.get(id) : null;
    if (!business) return page(404, '<!doctype html><html lang="en"><meta charset="utf-8"><title>Not found</title><p>No business with that id. Open /widget/demo?businessId=ID with the id createBusiness returned.</p></html>');
    if (!bundle) return notBuilt(reply);
    return page(200, demoPage(business, requestBaseUrl(options.config, request), `/widget.js?v=${bundle.hash}`));
  });
}
