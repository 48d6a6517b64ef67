import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { ServerInfoDocument } from '../generated/graphql';
import { collect, wsClient } from '../support/client';
import { startTestServer, testConfig, type TestServer } from '../support/server';
import { createTestDatabase, type TestDatabase } from '../support/stores';

/**
 * GraphQL over WebSocket at /graphql on the HTTP port: the Origin allow-list is enforced at
 * the upgrade (403, no handshake), graphql-transport-ws runs operations, and a socket that
 * never sends connection_init is closed with 4408 after 3 s.
 */

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

/** Opens a raw socket; resolves with the HTTP status of a refused upgrade, or the open socket. */
function rawUpgrade(headers: Record<string, string>): Promise<{ status: number; socket?: WebSocket }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(server.wsUrl, 'graphql-transport-ws', { headers });
    socket.once('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0 });
      socket.terminate();
    });
    socket.once('open', () => resolve({ status: 101, socket }));
    socket.once('error', (err) => {
      if (socket.readyState !== WebSocket.CLOSED) reject(err);
    });
  });
}

describe('WebSocket Origin check', () => {
  it('refuses an upgrade from an origin outside ALLOWED_ORIGINS with 403 before the handshake', async () => {
    const result = await rawUpgrade({ origin: 'http://evil.test' });
    expect(result.status).toBe(403);
    expect(result.socket).toBeUndefined();
  });

  it('runs the ServerInfo query over graphql-transport-ws from an allowed origin', async () => {
    const client = wsClient(server.wsUrl, {}, { origin: 'http://allowed.test' });
    try {
      const { results, error } = await collect(client, ServerInfoDocument, {});
      expect(error).toBeUndefined();
      expect(results).toEqual([{ data: { serverInfo: { name: 'WarmProspect Concierge', version: expect.any(String) } } }]);
    } finally {
      await client.dispose();
    }
  });

  it("accepts the server's own origin (the Playground page it serves) without listing it", async () => {
    const own = new URL(server.base).origin;
    const result = await rawUpgrade({ origin: own });
    expect(result.status).toBe(101);
    result.socket?.terminate();
  });

  it('refuses an origin that only shares the port or scheme with the server', async () => {
    const port = new URL(server.base).port;
    const result = await rawUpgrade({ origin: `http://evil.test:${port}` });
    expect(result.status).toBe(403);
  });

  it('runs the ServerInfo query for a client that sends no Origin (not a browser)', async () => {
    const client = wsClient(server.wsUrl);
    try {
      const { results, error } = await collect(client, ServerInfoDocument, {});
      expect(error).toBeUndefined();
      expect(results[0]?.data?.serverInfo.name).toBe('WarmProspect Concierge');
    } finally {
      await client.dispose();
    }
  });

  it('answers a WebSocket upgrade on another path with 404', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const socket = new WebSocket(server.wsUrl.replace('/graphql', '/other'), 'graphql-transport-ws');
      socket.once('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        socket.terminate();
      });
      socket.once('open', () => reject(new Error('upgrade on /other was accepted')));
      socket.once('error', () => undefined);
    });
    expect(status).toBe(404);
  });
});

describe('connection_init deadline', () => {
  it('closes a socket that sends no connection_init within 3 s with code 4408', async () => {
    const { socket } = await rawUpgrade({});
    if (!socket) throw new Error('upgrade refused');
    const opened = Date.now();
    const code = await new Promise<number>((resolve) => socket.once('close', (c) => resolve(c)));
    expect(code).toBe(4408);
    // The deadline is the 3 s of API design, not earlier (a slow client gets its time).
    expect(Date.now() - opened).toBeGreaterThanOrEqual(2_900);
  });
});

describe('operations on one socket', () => {
  it('does not let rejected documents use up the socket\'s operation slots or the subscriptions gauge', async () => {
    // lazy: false keeps one socket for every operation below.
    const client = createClient({ url: server.wsUrl, lazy: false, retryAttempts: 0, webSocketImpl: WebSocket });
    try {
      for (let i = 0; i < 25; i++) {
        const { results, error } = await new Promise<{ results: unknown[]; error?: unknown }>((resolve) => {
          const results: unknown[] = [];
          client.subscribe(
            { query: `query Bad${i} { nope }` },
            { next: (v) => results.push(v), error: (e) => resolve({ results, error: e }), complete: () => resolve({ results }) },
          );
        });
        expect(results).toEqual([]);
        expect(error).toEqual([expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT' } })]);
      }
      const { results } = await collect(client, ServerInfoDocument, {});
      expect(results[0]?.data?.serverInfo.name).toBe('WarmProspect Concierge');
      const metrics = await (await fetch(`${server.base}/metrics`)).text();
      expect(metrics).toMatch(/^graphql_active_subscriptions 0$/m);
    } finally {
      await client.dispose();
    }
  });
});
