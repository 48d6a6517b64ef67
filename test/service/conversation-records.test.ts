import type { BusinessEntity } from '../../src/business/business.entity';
import { normalizeQuestion, questionKey } from '../../src/analytics/questions';
import { seedBusiness } from '../support/chat';
import { drainUntil, rows } from '../support/conversations';
import { NO_ORIGIN, readReply, startTestCore, type TestCore } from '../support/core';
import { createTestDatabase, type TestDatabase } from '../support/stores';

/**
 * Conversation records without HTTP: chat events go to the Redis Stream on the turn, and the
 * worker's drain (called directly here) stores transcripts and analytics events in Postgres.
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

async function count(sql: string, bindings: unknown[]): Promise<number> {
  return Number((await rows<{ n: string }>(core, sql, bindings))[0].n);
}

describe('conversation records', () => {
  it('stores every message of a session and its events; the transcript outlives the Redis session', async () => {
    const { id } = await core.chat.service.startSession(business.id, NO_ORIGIN);
    const asked = await core.chat.service.sendMessage({ sessionId: id, text: 'Do you accept new patients?' }, NO_ORIGIN);
    await readReply(core, asked.replyId);
    const clicked = await core.chat.service.sendMessage({ sessionId: id, ctaId: 'services' }, NO_ORIGIN);
    await readReply(core, clicked.replyId);
    const unknown = await core.chat.service.sendMessage({ sessionId: id, text: 'Do you repair bicycles?' }, NO_ORIGIN);
    await readReply(core, unknown.replyId);

    await drainUntil(core, async () => (await count("select count(*) n from analytics_events where session_id = ? and kind = 'reply_sent'", [id])) === 2);
    // Gone from Redis (as after the TTL): the record stays.
    await core.redis.del(...(await core.redis.keys(`${core.config.redisKeyPrefix}chat:session:${id}*`)));

    const messages = await rows<{ role: string; text: string }>(core, 'select role, text from conversation_messages where conversation_id = ? order by created_at, idx', [id]);
    expect(messages.map((m) => `${m.role}: ${m.text}`)).toEqual([
      'ASSISTANT: Welcome to Harbor Dental! How can we help?',
      'ASSISTANT: Pick an option or ask me anything.',
      'USER: Do you accept new patients?',
      'ASSISTANT: Yes, we welcome new patients of all ages.',
      'USER: Our services',
      'ASSISTANT: Our services: please choose an option.',
      'USER: Do you repair bicycles?',
      expect.stringContaining("ASSISTANT: I'm sorry, I don't know that"),
    ]);
    const events = await rows<{ kind: string; text: string | null; cta_id: string | null; provider: string | null; engaged: boolean }>(
      core,
      'select kind, text, cta_id, provider, engaged from analytics_events where session_id = ? order by at, kind',
      [id],
    );
    expect(events.filter((e) => e.kind === 'session_started')).toEqual([expect.objectContaining({ engaged: true })]);
    expect(events.filter((e) => e.kind === 'visitor_message').map((e) => e.text)).toEqual(['Do you accept new patients?', 'Do you repair bicycles?']);
    expect(events.filter((e) => e.kind === 'cta_click').map((e) => e.cta_id)).toEqual(['services']);
    expect(events.filter((e) => e.kind === 'reply_sent').map((e) => e.provider)).toEqual(['offline', 'offline']);
    expect(events.filter((e) => e.kind === 'unanswered').map((e) => e.text)).toEqual(['Do you repair bicycles?']);
    const [conv] = await rows<{ business_id: string; message_count: number }>(core, 'select business_id, message_count from conversations where id = ?', [id]);
    expect(conv).toEqual({ business_id: business.id, message_count: 8 });
  });

  it('storing the same entries twice (a replay after a crash) adds nothing', async () => {
    const { id } = await core.chat.service.startSession(business.id, NO_ORIGIN);
    await drainUntil(core, async () => (await count('select count(*) n from conversation_messages where conversation_id = ?', [id])) === 2);
    const [last] = (await rows<{ id: string; text: string }>(core, 'select id, text from conversation_messages where conversation_id = ? order by idx', [id]));
    // The same event again, as a replay of a batch that committed but was not trimmed would bring it.
    await core.redis.rpush(`${core.config.redisKeyPrefix}conversations:pending:${id}`, JSON.stringify({ kind: 'session_started', sessionId: id, businessId: business.id, at: new Date().toISOString(), messages: [{ id: last.id, role: 'ASSISTANT', text: last.text, createdAt: new Date().toISOString(), sources: [], ctas: [] }] }));
    await core.redis.sadd(`${core.config.redisKeyPrefix}conversations:dirty`, id);
    await core.conversations.tasks.drain();
    expect(await count('select count(*) n from conversation_messages where conversation_id = ?', [id])).toBe(2);
    expect(await count("select count(*) n from analytics_events where session_id = ? and kind = 'session_started'", [id])).toBe(1);
  });

  it('endSession erases the conversation and the texts of its events; the counts stay', async () => {
    const { id } = await core.chat.service.startSession(business.id, NO_ORIGIN);
    const r = await core.chat.service.sendMessage({ sessionId: id, text: 'Do you offer payment plans?' }, NO_ORIGIN);
    await readReply(core, r.replyId);
    await drainUntil(core, async () => (await count("select count(*) n from analytics_events where session_id = ? and kind = 'reply_sent'", [id])) === 1);
    expect(await core.chat.service.endSession(id, NO_ORIGIN)).toBe(true);
    expect(await count('select count(*) n from conversations where id = ?', [id])).toBe(0);
    expect(await count('select count(*) n from conversation_messages where conversation_id = ?', [id])).toBe(0);
    await core.conversations.tasks.drain();
    const events = await rows<{ kind: string; text: string | null; question_key: string | null }>(core, 'select kind, text, question_key from analytics_events where session_id = ?', [id]);
    expect(events.map((e) => e.kind).sort()).toEqual(['reply_sent', 'session_started', 'visitor_message']);
    expect(events.every((e) => e.text === null && e.question_key === null)).toBe(true);
    // Nothing of it is left queued in Redis, and nothing came back.
    expect(await core.redis.exists(`${core.config.redisKeyPrefix}conversations:pending:${id}`)).toBe(0);
    expect(await core.redis.sismember(`${core.config.redisKeyPrefix}conversations:dirty`, id)).toBe(0);
    expect(await count('select count(*) n from conversations where id = ?', [id])).toBe(0);
  });

  it('retention deletes records whose last message is older than CONVERSATION_RETENTION_DAYS', async () => {
    const { id } = await core.chat.service.startSession(business.id, NO_ORIGIN);
    await drainUntil(core, async () => (await count('select count(*) n from conversations where id = ?', [id])) === 1);
    const later = new Date(Date.now() + (core.config.conversations.retentionDays + 1) * 86_400_000);
    expect(await core.conversations.tasks.purge(later)).toBeGreaterThanOrEqual(1);
    expect(await count('select count(*) n from conversations where id = ?', [id])).toBe(0);
    expect(await count("select count(*) n from analytics_events where session_id = ? and kind = 'session_started'", [id])).toBe(1);
  });
});

describe('question grouping keys', () => {
  it('normalises case, punctuation and whitespace', () => {
    expect(normalizeQuestion('  What ARE your   prices?!  ')).toBe('what are your prices');
  });

  it('gives near-duplicates one key (same words after stemming) and different questions different keys', () => {
    expect(questionKey('What are your prices?')).toBe(questionKey('prices'));
    expect(questionKey('How much do your services cost?')).toBe(questionKey('how much does the service cost'));
    expect(questionKey('Are you open on Sundays?')).toBe(questionKey('open sunday?'));
    expect(questionKey('What are your prices?')).not.toBe(questionKey('What are your opening hours?'));
    expect(questionKey('hi')).not.toBe(questionKey('hello'));
  });
});
