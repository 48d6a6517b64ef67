import { getIntrospectionQuery, print } from 'graphql';
import { Client as PgClient } from 'pg';
import WebSocket from 'ws';
import {
  BusinessesDocument,
  CreateApiKeyDocument,
  CreateBusinessDocument,
  SchemaTypesDocument,
  ServerInfoDocument,
  TypeDepthDocument,
  UpdateBusinessDocument,
} from '../generated/graphql';
import { bootstrapKey, keyHeader } from '../support/admin';
import { collect, errorCodes, gql, wsClient } from '../support/client';
import { startTestServer, testConfig, type TestServer } from '../support/server';
import { createTestDatabase, type TestDatabase } from '../support/stores';

let db: TestDatabase;
let dev: TestServer;
let prod: TestServer;
const boot = bootstrapKey();

beforeAll(async () => {
  db = await createTestDatabase();
  dev = await startTestServer(testConfig(db, { ADMIN_API_KEY_HASHES: boot.hash }));
  prod = await startTestServer(testConfig(db, { ADMIN_API_KEY_HASHES: boot.hash, NODE_ENV: 'production' }));
});

afterAll(async () => {
  await prod?.close();
  await dev?.close();
  await db?.drop();
});

/** POSTs raw GraphQL text (for documents no client would generate). */
async function raw(url: string, query: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query }) });
  const body = (await res.json()) as { data?: Record<string, unknown> | null; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };
  return { status: res.status, ...body };
}

const BUSINESS_SELECTION = `{ id name description primaryGoal personality instructions greeting secondaryGreeting privacyStatement services hours
  location contactEmail contactPhone websiteUrl faqs { question answer } suggestedQuestions ctaTree { id label action children message url }
  enabledCategories themeColor widgetPosition buttonText logoUrl voiceEnabled allowedOrigins createdAt updatedAt }`;

function fragments(n: number): string {
  const names = Array.from({ length: n }, (_, i) => `F${i}`);
  return `{ serverInfo { ${names.map((f) => `...${f}`).join(' ')} } } ${names.map((f) => `fragment ${f} on ServerInfo { name }`).join(' ')}`;
}

/** Each limit: the largest document that passes and the smallest that is refused. */
const LIMITS: Array<[string, string, string, RegExp]> = [
  ['aliases', `{ ${Array.from({ length: 15 }, (_, i) => `a${i}: serverInfo { name }`).join(' ')} }`, `{ ${Array.from({ length: 16 }, (_, i) => `a${i}: serverInfo { name }`).join(' ')} }`, /aliases/i],
  [
    'directives',
    `{ serverInfo { ${Array.from({ length: 20 }, () => 'name @include(if: true)').join(' ')} } }`,
    `{ serverInfo { ${Array.from({ length: 21 }, () => 'name @include(if: true)').join(' ')} } }`,
    /directives/i,
  ],
  // 9 tokens per fragment + 5: 221 fragments = 1994 tokens, 223 = 2012 (limit 2000).
  ['tokens', fragments(221), fragments(223), /token/i],
  // Each extra spread of the full Business fragment costs ~96 (armor's cost model): 52 → 4975, 53 → 5072 (limit 5000).
  ['cost', `{ businesses { ${'...B '.repeat(52)} } } fragment B on Business ${BUSINESS_SELECTION}`, `{ businesses { ${'...B '.repeat(53)} } } fragment B on Business ${BUSINESS_SELECTION}`, /cost/i],
];

describe('query limits over HTTP (graphql-armor, before execution)', () => {
  for (const [name, passing, refused, message] of LIMITS) {
    it(`refuses a document over the ${name} limit with BAD_USER_INPUT and accepts one at it`, async () => {
      const ok = await raw(dev.url, passing, { 'x-api-key': boot.secret });
      expect(ok.errors).toBeUndefined();
      const res = await raw(dev.url, refused, { 'x-api-key': boot.secret });
      expect(res.status).toBe(400);
      expect(res.data ?? null).toBeNull();
      expect(res.errors?.map((e) => e.extensions?.code)).toContain('BAD_USER_INPUT');
      expect(res.errors?.map((e) => e.message).join(' ')).toMatch(message);
    });
  }

  it('refuses a document deeper than the depth limit', async () => {
    const res = await gql(dev.url, TypeDepthDocument, { name: 'Business' });
    expect(errorCodes(res)).toEqual(['BAD_USER_INPUT']);
    expect(res.errors?.[0]?.message).toMatch(/depth/i);
    expect(res.data ?? null).toBeNull();
  });

  it('lets the full introspection query of the Playground through (development)', async () => {
    const res = await raw(dev.url, getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true, specifiedByUrl: true }));
    expect(res.errors).toBeUndefined();
    expect(JSON.stringify(res.data)).toContain('createBusiness');
  });

  it('does not execute a refused mutation', async () => {
    const aliases = Array.from({ length: 16 }, (_, i) => `m${i}: createBusiness(input: { name: "Flood ${i}" }) { id }`).join(' ');
    const res = await raw(dev.url, `mutation { ${aliases} }`, { 'x-api-key': boot.secret });
    expect(errorCodes(res as never)).toContain('BAD_USER_INPUT');
    const list = await gql(dev.url, BusinessesDocument, {}, keyHeader(boot.secret));
    expect(list.data?.businesses.some((b) => b.name.startsWith('Flood'))).toBe(false);
  });
});

describe('query limits over WebSocket (same rules)', () => {
  for (const [name, , refused, message] of LIMITS) {
    it(`refuses a document over the ${name} limit`, async () => {
      const client = wsClient(dev.wsUrl, { 'x-api-key': boot.secret });
      const outcome = await new Promise<{ errors?: readonly { message: string; extensions?: Record<string, unknown> }[] }>((resolve) => {
        client.subscribe({ query: refused }, { next: (v) => resolve(v as never), error: (e) => resolve({ errors: e as never }), complete: () => undefined });
      });
      await client.dispose();
      expect(outcome.errors?.map((e) => e.extensions?.code)).toContain('BAD_USER_INPUT');
      expect(outcome.errors?.map((e) => e.message).join(' ')).toMatch(message);
    });
  }

  it('runs an admin query with the key in connectionParams, and refuses it with the key only in the URL', async () => {
    const good = wsClient(dev.wsUrl, { 'x-api-key': boot.secret });
    const ok = await collect(good, BusinessesDocument, {});
    await good.dispose();
    expect(ok.results[0]?.errors).toBeUndefined();
    expect(ok.results[0]?.data?.businesses).toEqual(expect.any(Array));

    const bad = wsClient(`${dev.wsUrl}?x-api-key=${boot.secret}`, {});
    const refused = await collect(bad, BusinessesDocument, {});
    await bad.dispose();
    expect(errorCodes(refused.results[0] ?? {})).toEqual(['UNAUTHENTICATED']);
  });
});

describe('production mode', () => {
  it('refuses introspection without a valid key, over HTTP and WebSocket', async () => {
    for (const headers of [{}, { 'x-api-key': 'wpc_wrong' }] as Array<Record<string, string>>) {
      const res = await gql(prod.url, SchemaTypesDocument, {}, { headers });
      expect(errorCodes(res)).toEqual(['UNAUTHENTICATED']);
      expect(res.data ?? null).toBeNull();
      const typeQuery = await raw(prod.url, '{ __type(name: "Business") { fields { name } } }', headers);
      expect(errorCodes(typeQuery as never)).toEqual(['UNAUTHENTICATED']);
    }
    const client = wsClient(prod.wsUrl, {});
    const ws = await collect(client, SchemaTypesDocument, {});
    await client.dispose();
    const errors = ws.results[0]?.errors ?? (ws.error as never);
    expect(errorCodes({ errors })).toEqual(['UNAUTHENTICATED']);
  });

  it('allows introspection with a platform or business key', async () => {
    const platform = await gql(prod.url, SchemaTypesDocument, {}, keyHeader(boot.secret));
    expect(platform.errors).toBeUndefined();
    expect(platform.data?.__schema.types.map((t) => t.name)).toContain('Business');

    const business = await gql(prod.url, CreateBusinessDocument, { input: { name: 'Prod Co' } }, keyHeader(boot.secret));
    const key = await gql(prod.url, CreateApiKeyDocument, { input: { name: 'prod', businessId: business.data!.createBusiness.id } }, keyHeader(boot.secret));
    const scoped = await gql(prod.url, SchemaTypesDocument, {}, keyHeader(key.data!.createApiKey.secret));
    expect(scoped.errors).toBeUndefined();

    const client = wsClient(prod.wsUrl, { 'x-api-key': boot.secret });
    const ws = await collect(client, SchemaTypesDocument, {});
    await client.dispose();
    expect(ws.results[0]?.data?.__schema.types.length).toBeGreaterThan(10);
  });

  it('keeps introspection open in development', async () => {
    const res = await gql(dev.url, SchemaTypesDocument, {});
    expect(res.errors).toBeUndefined();
  });

  it('hides field suggestions in production (HTTP and WebSocket) but not in development', async () => {
    const devRes = await raw(dev.url, '{ serverInf { name } }');
    expect(devRes.errors?.[0]?.message).toMatch(/Did you mean "serverInfo"/);
    const prodRes = await raw(prod.url, '{ serverInf { name } }');
    expect(prodRes.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(prodRes.errors?.[0]?.message).not.toMatch(/serverInfo/);

    const client = wsClient(prod.wsUrl, {});
    const outcome = await new Promise<{ errors?: readonly { message: string }[] }>((resolve) => {
      client.subscribe({ query: '{ serverInf { name } }' }, { next: (v) => resolve(v as never), error: (e) => resolve({ errors: e as never }), complete: () => undefined });
    });
    await client.dispose();
    expect(outcome.errors?.[0]?.message).toMatch(/Cannot query field/);
    expect(outcome.errors?.[0]?.message).not.toMatch(/serverInfo/);
  });

  it('answers an unexpected failure with INTERNAL_SERVER_ERROR and no stack trace or detail', async () => {
    const pg = new PgClient({ connectionString: db.url });
    await pg.connect();
    await pg.query('alter table businesses rename to businesses_hidden');
    try {
      const prodRes = await gql(prod.url, BusinessesDocument, {}, keyHeader(boot.secret));
      expect(prodRes.errors).toEqual([{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }]);
      const devRes = await gql(dev.url, BusinessesDocument, {}, keyHeader(boot.secret));
      expect(errorCodes(devRes)).toEqual(['INTERNAL_SERVER_ERROR']);
      expect(devRes.errors?.[0]?.extensions?.stacktrace).toEqual(expect.any(Array));
    } finally {
      await pg.query('alter table businesses_hidden rename to businesses');
      await pg.end();
    }
  });

  it('gives intentional errors only a message and a code', async () => {
    const res = await gql(prod.url, UpdateBusinessDocument, { id: '00000000-0000-4000-8000-000000000000', input: { name: 'x' } }, keyHeader(boot.secret));
    expect(res.errors?.[0]?.extensions).toEqual({ code: 'NOT_FOUND' });
  });
});

describe('WebSocket connection rules', () => {
  function open(): Promise<WebSocket> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(dev.wsUrl, 'graphql-transport-ws');
      socket.once('open', () => resolve(socket));
      socket.once('error', reject);
    });
  }
  const closed = (socket: WebSocket) => new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));

  it('closes a socket that sends no connection_init within 3 s with 4408', async () => {
    const socket = await open();
    const started = Date.now();
    const code = await closed(socket);
    expect(code).toBe(4408);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_500);
  });

  it('closes a socket that sends a message over the payload limit with 1009', async () => {
    const socket = await open();
    const acked = new Promise<void>((resolve) => socket.once('message', () => resolve()));
    socket.send(JSON.stringify({ type: 'connection_init', payload: {} }));
    await acked;
    const code = closed(socket);
    socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: `{ serverInfo { name } } # ${'x'.repeat(70 * 1024)}` } }));
    expect(await code).toBe(1009);
  });

  it('caps the operations running at once on one socket at 20, and frees slots as they finish', async () => {
    const metricValue = async () => (await dev.app.metrics.activeSubscriptions.get()).values[0]?.value ?? 0;
    const base = await metricValue();
    // Hold every `businesses` query in Postgres so 20 operations stay open together.
    const pg = new PgClient({ connectionString: db.url });
    await pg.connect();
    await pg.query('begin');
    await pg.query('lock table businesses in access exclusive mode');
    const client = wsClient(dev.wsUrl, { 'x-api-key': boot.secret });
    try {
      const held = Array.from({ length: 20 }, () => collect(client, BusinessesDocument, {}));
      // The gauge is the only sign that the server has started all 20.
      for (let i = 0; i < 100 && (await metricValue()) < base + 20; i++) await new Promise((r) => setTimeout(r, 20));
      expect(await metricValue()).toBe(base + 20);

      const refused = await collect(client, ServerInfoDocument, {});
      const errors = refused.results[0]?.errors ?? (refused.error as never);
      expect(errorCodes({ errors })).toEqual(['RATE_LIMITED']);

      await pg.query('rollback');
      const done = await Promise.all(held);
      expect(done.every((d) => d.results.length === 1)).toBe(true);
      const again = await collect(client, ServerInfoDocument, {});
      expect(again.results[0]?.data?.serverInfo.name).toBe('WarmProspect Concierge');
    } finally {
      await pg.query('rollback').catch(() => undefined);
      await pg.end();
      await client.dispose();
    }
  });

  it('still serves a normal query over the socket', async () => {
    const client = wsClient(dev.wsUrl, {});
    const res = await collect(client, ServerInfoDocument, {});
    await client.dispose();
    expect(res.results[0]?.data?.serverInfo.name).toBe('WarmProspect Concierge');
    expect(print(ServerInfoDocument)).toContain('serverInfo');
  });
});
