import { ServerInfoDocument } from '../generated/graphql';
import { errorCodes, gql } from '../support/client';
import { startTestServer, testConfig, type TestServer } from '../support/server';
import { createTestDatabase, type TestDatabase } from '../support/stores';

let db: TestDatabase;
let server: TestServer;

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startTestServer(testConfig(db));
});

afterAll(async () => {
  await server?.close();
  await db?.drop();
});

describe('health and readiness', () => {
  it('answers /healthz with 200 while the process runs', async () => {
    const res = await fetch(`${server.base}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('answers /readyz with 200 when Redis and Postgres answer', async () => {
    const res = await fetch(`${server.base}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ready', checks: { redis: 'up', postgres: 'up' } });
  });

  it('exposes Prometheus metrics including redis_up and postgres_up', async () => {
    const res = await fetch(`${server.base}/metrics`);
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(text).toMatch(/^redis_up 1$/m);
    expect(text).toMatch(/^postgres_up 1$/m);
    expect(text).toContain('process_cpu_user_seconds_total');
  });
});

describe('GraphQL over HTTP', () => {
  it('runs a typed query', async () => {
    const res = await gql(server.url, ServerInfoDocument);
    expect(res.status).toBe(200);
    expect(res.data?.serverInfo.name).toBe('WarmProspect Concierge');
  });

  it('refuses a simple (CSRF-able) request without a preflight header', async () => {
    const res = await fetch(`${server.url}?query=${encodeURIComponent('{ serverInfo { name } }')}`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: Array<{ message: string }> }).errors[0].message).toContain('CSRF');
  });

  it('refuses a text/plain POST (a "simple" request a form could send) without a preflight header', async () => {
    const res = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ query: '{ serverInfo { name } }' }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { data?: unknown; errors: Array<{ message: string }> };
    expect(body.data).toBeUndefined();
    expect(body.errors[0].message).toContain('CSRF');
  });

  it('runs a GET query that carries the apollo-require-preflight header', async () => {
    const res = await fetch(`${server.url}?query=${encodeURIComponent('{ serverInfo { name } }')}`, {
      headers: { 'apollo-require-preflight': 'true' },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ data: { serverInfo: { name: 'WarmProspect Concierge' } } });
  });

  it('never runs a mutation over GET', async () => {
    const res = await fetch(`${server.url}?query=${encodeURIComponent('mutation { __typename }')}`, {
      headers: { 'apollo-require-preflight': 'true' },
    });
    expect(res.status).toBe(405);
  });

  it('answers a body over the limit with 413 and PAYLOAD_TOO_LARGE', async () => {
    const res = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ serverInfo { name } }', padding: 'x'.repeat(3 * 1024 * 1024) }),
    });
    expect(res.status).toBe(413);
    expect(errorCodes((await res.json()) as never)).toEqual(['PAYLOAD_TOO_LARGE']);
  });

  it('refuses batched requests', async () => {
    const res = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ query: '{ serverInfo { name } }' }, { query: '{ serverInfo { version } }' }]),
    });
    expect(res.status).toBe(400);
  });

  it('maps unknown fields to BAD_USER_INPUT', async () => {
    const res = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ nope }' }),
    });
    expect(errorCodes((await res.json()) as never)).toEqual(['BAD_USER_INPUT']);
  });
});

describe('CORS', () => {
  it('echoes an allowed Origin with Vary: Origin', async () => {
    const res = await fetch(server.url, {
      method: 'OPTIONS',
      headers: { origin: 'http://allowed.test', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-api-key' },
    });
    expect(res.headers.get('access-control-allow-origin')).toBe('http://allowed.test');
    expect(res.headers.get('vary')).toMatch(/Origin/i);
  });

  it('echoes an allowed Origin on the actual POST', async () => {
    const res = await fetch(server.url, {
      method: 'POST',
      headers: { origin: 'http://allowed.test', 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ serverInfo { name } }' }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://allowed.test');
    expect(res.headers.get('vary')).toMatch(/Origin/i);
  });

  it('allows the x-api-key and preflight headers in a preflight from an allowed Origin', async () => {
    const res = await fetch(server.url, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://allowed.test',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,x-api-key,apollo-require-preflight',
      },
    });
    expect(res.status).toBeLessThan(300);
    const allowed = (res.headers.get('access-control-allow-headers') ?? '').toLowerCase();
    for (const h of ['content-type', 'x-api-key', 'apollo-require-preflight']) expect(allowed).toContain(h);
  });

  it('gives no CORS header to the actual POST from an origin outside the list, and no wildcard', async () => {
    const res = await fetch(server.url, {
      method: 'POST',
      headers: { origin: 'http://evil.test', 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ serverInfo { name } }' }),
    });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('gives no CORS header to an origin outside the list', async () => {
    const res = await fetch(server.url, {
      method: 'OPTIONS',
      headers: { origin: 'http://evil.test', 'access-control-request-method': 'POST' },
    });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('Playground', () => {
  it('serves the GraphiQL page and its assets from the server itself', async () => {
    const page = await fetch(server.url, { headers: { accept: 'text/html' } });
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(html).toContain('/playground/graphiql.js');
    expect(html).not.toMatch(/https?:\/\/(cdn|unpkg|esm)/);
    const js = await fetch(`${server.base}/playground/graphiql.js`);
    expect(js.status).toBe(200);
    expect((await js.text()).length).toBeGreaterThan(100_000);
  });
});
