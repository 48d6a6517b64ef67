import WebSocket from 'ws';
import { CreateBusinessDocument, PublicBusinessDocument, SendMessageDocument, StartSessionDocument, UpdateBusinessDocument } from '../generated/graphql';
import { bootstrapKey, keyHeader } from '../support/admin';
import { streamReply } from '../support/chat';
import { errorCodes, gql, wsClient } from '../support/client';
import { startTestServer, testConfig, type TestServer } from '../support/server';
import { createTestDatabase, type TestDatabase } from '../support/stores';

/**
 * A business's own allowedOrigins, through the real server: its site reaches the server
 * (CORS preflight, WebSocket upgrade) within moments of updateBusiness with no restart, on this
 * process and on another one sharing Redis and Postgres; the site may use that business's
 * public chat only (another business: FORBIDDEN and no CORS header); ALLOWED_ORIGINS
 * (http://allowed.test here) stays the operator's list.
 */

const SHOP_A = 'http://shop-a.test';
const SHOP_B = 'http://shop-b.test';
const OPERATOR = 'http://allowed.test';

let db: TestDatabase;
let server: TestServer;
let peer: TestServer;
const boot = bootstrapKey();
const admin = () => keyHeader(boot.secret);

beforeAll(async () => {
  db = await createTestDatabase();
  const config = testConfig(db, { ADMIN_API_KEY_HASHES: boot.hash });
  server = await startTestServer(config);
  // A second api process: same database, same Redis key prefix.
  peer = await startTestServer(config);
});

afterAll(async () => {
  await peer?.close();
  await server?.close();
  await db?.drop();
});

async function createBusiness(name: string, allowedOrigins: string[] = []): Promise<string> {
  const res = await gql(server.url, CreateBusinessDocument, { input: { name, allowedOrigins } }, admin());
  expect(res.errors).toBeUndefined();
  return res.data!.createBusiness.id;
}

async function setOrigins(id: string, allowedOrigins: string[]): Promise<void> {
  const res = await gql(server.url, UpdateBusinessDocument, { id, input: { allowedOrigins } }, admin());
  expect(res.errors).toBeUndefined();
}

/** The Access-Control-Allow-Origin of a browser's preflight for a GraphQL POST from `origin`. */
async function preflight(target: TestServer, origin: string): Promise<string | null> {
  const res = await fetch(target.url, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
  });
  return res.headers.get('access-control-allow-origin');
}

/** The HTTP status of a WebSocket upgrade from `origin` (101 when the handshake completed). */
function upgradeStatus(target: TestServer, origin: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(target.wsUrl, 'graphql-transport-ws', { headers: { origin } });
    socket.once('open', () => {
      socket.close();
      resolve(101);
    });
    socket.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      socket.terminate();
    });
    socket.once('error', (err) => reject(err));
  });
}

/**
 * Repeats `probe` until it returns `want`, for at most 5 s: the other process hears of the
 * change over Redis pub/sub and re-reads the origins from Postgres, which takes a moment but
 * no fixed time. What is asserted is the outcome, not how long it took.
 */
async function eventually<T>(probe: () => Promise<T>, want: T): Promise<T> {
  const deadline = Date.now() + 5_000;
  let last = await probe();
  while (last !== want && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    last = await probe();
  }
  return last;
}

describe("a business's allowedOrigins", () => {
  it('lets its site through CORS preflight and the WebSocket upgrade right after updateBusiness, with no restart', async () => {
    const a = await createBusiness('Shop A');
    expect(await preflight(server, SHOP_A)).toBeNull();
    expect(await upgradeStatus(server, SHOP_A)).toBe(403);

    await setOrigins(a, [SHOP_A]);
    // The process that took the write knows before updateBusiness answers.
    expect(await preflight(server, SHOP_A)).toBe(SHOP_A);
    expect(await upgradeStatus(server, SHOP_A)).toBe(101);
    // Another process hears of it over Redis.
    expect(await eventually(() => preflight(peer, SHOP_A), SHOP_A)).toBe(SHOP_A);
    expect(await upgradeStatus(peer, SHOP_A)).toBe(101);

    // Taken off the list: refused again, on both processes.
    await setOrigins(a, []);
    expect(await preflight(server, SHOP_A)).toBeNull();
    expect(await upgradeStatus(server, SHOP_A)).toBe(403);
    expect(await eventually(() => preflight(peer, SHOP_A), null)).toBeNull();
  });

  it("accepts the site for its business's chat, with the CORS header, over HTTP and WebSocket", async () => {
    const a = await createBusiness('Shop A2', [SHOP_A]);
    const started = await gql(server.url, StartSessionDocument, { businessId: a }, { headers: { origin: SHOP_A } });
    expect(started.errors).toBeUndefined();
    expect(started.headers.get('access-control-allow-origin')).toBe(SHOP_A);
    const pub = await gql(server.url, PublicBusinessDocument, { id: a }, { headers: { origin: SHOP_A } });
    expect(pub.data?.publicBusiness?.name).toBe('Shop A2');

    const client = wsClient(server.wsUrl, {}, { origin: SHOP_A });
    try {
      const sent = await gql(server.url, SendMessageDocument, { input: { sessionId: started.data!.startSession.id, text: 'Hello there, what do you do?' } }, { headers: { origin: SHOP_A } });
      expect(sent.errors).toBeUndefined();
      const { chunks, errors } = await streamReply(client, sent.data!.sendMessage.replyId);
      expect(errors).toEqual([]);
      expect(chunks.at(-1)?.done).toBe(true);
    } finally {
      await client.dispose();
    }
  });

  it("refuses a site listed by business A for business B: FORBIDDEN and no CORS header", async () => {
    const a = await createBusiness('Shop A3', [SHOP_A]);
    const bOwn = await createBusiness('Shop B', [SHOP_B]);
    const bOperator = await createBusiness('Shop C'); // lists none: ALLOWED_ORIGINS decides
    expect(a).toBeDefined();

    for (const b of [bOwn, bOperator]) {
      const start = await gql(server.url, StartSessionDocument, { businessId: b }, { headers: { origin: SHOP_A } });
      expect(errorCodes(start)).toEqual(['FORBIDDEN']);
      expect(start.headers.get('access-control-allow-origin')).toBeNull();
      const pub = await gql(server.url, PublicBusinessDocument, { id: b }, { headers: { origin: SHOP_A } });
      expect(errorCodes(pub)).toEqual(['FORBIDDEN']);
      expect(pub.headers.get('access-control-allow-origin')).toBeNull();
    }

    // A session of B, used from A's site (the session id alone does not open B's chat).
    const bSession = (await gql(server.url, StartSessionDocument, { businessId: bOwn }, { headers: { origin: SHOP_B } })).data!.startSession.id;
    const cross = await gql(server.url, SendMessageDocument, { input: { sessionId: bSession, text: 'hours?' } }, { headers: { origin: SHOP_A } });
    expect(errorCodes(cross)).toEqual(['FORBIDDEN']);
    expect(cross.headers.get('access-control-allow-origin')).toBeNull();

    // Over the WebSocket A's site is let in (it is listed), but B's chat refuses it.
    const client = wsClient(server.wsUrl, {}, { origin: SHOP_A });
    try {
      const res = await new Promise<string[]>((resolve) => {
        const codes: string[] = [];
        client.subscribe(
          { query: 'mutation { startSession(businessId: "' + bOwn + '") { id } }' },
          {
            next: (v) => codes.push(...(v.errors ?? []).map((e) => String(e.extensions?.code))),
            error: (e) => resolve([...codes, ...(Array.isArray(e) ? e.map((x: { extensions?: { code?: string } }) => String(x.extensions?.code)) : [String(e)])]),
            complete: () => resolve(codes),
          },
        );
      });
      expect(res).toEqual(['FORBIDDEN']);
    } finally {
      await client.dispose();
    }
  });

  it("keeps ALLOWED_ORIGINS the operator's list: accepted for businesses with no list of their own, refused by one that lists its own", async () => {
    const own = await createBusiness('Own List', [SHOP_A]);
    const none = await createBusiness('No List');
    expect(await preflight(server, OPERATOR)).toBe(OPERATOR);
    const ok = await gql(server.url, StartSessionDocument, { businessId: none }, { headers: { origin: OPERATOR } });
    expect(ok.errors).toBeUndefined();
    expect(ok.headers.get('access-control-allow-origin')).toBe(OPERATOR);
    const refused = await gql(server.url, StartSessionDocument, { businessId: own }, { headers: { origin: OPERATOR } });
    expect(errorCodes(refused)).toEqual(['FORBIDDEN']);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
  });

  it("accepts the server's own pages (the demo page) for every business, and refuses unknown sites everywhere", async () => {
    const own = await createBusiness('Demo Me', [SHOP_A]);
    const self = await gql(server.url, StartSessionDocument, { businessId: own }, { headers: { origin: server.base } });
    expect(self.errors).toBeUndefined();
    expect(await upgradeStatus(server, server.base)).toBe(101);
    expect(await preflight(server, 'http://nobody.test')).toBeNull();
    expect(await upgradeStatus(server, 'http://nobody.test')).toBe(403);
    const stranger = await gql(server.url, StartSessionDocument, { businessId: own }, { headers: { origin: 'http://nobody.test' } });
    expect(errorCodes(stranger)).toEqual(['FORBIDDEN']);
  });
});
