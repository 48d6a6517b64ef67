import type { BusinessEntity } from '../../src/business/business.entity';
import type { ReplyChunkRecord } from '../../src/chat/chat.records';
import { ReplyStreamWriter } from '../../src/chat/reply-stream.writer';
import { newOpaqueId } from '../../src/chat/session.store';
import { seedBusiness } from '../support/chat';
import { NO_ORIGIN, readReply, startTestCore, type TestCore } from '../support/core';
import { FakeGemini } from '../support/fake-gemini';
import { createTestDatabase, uniqueName, type TestDatabase } from '../support/stores';

/**
 * The reply stream's guarantees with the coalescing writer (issue 15): two cores on one Redis
 * prefix stand for two api processes; the real Gemini client talks to the fake Gemini.
 */

let db: TestDatabase;
let fake: FakeGemini;
let a: TestCore;
let b: TestCore;
let business: BusinessEntity;

const prefix = `${uniqueName('rs')}:`;
const env = () => ({ GEMINI_API_KEY: 'test', GEMINI_BASE_URL: fake.baseUrl, GEMINI_MODEL: 'fake-flash', REDIS_KEY_PREFIX: prefix, REPLY_INTERRUPT_SECONDS: '1' });

beforeAll(async () => {
  fake = await FakeGemini.start();
  db = await createTestDatabase();
  a = await startTestCore(db, env());
  b = await startTestCore(db, env());
  business = await seedBusiness(a);
});

beforeEach(() => {
  fake.reset();
  fake.chunkDelayMs = 5;
});

afterAll(async () => {
  await a?.close();
  await b?.close();
  await fake?.close();
  await db?.drop();
});

async function collect(core: TestCore, replyId: string, fromSeq: number): Promise<ReplyChunkRecord[]> {
  const chunks: ReplyChunkRecord[] = [];
  for await (const chunk of await core.chat.service.replyStream(replyId, fromSeq)) chunks.push(chunk);
  return chunks;
}

describe('coalesced reply streams', () => {
  it('writes a 60-piece reply in fewer entries, dense seq, and replays exactly from every fromSeq on either process', async () => {
    const words = Array.from({ length: 60 }, (_, i) => `w${i} `);
    fake.reply = () => words.join('');
    fake.chunkDelayMs = 1;
    const { id } = await a.chat.service.startSession(business.id, NO_ORIGIN);
    const receipt = await a.chat.service.sendMessage({ sessionId: id, text: 'Tell me everything' }, NO_ORIGIN);
    const live = await readReply(b, receipt.replyId);
    const all = live.chunks;
    expect(live.text).toBe(words.join(''));
    expect(live.final).toMatchObject({ done: true, error: null, message: { text: words.join('').trim() } });
    expect(all.map((c) => c.seq)).toEqual(all.map((_, i) => i));
    // Coalesced: fewer entries than pieces (one per piece without it).
    expect(all.length - 1).toBeLessThan(words.length);
    for (let fromSeq = 0; fromSeq <= all.length; fromSeq++) {
      const replay = await collect(fromSeq % 2 ? a : b, receipt.replyId, fromSeq);
      // Past the end only the done chunk comes back (it is always delivered).
      expect(replay).toEqual(fromSeq < all.length ? all.slice(fromSeq) : all.slice(-1));
    }
  });

  it('ends with INTERRUPTED when the writer dies with a batch waiting, after delivering every delta it wrote', async () => {
    const settings = { prefix, ttlSeconds: 60, interruptMs: 1000, coalesceMs: 20, coalesceChars: 1000 };
    const writer = new ReplyStreamWriter(a.redis, newOpaqueId(), settings);
    const { id } = await a.chat.service.startSession(business.id, NO_ORIGIN);
    expect(await writer.start(id)).toBe(true);
    await writer.delta('Half ');
    await writer.delta('an ');
    await writer.delta('answer');
    // The process dies: no more heartbeats and no final entry (the waiting batch still goes out).
    writer.stopHeartbeat();
    const chunks = await collect(b, writer.replyId, 0);
    expect(chunks.map((c) => [c.seq, c.delta, c.done, c.error?.code ?? null])).toEqual([
      [0, 'Half ', false, null],
      [1, 'an answer', false, null],
      [2, '', true, 'INTERRUPTED'],
    ]);
  });

  it('keeps a slow but live generator alive: pieces 1.5 s apart with a 1 s heartbeat lifetime end with the message', async () => {
    fake.reply = () => 'Slow but steady.';
    fake.chunkDelayMs = 1500;
    const { id } = await a.chat.service.startSession(business.id, NO_ORIGIN);
    const receipt = await a.chat.service.sendMessage({ sessionId: id, text: 'Take your time' }, NO_ORIGIN);
    const { text, final } = await readReply(b, receipt.replyId);
    expect(final.error).toBeNull();
    expect(final.message?.text).toBe('Slow but steady.');
    expect(text).toBe('Slow but steady.');
  });
});
