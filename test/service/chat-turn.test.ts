import type { BusinessEntity } from '../../src/business/business.entity';
import { seedBusiness } from '../support/chat';
import { NO_ORIGIN, readReply, startTestCore, type TestCore } from '../support/core';
import { createTestDatabase, type TestDatabase } from '../support/stores';

/**
 * A chat turn through ChatService (no HTTP): the offline provider answers, the session lives
 * in Redis under the file's own key prefix, the reply streams through a Redis Stream.
 */

let db: TestDatabase;
let core: TestCore;
let business: BusinessEntity;

beforeAll(async () => {
  db = await createTestDatabase();
  core = await startTestCore(db);
  business = await seedBusiness(core);
});

afterAll(async () => {
  await core?.close();
  await db?.drop();
});

describe('ChatService with the offline provider', () => {
  it('opens a session with the greeting and entry CTAs, stored in Redis with the unused-session TTL', async () => {
    const session = await core.chat.service.startSession(business.id, NO_ORIGIN);
    expect(session.messages.map((m) => m.text)).toEqual(['Welcome to Harbor Dental! How can we help?', 'Pick an option or ask me anything.']);
    expect(session.messages[1].ctas.map((c) => c.id)).toEqual(['services', 'book', 'ask_hours']);
    const ttl = await core.redis.ttl(`${core.config.redisKeyPrefix}chat:session:${session.id}`);
    expect(ttl).toBeGreaterThan(core.config.sessionUnusedTtlSeconds - 10);
    expect(ttl).toBeLessThanOrEqual(core.config.sessionUnusedTtlSeconds);
  });

  it('answers a FAQ on the receipt replyId, streams it to a done chunk, and keeps both sides in the session', async () => {
    const { id } = await core.chat.service.startSession(business.id, NO_ORIGIN);
    const receipt = await core.chat.service.sendMessage({ sessionId: id, text: 'Do you accept new patients?' }, NO_ORIGIN);
    expect(receipt.userMessage).toMatchObject({ role: 'USER', text: 'Do you accept new patients?' });

    const { text, final, chunks } = await readReply(core, receipt.replyId);
    expect(text.trim()).toBe('Yes, we welcome new patients of all ages.');
    expect(chunks.map((c) => c.seq)).toEqual(chunks.map((_, i) => i));
    expect(final).toMatchObject({ replyId: receipt.replyId, done: true, error: null, message: { role: 'ASSISTANT', text: 'Yes, we welcome new patients of all ages.' } });

    const stored = await core.chat.sessions.get(id);
    expect(stored!.messages.slice(-2).map((m) => [m.role, m.text])).toEqual([
      ['USER', 'Do you accept new patients?'],
      ['ASSISTANT', 'Yes, we welcome new patients of all ages.'],
    ]);
  });

  it('answers a SHOW_CHILDREN click with its children', async () => {
    const { id } = await core.chat.service.startSession(business.id, NO_ORIGIN);
    const receipt = await core.chat.service.sendMessage({ sessionId: id, ctaId: 'services' }, NO_ORIGIN);
    const { final } = await readReply(core, receipt.replyId);
    expect(final.message!.ctas.map((c) => [c.id, c.action])).toEqual([
      ['whitening', 'SEND'],
      ['implants', 'SEND'],
    ]);
  });

  it('refuses a browser origin the business does not allow, and an unknown session, with typed errors', async () => {
    const narrow = await seedBusiness(core, { name: 'Shop', allowedOrigins: ['http://shop.test'] });
    await expect(core.chat.service.startSession(narrow.id, { origin: 'http://allowed.test' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(core.chat.service.sendMessage({ sessionId: 'no-such-session', text: 'hello' }, NO_ORIGIN)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
