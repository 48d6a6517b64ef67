import type Redis from 'ioredis';
import { EndSessionDocument, SendMessageDocument, SendVoiceMessageDocument, StartSessionDocument } from '../generated/graphql';
import { speech } from '../support/audio';
import { seedBusiness } from '../support/chat';
import { collect, errorCodes, gql, wsClient } from '../support/client';
import { PLATFORM, startTestCore, type TestCore } from '../support/core';
import { FakeGemini } from '../support/fake-gemini';
import { upload } from '../support/multipart';
import { startTestServer, testConfig, type TestServer } from '../support/server';
import { createTestDatabase, type TestDatabase } from '../support/stores';
import { startVoiceServer, type VoiceTestServer } from '../support/voice-server';
import { ReplyStreamDocument } from '../generated/graphql';

/**
 * Issue 10, item 6: endSession and deleteBusiness erase everything of a session in Redis
 * (reply streams, a reply still generating, parked audio, queued job payloads), and
 * deleteBusiness finds the sessions without a keyspace SCAN.
 */

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

/** Every key under the test's own prefix, with a printable dump of its value. */
async function dumpPrefix(redis: Redis, prefix: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for await (const batch of redis.scanStream({ match: `${prefix}*`, count: 1000 }) as AsyncIterable<string[]>) {
    for (const key of batch) {
      const type = await redis.type(key);
      let value: unknown;
      if (type === 'string') value = (await redis.getBuffer(key))?.toString('latin1');
      else if (type === 'hash') value = await redis.hgetall(key);
      else if (type === 'list') value = await redis.lrange(key, 0, -1);
      else if (type === 'set') value = await redis.smembers(key);
      else if (type === 'zset') value = await redis.zrange(key, 0, -1);
      else if (type === 'stream') value = await redis.xrange(key, '-', '+');
      if (type !== 'none') out.set(key, JSON.stringify(value));
    }
  }
  return out;
}

/** Keys whose name or value mentions any of `needles`. */
async function keysMentioning(redis: Redis, prefix: string, needles: string[]): Promise<string[]> {
  const found: string[] = [];
  for (const [key, value] of await dumpPrefix(redis, prefix)) if (needles.some((n) => key.includes(n) || value.includes(n))) found.push(key);
  return found;
}

describe('endSession', () => {
  let gemini: FakeGemini;
  let server: TestServer;
  beforeAll(async () => {
    gemini = await FakeGemini.start();
    server = await startTestServer(
      testConfig(db, { LLM_PROVIDER: 'gemini', GEMINI_API_KEY: 'test', GEMINI_BASE_URL: gemini.baseUrl, GEMINI_MAX_RETRIES: '0', RATE_LIMIT_CHAT: 'off' }),
    );
  });
  afterAll(async () => {
    await server.close();
    await gemini.close();
  });

  it('leaves no key of the session, its finished replies, or a reply still generating', async () => {
    const business = await seedBusiness(server.app);
    const start = await gql(server.url, StartSessionDocument, { businessId: business.id });
    const sessionId = start.data!.startSession.id;

    // One finished reply and one CTA reply: their streams live an hour after the last write.
    gemini.chunkDelayMs = 1;
    gemini.reply = () => 'Short answer.';
    const first = await gql(server.url, SendMessageDocument, { input: { sessionId, text: 'What do you offer?' } });
    const firstReply = first.data!.sendMessage.replyId;
    const ws = wsClient(server.wsUrl);
    await collect(ws, ReplyStreamDocument, { replyId: firstReply, fromSeq: 0 });
    const menu = await gql(server.url, SendMessageDocument, { input: { sessionId, ctaId: 'main_menu' } });
    const menuReply = menu.data!.sendMessage.replyId;

    // A slow reply: ended while its words are still arriving.
    gemini.chunkDelayMs = 40;
    gemini.reply = () => Array.from({ length: 60 }, (_, i) => `word${i}`).join(' ');
    const slow = await gql(server.url, SendMessageDocument, { input: { sessionId, text: 'Tell me everything.' } });
    const slowReply = slow.data!.sendMessage.replyId;
    const firstDelta = new Promise<void>((resolve) => {
      void collect(ws, ReplyStreamDocument, { replyId: slowReply, fromSeq: 0 }, () => resolve());
    });
    await firstDelta;

    const prefix = server.app.config.redisKeyPrefix;
    expect(await keysMentioning(server.app.redis, prefix, [sessionId, firstReply, menuReply, slowReply])).not.toEqual([]);

    const ended = await gql(server.url, EndSessionDocument, { id: sessionId });
    expect(errorCodes(ended)).toEqual([]);
    expect(ended.data?.endSession).toBe(true);
    // The generator stops on its next delta (or, without erasure, runs to the end and stores it).
    await server.app.chat.generator.idle();

    expect(await keysMentioning(server.app.redis, prefix, [sessionId, firstReply, menuReply, slowReply])).toEqual([]);
    // Ended means ended: a new message is refused, the business's session set no longer names it.
    const after = await gql(server.url, SendMessageDocument, { input: { sessionId, text: 'Still there?' } });
    expect(errorCodes(after)).toEqual(['NOT_FOUND']);
    await ws.dispose();
  });
});

describe('endSession of a voice message waiting for the worker', () => {
  let server: VoiceTestServer;
  beforeAll(async () => {
    // The real BullMQ queue and no worker: the job waits with its payload (session id, audio key).
    server = await startVoiceServer(db, { LLM_PROVIDER: 'offline', VOICE_WORKER_THRESHOLD_BYTES: '2048' });
  });
  afterAll(async () => {
    await server.close();
  });

  it('deletes the parked audio and the queued job payload', async () => {
    const res = await upload(server.url, SendVoiceMessageDocument, { sessionId: server.sessionId }, await speech('what are your opening hours', 'wav'));
    expect(errorCodes(res)).toEqual([]);
    expect(res.data?.sendVoiceMessage.transcriptPending).toBe(true);
    const replyId = res.data!.sendVoiceMessage.replyId;
    const prefix = server.app.config.redisKeyPrefix;
    const before = await keysMentioning(server.app.redis, prefix, [server.sessionId]);
    expect(before.some((k) => k.includes(':voice:audio:'))).toBe(false); // the audio key names no session…
    expect(before.some((k) => k.includes(`voice-${replyId}`))).toBe(true); // …but the job payload does
    const audioKeys = [...(await dumpPrefix(server.app.redis, prefix)).keys()].filter((k) => k.includes(':voice:audio:'));
    expect(audioKeys).toHaveLength(1);

    const ended = await gql(server.url, EndSessionDocument, { id: server.sessionId });
    expect(ended.data?.endSession).toBe(true);

    expect(await keysMentioning(server.app.redis, prefix, [server.sessionId])).toEqual([]);
    expect(await server.app.redis.exists(audioKeys[0])).toBe(0);
    expect([...(await dumpPrefix(server.app.redis, prefix)).keys()].filter((k) => k.includes(replyId))).toEqual([]);
  });
});

describe('deleteBusiness', () => {
  let core: TestCore;
  beforeAll(async () => {
    core = await startTestCore(db, { RATE_LIMIT_CHAT: 'off' });
  });
  afterAll(async () => {
    await core.close();
  });

  it('erases all N sessions of the business from its session set, without SCAN, leaving other businesses alone', async () => {
    const doomed = await seedBusiness(core);
    const other = await seedBusiness(core, { name: 'Other' });
    const N = 60;
    const ids: string[] = [];
    for (let i = 0; i < N; i++) {
      const s = await core.chat.service.startSession(doomed.id, { origin: null });
      ids.push(s.id);
      if (i % 10 === 0) await core.chat.service.sendMessage({ sessionId: s.id, ctaId: 'main_menu' }, { origin: null });
    }
    const kept = await core.chat.service.startSession(other.id, { origin: null });
    const prefix = core.config.redisKeyPrefix;

    const monitor = await core.redis.duplicate().monitor();
    const commands: string[][] = [];
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      // The commands a script runs show up too (source "lua"); the round trips are what count.
      if (source !== 'lua' && args.some((a) => a.includes(prefix))) commands.push(args);
    });
    try {
      expect(await core.businessService.delete(PLATFORM, doomed.id)).toBe(true);
      // MONITOR's feed is asynchronous: a marker command shows everything before it was seen.
      const seen = new Promise<void>((resolve) => monitor.on('monitor', (_t: string, args: string[]) => args.includes(`${prefix}marker`) && resolve()));
      await core.redis.get(`${prefix}marker`);
      await seen;
    } finally {
      monitor.disconnect();
    }

    const names = commands.map((c) => c[0].toLowerCase());
    expect(names).not.toContain('scan');
    expect(names.filter((n) => n === 'hget')).toEqual([]);
    // A handful of commands for the whole business, not a few per session.
    expect(commands.length).toBeLessThan(N / 4);

    const left = await keysMentioning(core.redis, prefix, [...ids, doomed.id]);
    expect(left).toEqual([]);
    expect(await core.chat.sessions.get(kept.id)).not.toBeNull();
  });
});
