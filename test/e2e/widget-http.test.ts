import { request } from 'node:http';
import { readFileSync } from 'node:fs';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { BusinessEmbedDocument, CreateBusinessDocument } from '../generated/graphql';
import { bootstrapKey, keyHeader } from '../support/admin';
import { gql } from '../support/client';
import { startTestServer, testConfig, type TestServer } from '../support/server';
import { createTestDatabase, type TestDatabase } from '../support/stores';
import { WIDGET_FILE } from '../../src/server/widget';

/**
 * GET /widget.js (content hash as ETag and ?v=, compression, caching, CORP), the demo page
 * and Business.embedSnippet, through the real server. Needs the bundle `npm run build` makes
 * (npm test builds first).
 */

let db: TestDatabase;
let server: TestServer;
const boot = bootstrapKey();
const bundle = readFileSync(WIDGET_FILE);

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A GET with exactly these headers (fetch would add Accept-Encoding and decompress). */
function get(path: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(`${server.base}${path}`, { headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startTestServer(testConfig(db, { ADMIN_API_KEY_HASHES: boot.hash }));
});

afterAll(async () => {
  await server?.close();
  await db?.drop();
});

async function createBusiness(name: string): Promise<string> {
  const res = await gql(server.url, CreateBusinessDocument, { input: { name } }, keyHeader(boot.secret));
  expect(res.errors).toBeUndefined();
  return res.data!.createBusiness.id;
}

describe('GET /widget.js', () => {
  it('serves the built bundle as JavaScript any site may load, with its content hash as ETag and a short cache', async () => {
    const res = await get('/widget.js');
    expect(res.status).toBe(200);
    expect(res.body.equals(bundle)).toBe(true);
    expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(res.headers['etag']).toMatch(/^"[0-9a-f]{16}"$/);
    expect(res.headers['cache-control']).toBe('public, max-age=300');
    expect(res.headers['cross-origin-resource-policy']).toBe('cross-origin');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['vary']).toMatch(/Accept-Encoding/i);
    expect(res.headers['content-encoding']).toBeUndefined();
  });

  it('answers 304 to a matching If-None-Match', async () => {
    const etag = String((await get('/widget.js')).headers['etag']);
    const res = await get('/widget.js', { 'if-none-match': etag });
    expect(res.status).toBe(304);
    expect(res.body.length).toBe(0);
  });

  it('sends brotli when accepted, else gzip; both decode to the bundle', async () => {
    const br = await get('/widget.js', { 'accept-encoding': 'gzip, deflate, br' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(brotliDecompressSync(br.body).equals(bundle)).toBe(true);
    expect(br.body.length).toBeLessThan(bundle.length / 2);
    const gz = await get('/widget.js', { 'accept-encoding': 'gzip, br;q=0' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.body).equals(bundle)).toBe(true);
  });

  it('caches the hashed URL for a year as immutable; another hash gets the short cache', async () => {
    const hash = String((await get('/widget.js')).headers['etag']).replace(/"/g, '');
    expect((await get(`/widget.js?v=${hash}`)).headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const stale = await get('/widget.js?v=0000000000000000');
    expect(stale.status).toBe(200);
    expect(stale.headers['cache-control']).toBe('public, max-age=300');
  });
});

describe('GET /widget/demo', () => {
  it('is a plain page with the business widget on the hashed script and the snippet to paste, business text escaped', async () => {
    const id = await createBusiness('Smile <img src=x onerror="alert(1)"> & Co');
    const hash = String((await get('/widget.js')).headers['etag']).replace(/"/g, '');
    const res = await get(`/widget/demo?businessId=${id}`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    const html = res.body.toString('utf8');
    expect(html).toContain(`<script src="/widget.js?v=${hash}" data-business-id="${id}" async></script>`);
    expect(html).toContain('Smile &lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; Co');
    expect(html).not.toContain('<img');
    expect(html).toContain(`&lt;script src=&quot;${server.base}/widget.js&quot; data-business-id=&quot;${id}&quot; async&gt;&lt;/script&gt;`);
  });

  it('answers 404 for an unknown or malformed business id', async () => {
    expect((await get('/widget/demo?businessId=00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await get('/widget/demo?businessId=nope')).status).toBe(404);
    expect((await get('/widget/demo')).status).toBe(404);
  });
});

describe('Business.embedSnippet', () => {
  it('is the script tag for this server as the admin reached it', async () => {
    const id = await createBusiness('Snippet Dental');
    const res = await gql(server.url, BusinessEmbedDocument, { id }, keyHeader(boot.secret));
    expect(res.data?.business?.embedSnippet).toBe(`<script src="${server.base}/widget.js" data-business-id="${id}" async></script>`);
  });

  it('uses PUBLIC_URL when it is set', async () => {
    const other = await startTestServer(testConfig(db, { ADMIN_API_KEY_HASHES: boot.hash, PUBLIC_URL: 'https://chat.example.com/' }));
    try {
      const id = await createBusiness('Public Dental');
      const res = await gql(other.url, BusinessEmbedDocument, { id }, keyHeader(boot.secret));
      expect(res.data?.business?.embedSnippet).toBe(`<script src="https://chat.example.com/widget.js" data-business-id="${id}" async></script>`);
    } finally {
      await other.close();
    }
  });
});
