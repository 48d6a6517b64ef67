import { PassThrough } from 'node:stream';
import winston from 'winston';
import { ServerInfoDocument } from '../generated/graphql';
import { collect, gql, wsClient } from '../support/client';
import { startTestServer, testConfig, type TestServer } from '../support/server';
import { createTestDatabase, type TestDatabase } from '../support/stores';

/**
 * Request logging and production error output, through the real server with a logger whose
 * JSON lines the test reads (a winston stream transport passed to buildApp).
 */

const API_KEY = 'wpk_test_secret_4f3e2d1c0b9a8776';

type Entry = Record<string, unknown>;

interface Captured {
  logger: winston.Logger;
  lines: string[];
  entries(): Entry[];
  /**
   * Waits until `logged` holds for the entries, re-checking on every line written. The request
   * line comes from the onResponse hook, which runs after the client got the response.
   */
  until(logged: (entries: Entry[]) => boolean, timeoutMs?: number): Promise<void>;
}

function capturingLogger(): Captured {
  const stream = new PassThrough();
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  let buffered = '';
  stream.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    let i: number;
    while ((i = buffered.indexOf('\n')) >= 0) {
      lines.push(buffered.slice(0, i));
      buffered = buffered.slice(i + 1);
    }
    for (const wake of waiters) wake();
  });
  const logger = winston.createLogger({
    level: 'debug',
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    transports: [new winston.transports.Stream({ stream })],
  });
  const entries = () => lines.map((l) => JSON.parse(l) as Entry);
  const until = (logged: (entries: Entry[]) => boolean, timeoutMs = 5000) =>
    new Promise<void>((resolve) => {
      // On timeout it returns too: the test's own assertion then says what is missing.
      const timer = setTimeout(done, timeoutMs);
      function check() {
        if (logged(entries())) done();
      }
      function done() {
        clearTimeout(timer);
        waiters.delete(check);
        resolve();
      }
      waiters.add(check);
      check();
    });
  return { logger, lines, entries, until };
}

const requestLines = (entries: Entry[]) => entries.filter((e) => e.message === 'request');
const wsOperationLines = (entries: Entry[]) => entries.filter((e) => e.message === 'operation' && e.transport === 'ws');

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(async () => {
  await db?.drop();
});

describe('request log lines', () => {
  let server: TestServer;
  const log = capturingLogger();

  beforeAll(async () => {
    server = await startTestServer(testConfig(db, { LOG_LEVEL: 'debug' }), { logger: log.logger });
  });

  afterAll(async () => {
    await server?.close();
  });

  it('writes one JSON line per request with requestId, operationName, durationMs and outcome', async () => {
    const res = await gql(server.url, ServerInfoDocument, {}, { headers: { 'x-api-key': API_KEY } });
    expect(res.status).toBe(200);
    await log.until((e) => requestLines(e).some((l) => l.operationName === 'ServerInfo'));
    const lines = log.entries().filter((e) => e.message === 'request' && e.operationName === 'ServerInfo');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'info', method: 'POST', path: '/graphql', status: 200, outcome: 'ok' });
    expect(lines[0].requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(typeof lines[0].durationMs).toBe('number');
  });

  it('gives each request its own requestId', async () => {
    const before = requestLines(log.entries()).length;
    await gql(server.url, ServerInfoDocument);
    await gql(server.url, ServerInfoDocument);
    await log.until((e) => requestLines(e).length >= before + 2);
    const ids = log.entries().filter((e) => e.message === 'request').map((e) => e.requestId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('records a GraphQL error outcome with its codes', async () => {
    await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'query Broken { nope }', operationName: 'Broken' }),
    });
    await log.until((e) => requestLines(e).some((l) => l.outcome === 'graphql_error'));
    const line = log.entries().find((e) => e.message === 'request' && e.outcome === 'graphql_error');
    expect(line).toMatchObject({ status: 400, errorCodes: ['BAD_USER_INPUT'] });
  });

  it('writes one line per WebSocket operation with requestId, operationName, durationMs and outcome', async () => {
    const client = wsClient(server.wsUrl);
    try {
      await collect(client, ServerInfoDocument, {});
    } finally {
      await client.dispose();
    }
    await log.until((e) => wsOperationLines(e).some((l) => l.operationName === 'ServerInfo'));
    const lines = log.entries().filter((e) => e.message === 'operation' && e.transport === 'ws' && e.operationName === 'ServerInfo');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ outcome: 'ok', durationMs: expect.any(Number), requestId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
  });

  it('never writes an API key, from a header, a Bearer token or WebSocket connectionParams', async () => {
    const requestsBefore = requestLines(log.entries()).length;
    const operationsBefore = wsOperationLines(log.entries()).length;
    await gql(server.url, ServerInfoDocument, {}, { headers: { authorization: `Bearer ${API_KEY}-bearer` } });
    const client = wsClient(server.wsUrl, { 'x-api-key': `${API_KEY}-ws` });
    try {
      await collect(client, ServerInfoDocument, {});
    } finally {
      await client.dispose();
    }
    await log.until((e) => requestLines(e).length > requestsBefore && wsOperationLines(e).length > operationsBefore);
    expect(log.lines.length).toBeGreaterThan(0);
    for (const line of log.lines) expect(line).not.toContain(API_KEY);
  });
});

describe('errors in production', () => {
  let prod: TestServer;
  let dev: TestServer;

  beforeAll(async () => {
    prod = await startTestServer(testConfig(db, { NODE_ENV: 'production' }));
    dev = await startTestServer(testConfig(db, { NODE_ENV: 'development' }));
  });

  afterAll(async () => {
    await prod?.close();
    await dev?.close();
  });

  async function validationError(server: TestServer): Promise<Record<string, unknown>> {
    const res = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ nope }' }),
    });
    const body = (await res.json()) as { errors: Array<Record<string, unknown>> };
    return body.errors[0];
  }

  it('carry no stack trace in production', async () => {
    const error = await validationError(prod);
    expect(error.extensions).toEqual({ code: 'BAD_USER_INPUT' });
    expect(JSON.stringify(error)).not.toMatch(/stacktrace|node_modules|\.js:\d+/);
  });

  it('carry the stack trace in development (the switch is NODE_ENV)', async () => {
    const error = await validationError(dev);
    expect((error.extensions as Record<string, unknown>).stacktrace).toEqual(expect.any(Array));
  });

  it('keep the 413 answer free of internals in production', async () => {
    const res = await fetch(prod.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ serverInfo { name } }', padding: 'x'.repeat(3 * 1024 * 1024) }),
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ errors: [{ message: expect.stringMatching(/^Request body exceeds \d+ bytes$/), extensions: { code: 'PAYLOAD_TOO_LARGE' } }] });
  });
});
