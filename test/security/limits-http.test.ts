import { connect, type Socket } from 'node:net';
import { print } from 'graphql';
import WebSocket from 'ws';
import { SendVoiceMessageDocument, StartSessionDocument } from '../generated/graphql';
import { seedBusiness } from '../support/chat';
import { gql } from '../support/client';
import { startTestServer, testConfig, type TestServer } from '../support/server';
import { createTestDatabase, type TestDatabase } from '../support/stores';

/**
 * Issue 10, item 3, the connection-level limits, through the real server over raw sockets:
 * REQUEST_TIMEOUT_MS (slowloris), an oversized upload closing its connection instead of being
 * drained, WS_MAX_SOCKETS_PER_CLIENT.
 */

let db: TestDatabase;
let server: TestServer;
let sessionId: string;
const MAX_AUDIO_BYTES = 64 * 1024;

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startTestServer(
    testConfig(db, { REQUEST_TIMEOUT_MS: '400', MAX_AUDIO_BYTES: String(MAX_AUDIO_BYTES), WS_MAX_SOCKETS_PER_CLIENT: '3', TRUST_PROXY: '1', RATE_LIMIT_CHAT: 'off' }),
  );
  const business = await seedBusiness(server.app, { voiceEnabled: true });
  sessionId = (await gql(server.url, StartSessionDocument, { businessId: business.id })).data!.startSession.id;
});

afterAll(async () => {
  await server?.close();
  await db?.drop();
});

interface RawConnection {
  socket: Socket;
  /** Everything the server sent so far. */
  received(): string;
  /** Resolves when the server closed the connection. */
  closed: Promise<void>;
  isClosed(): boolean;
}

/** Waits (event loop turns, no clock) until `condition` holds. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setTimeout(r, 10));
}

function rawConnection(): Promise<RawConnection> {
  const { port } = new URL(server.base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1');
    let data = '';
    let closed = false;
    socket.on('data', (chunk: Buffer) => (data += chunk.toString('latin1')));
    socket.on('error', () => undefined); // EPIPE / ECONNRESET once the server cut us off
    const done = new Promise<void>((r) => socket.once('close', () => r()));
    void done.then(() => (closed = true));
    socket.once('connect', () => resolve({ socket, received: () => data, closed: done, isClosed: () => closed }));
    socket.once('error', reject);
  });
}

describe('REQUEST_TIMEOUT_MS', () => {
  it('cuts a client that sends half a request line and headers, then nothing', async () => {
    const conn = await rawConnection();
    conn.socket.write('POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: applica');
    await conn.closed;
    expect(conn.received()).toMatch(/^HTTP\/1\.1 408/);
  });

  it('cuts a client that sends the headers and half the body, then nothing', async () => {
    const conn = await rawConnection();
    const body = JSON.stringify({ query: '{ __typename }' });
    conn.socket.write(
      `POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 5)}`,
    );
    await conn.closed;
    expect(conn.received()).toMatch(/^HTTP\/1\.1 408/);
  });
});

describe('multipart maxFileSize', () => {
  it('answers PAYLOAD_TOO_LARGE and closes the connection before the rest of an oversized upload is sent', async () => {
    const conn = await rawConnection();
    const boundary = '----limits';
    const operations = JSON.stringify({ query: print(SendVoiceMessageDocument), variables: { sessionId, audio: null } });
    const preamble =
      `--${boundary}\r\ncontent-disposition: form-data; name="operations"\r\n\r\n${operations}\r\n` +
      `--${boundary}\r\ncontent-disposition: form-data; name="map"\r\n\r\n${JSON.stringify({ 0: ['variables.audio'] })}\r\n` +
      `--${boundary}\r\ncontent-disposition: form-data; name="0"; filename="voice.webm"\r\ncontent-type: audio/webm\r\n\r\n`;
    // 64 MB declared: 1000 times the limit. A server that drains would take all of it.
    const total = 1000 * MAX_AUDIO_BYTES;
    conn.socket.write(
      `POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\n` +
        `apollo-require-preflight: true\r\nContent-Length: ${preamble.length + total}\r\n\r\n${preamble}`,
    );
    const chunk = Buffer.alloc(64 * 1024, 1);
    let sent = 0;
    while (sent < total && !conn.isClosed()) {
      const flushed = conn.socket.write(chunk);
      sent += chunk.length;
      if (!flushed) await Promise.race([new Promise((r) => conn.socket.once('drain', r)), conn.closed]);
    }
    expect(conn.isClosed()).toBe(true);
    expect(sent).toBeLessThan(total);
    const response = conn.received();
    expect(response).toMatch(/^HTTP\/1\.1 200/);
    expect(response.toLowerCase()).toContain('connection: close');
    expect(response).toContain('"code":"PAYLOAD_TOO_LARGE"');
  });
});

describe('WS_MAX_SOCKETS_PER_CLIENT', () => {
  const open = (ip: string) =>
    new Promise<{ ws: WebSocket; status: number }>((resolve) => {
      const ws = new WebSocket(server.wsUrl, 'graphql-transport-ws', { headers: { 'x-forwarded-for': ip } });
      ws.once('open', () => resolve({ ws, status: 101 }));
      ws.once('unexpected-response', (_req, res) => resolve({ ws, status: res.statusCode ?? 0 }));
      ws.once('error', () => undefined);
    });

  it('refuses the 4th concurrent WebSocket of one client with 429, other clients and closed slots are fine', async () => {
    const first = await Promise.all([open('198.51.100.1'), open('198.51.100.1'), open('198.51.100.1')]);
    expect(first.map((s) => s.status)).toEqual([101, 101, 101]);
    const fourth = await open('198.51.100.1');
    expect(fourth.status).toBe(429);
    // Another address is not affected.
    const other = await open('198.51.100.2');
    expect(other.status).toBe(101);
    // A closed socket frees its slot (once the server has seen it close).
    first[0].ws.close();
    await until(() => server.app.http.ws.socketCount === 3);
    const again = await open('198.51.100.1');
    expect(again.status).toBe(101);
    for (const s of [...first, other, again]) s.ws.close();
    await until(() => server.app.http.ws.socketCount === 0);
  });

  it('counts the addresses of one IPv6 /64 as one client', async () => {
    const sockets = await Promise.all([open('2001:db8:7:7::1'), open('2001:db8:7:7::2'), open('2001:db8:7:7:abcd::3')]);
    expect(sockets.map((s) => s.status)).toEqual([101, 101, 101]);
    expect((await open('2001:db8:7:7:ffff::4')).status).toBe(429);
    const other = await open('2001:db8:7:8::1');
    expect(other.status).toBe(101);
    for (const s of [...sockets, other]) s.ws.close();
  });
});
