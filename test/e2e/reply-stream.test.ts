import type { Client } from 'graphql-ws';
import { print } from 'graphql';
import Redis from 'ioredis';
import { ReplyStreamDocument, SendMessageDocument, StartSessionDocument } from '../generated/graphql';
import { seedBusiness, type Chunk } from '../support/chat';
import { gql, wsClient } from '../support/client';
import { FakeGemini } from '../support/fake-gemini';
import { startTestServer, testConfig, type TestServer } from '../support/server';
import { createTestDatabase, REDIS_URL, type TestDatabase } from '../support/stores';
import type { BusinessEntity } from '../../src/business/business.entity';

/**
 * The reply stream over graphql-ws on two api processes (two servers built by buildApp on one
 * Redis prefix), with the coalescing writer (issue 15).
 */

let db: TestDatabase;
let fake: FakeGemini;
let a: TestServer;
let b: TestServer;
let business: BusinessEntity;

beforeAll(async () => {
  fake = await FakeGemini.start();
  db = await createTestDatabase();
  const config = testConfig(db, { GEMINI_API_KEY: 'test', GEMINI_BASE_URL: fake.baseUrl, GEMINI_MODEL: 'fake-flash', RATE_LIMIT_CHAT: '1000/minute' });
  a = await startTestServer(config);
  b = await startTestServer(config);
  business = await seedBusiness(a.app);
});

beforeEach(() => {
  fake.reset();
});

afterAll(async () => {
  await a?.close();
  await b?.close();
  await fake?.close();
  await db?.drop();
});

async function send(text: string): Promise<string> {
  const sessionId = (await gql(a.url, StartSessionDocument, { businessId: business.id })).data!.startSession.id;
  const res = await gql(a.url, SendMessageDocument, { input: { sessionId, text } });
  expect(res.errors).toBeUndefined();
  return res.data!.sendMessage.replyId;
}

/**
 * Follows `replyId` from `fromSeq` on `client`; with `cutAfter`, terminates the socket (no
 * close handshake, as a dropped network does) once that many chunks have arrived.
 */
function follow(client: Client, replyId: string, fromSeq: number, cutAfter?: number): Promise<{ chunks: Chunk[]; cut: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Chunk[] = [];
    client.subscribe(
      { query: print(ReplyStreamDocument), variables: { replyId, fromSeq } },
      {
        next: (r) => {
          const chunk = (r.data as { replyStream: Chunk } | null | undefined)?.replyStream;
          if (!chunk) return reject(new Error(JSON.stringify(r.errors)));
          chunks.push(chunk);
          if (!chunk.done && cutAfter !== undefined && chunks.length >= cutAfter) {
            client.terminate();
            resolve({ chunks, cut: true });
          }
        },
        error: (err) => (cutAfter !== undefined ? resolve({ chunks, cut: true }) : reject(err instanceof Error ? err : new Error(String(err)))),
        complete: () => resolve({ chunks, cut: false }),
      },
    );
  });
}

// A fixed seed: the cut points are "random" but the same on every run.
let seed = 15;
const random = () => ((seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff) / 0x7fffffff);

describe('reconnecting mid-reply', () => {
  it('cut 20 times at random points and resumed on the other process from the next seq: the text is exact every time, nothing lost or repeated', async () => {
    const words = Array.from({ length: 24 }, (_, i) => `piece${i} `);
    fake.reply = () => words.join('');
    // Slower than the coalescing window, so most pieces are entries of their own and the cut falls mid-reply.
    fake.chunkDelayMs = 15;
    for (let round = 0; round < 20; round++) {
      const replyId = await send(`question ${round}`);
      const [first, second] = round % 2 ? [b, a] : [a, b];
      const cutAfter = 1 + Math.floor(random() * 12);
      const one = wsClient(first.wsUrl);
      const two = wsClient(second.wsUrl);
      try {
        const before = await follow(one, replyId, 0, cutAfter);
        const next = before.chunks.length ? before.chunks[before.chunks.length - 1].seq + 1 : 0;
        const after = before.cut ? await follow(two, replyId, next) : { chunks: [] };
        const chunks = [...before.chunks, ...after.chunks];
        expect(chunks.map((c) => c.seq)).toEqual(chunks.map((_, i) => i));
        expect(chunks.filter((c) => !c.done).map((c) => c.delta).join('')).toBe(words.join(''));
        expect(chunks[chunks.length - 1]).toMatchObject({ done: true, error: null, message: { text: words.join('').trim() } });
      } finally {
        await one.dispose();
        await two.dispose();
      }
    }
  });
});

describe('Redis commands per turn', () => {
  it('sends at most 20 commands for a 10-piece reply, from sendMessage to the subscriber’s done (counted by MONITOR on this server’s connections)', async () => {
    const words = Array.from({ length: 10 }, (_, i) => `p${i} `);
    fake.reply = () => words.join('');
    fake.chunkDelayMs = 0;
    const sessionId = (await gql(a.url, StartSessionDocument, { businessId: business.id })).data!.startSession.id;
    const ws = wsClient(a.wsUrl);
    const { connections } = a.app;
    const ours = new Set([connections.commands, connections.blocking, connections.jobs].map((c) => `${c.stream.localAddress}:${c.stream.localPort}`));
    const monitorClient = new Redis(REDIS_URL);
    const monitor = await monitorClient.monitor();
    const seen: string[] = [];
    const start = `start-${Date.now()}`;
    const end = `end-${Date.now()}`;
    let counting = false;
    let ended!: () => void;
    const reported = new Promise<void>((resolve) => (ended = resolve));
    // MONITOR reports commands in the order Redis ran them: an ECHO of ours before the turn
    // and one after it bound exactly what the turn sent.
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      if (!ours.has(source)) return;
      if (args[0]?.toUpperCase() === 'ECHO' && args[1] === start) counting = true;
      else if (args[0]?.toUpperCase() === 'ECHO' && args[1] === end) {
        counting = false;
        ended();
      } else if (counting) seen.push(String(args[0]).toUpperCase());
    });
    try {
      await a.app.redis.echo(start);
      const res = await gql(a.url, SendMessageDocument, { input: { sessionId, text: 'Ten pieces, please' } });
      const { chunks } = await follow(ws, res.data!.sendMessage.replyId, 0);
      expect(chunks.filter((c) => !c.done).map((c) => c.delta).join('')).toBe(words.join(''));
      await a.app.redis.echo(end);
      await reported;
      const turn = seen;
      expect(turn.length).toBeGreaterThan(0);
      expect(turn.length).toBeLessThanOrEqual(20);
    } finally {
      monitor.disconnect();
      monitorClient.disconnect();
      await ws.dispose();
    }
  });
});
