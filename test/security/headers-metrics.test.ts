import { ServerInfoDocument } from '../generated/graphql';
import { gql } from '../support/client';
import { startTestServer, testConfig, type TestServer } from '../support/server';
import { createTestDatabase, type TestDatabase } from '../support/stores';

/**
 * Issue 10 item 7: security headers on every route (helmet, a CSP the Playground works under:
 * test/e2e/playground.browser.test.ts runs it in Chromium), and /metrics behind METRICS_TOKEN,
 * fed by cached gauges (no store round trip per scrape).
 */

const TOKEN = 'metrics-token-for-the-security-test';
let db: TestDatabase;
let server: TestServer;
let open: TestServer;

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startTestServer(testConfig(db, { METRICS_TOKEN: TOKEN }));
  open = await startTestServer(testConfig(db));
});
afterAll(async () => {
  await server?.close();
  await open?.close();
  await db?.drop();
});

const expectSecurityHeaders = (res: Response) => {
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
  expect(res.headers.get('referrer-policy')).toBe('no-referrer');
  const csp = res.headers.get('content-security-policy') ?? '';
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toContain("script-src 'self'");
  expect(csp).toContain("object-src 'none'");
  expect(csp).not.toMatch(/script-src[^;]*unsafe/);
};

describe('security headers on every route', () => {
  it.each([
    ['GET', '/healthz'],
    ['GET', '/readyz'],
    ['GET', '/playground/playground.js'],
    ['GET', '/nowhere'],
  ])('%s %s', async (method, path) => {
    expectSecurityHeaders(await fetch(`${open.base}${path}`, { method }));
  });

  it('the Playground page and a GraphQL POST', async () => {
    const page = await fetch(`${open.base}/graphql`, { headers: { accept: 'text/html' } });
    expect(await page.text()).toContain('<div id="graphiql">');
    expectSecurityHeaders(page);
    const post = await fetch(open.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ serverInfo { name } }' }) });
    expect(post.status).toBe(200);
    expectSecurityHeaders(post);
  });

  it('the Playground keeps the key in memory: no localStorage persistence, sessionStorage only on request', async () => {
    const boot = await (await fetch(`${open.base}/playground/playground.js`)).text();
    expect(boot).toContain("shouldPersistHeaders: persist");
    expect(boot).toContain('storage: persist ? window.sessionStorage : inMemory');
    expect(boot).not.toMatch(/shouldPersistHeaders:\s*true/);
  });
});

describe('/metrics', () => {
  it('is 401 without the token (and with a wrong one) when METRICS_TOKEN is set, 200 with it', async () => {
    const none = await fetch(`${server.base}/metrics`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(await none.text()).not.toContain('redis_up');
    expect((await fetch(`${server.base}/metrics`, { headers: { authorization: 'Bearer wrong-token-of-some-length' } })).status).toBe(401);
    const ok = await fetch(`${server.base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toMatch(/^redis_up 1$/m);
  });

  it('stays public without METRICS_TOKEN', async () => {
    expect((await fetch(`${open.base}/metrics`)).status).toBe(200);
  });

  it('a scrape reads cached gauges: no Redis ping and no Postgres query per scrape', async () => {
    expect((await gql(open.url, ServerInfoDocument, {})).errors).toBeUndefined();
    const ping = jest.spyOn(open.app.redis, 'ping');
    const connection = open.app.orm.em.getConnection();
    const execute = jest.spyOn(connection, 'execute');
    for (let i = 0; i < 10; i++) expect((await fetch(`${open.base}/metrics`)).status).toBe(200);
    // The poller (every 10 s) may fire once in this window; ten scrapes used to be ten of each.
    expect(ping.mock.calls.length).toBeLessThanOrEqual(1);
    expect(execute.mock.calls.filter(([sql]) => typeof sql === 'string' && sql.includes('select 1')).length).toBeLessThanOrEqual(1);
    ping.mockRestore();
    execute.mockRestore();
  });
});
