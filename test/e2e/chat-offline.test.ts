import type { Client } from 'graphql-ws';
import { ChatDocument, EndSessionDocument, PublicBusinessDocument, SendMessageDocument, SessionDocument, StartSessionDocument } from '../generated/graphql';
import { seedBusiness, streamReply } from '../support/chat';
import { errorCodes, gql, wsClient } from '../support/client';
import { startTestServer, testConfig, type TestServer } from '../support/server';
import { createTestDatabase, type TestDatabase } from '../support/stores';
import type { BusinessEntity } from '../../src/business/business.entity';

// No GEMINI_API_KEY: the offline provider answers, deterministically.
let db: TestDatabase;
let server: TestServer;
let business: BusinessEntity;
let ws: Client;
const env = { RATE_LIMIT_CHAT: 'off', ALLOWED_ORIGINS: 'http://allowed.test,http://shop.test' };

async function start(): Promise<string> {
  const res = await gql(server.url, StartSessionDocument, { businessId: business.id });
  expect(res.errors).toBeUndefined();
  return res.data!.startSession.id;
}

async function chat(sessionId: string, text: string): Promise<string> {
  const res = await gql(server.url, ChatDocument, { input: { sessionId, text } });
  expect(res.errors).toBeUndefined();
  return res.data!.chat.text;
}

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startTestServer(testConfig(db, env));
  business = await seedBusiness(server.app);
  ws = wsClient(server.wsUrl);
});

afterAll(async () => {
  await ws?.dispose();
  await server?.close();
  await db?.drop();
});

describe('the default greeting', () => {
  it('is the same in publicBusiness and as the first message of a session when the business set none', async () => {
    const plain = await seedBusiness(server.app, { name: 'No Greeting Cafe', greeting: null, secondaryGreeting: null });
    const pub = await gql(server.url, PublicBusinessDocument, { id: plain.id });
    const started = await gql(server.url, StartSessionDocument, { businessId: plain.id });
    expect(pub.errors).toBeUndefined();
    expect(started.data?.startSession.messages[0]?.text).toBe(pub.data?.publicBusiness?.greeting);
    expect(pub.data?.publicBusiness?.greeting).toBe('Hi! How can I help you today?');
  });
});

describe('startSession', () => {
  it('opens with the greeting, the secondary greeting and the entry CTAs (children of main_menu)', async () => {
    const res = await gql(server.url, StartSessionDocument, { businessId: business.id });
    const session = res.data!.startSession;
    expect(session.businessId).toBe(business.id);
    expect(session.messages.map((m) => [m.role, m.text])).toEqual([
      ['ASSISTANT', 'Welcome to Harbor Dental! How can we help?'],
      ['ASSISTANT', 'Pick an option or ask me anything.'],
    ]);
    expect(session.messages[1].ctas.map((c) => c.id)).toEqual(['services', 'book', 'ask_hours']);
    expect(session.messages[1].ctas[1]).toMatchObject({ action: 'LINK', url: 'https://harbor.example/book' });
  });

  it('issues an unguessable id (24 base64url characters = 144 random bits) that lives SESSION_UNUSED_TTL_SECONDS until the visitor writes, then 7 days', async () => {
    const res = await gql(server.url, StartSessionDocument, { businessId: business.id });
    const { id, expiresAt } = res.data!.startSession;
    expect(id).toMatch(/^[A-Za-z0-9_-]{24}$/);
    const other = (await gql(server.url, StartSessionDocument, { businessId: business.id })).data!.startSession.id;
    expect(other).not.toBe(id);
    const minutes = (new Date(expiresAt).getTime() - Date.now()) / 60_000;
    expect(minutes).toBeGreaterThan(29.9);
    expect(minutes).toBeLessThanOrEqual(30);
    const key = `${server.app.config.redisKeyPrefix}chat:session:${id}`;
    expect(await server.app.redis.ttl(key)).toBeLessThanOrEqual(1_800);
    await gql(server.url, SendMessageDocument, { input: { sessionId: id, text: 'hi' } });
    const days = (new Date((await gql(server.url, SessionDocument, { id })).data!.session!.expiresAt).getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(6.99);
    expect(days).toBeLessThanOrEqual(7);
    expect(await server.app.redis.ttl(key)).toBeGreaterThan(604_700);
  });

  it('answers NOT_FOUND for an unknown business', async () => {
    const res = await gql(server.url, StartSessionDocument, { businessId: '00000000-0000-4000-8000-000000000000' });
    expect(errorCodes(res)).toEqual(['NOT_FOUND']);
  });
});

describe('offline answers (no Gemini key)', () => {
  it('answers a FAQ with its answer', async () => {
    expect(await chat(await start(), 'Do you accept new patients?')).toBe('Yes, we welcome new patients of all ages.');
  });

  it('answers opening hours and location from the business profile', async () => {
    const id = await start();
    expect(await chat(id, 'What are your opening hours?')).toContain('Mon-Fri 8am-6pm, Sat 9am-1pm');
    expect(await chat(id, 'Where are you located?')).toContain('12 Quay Street, Portsmouth');
    expect(await chat(id, 'How can I contact you?')).toContain('hello@harbor.example');
  });

  it('says plainly when it does not know and offers to pass the contact on', async () => {
    const text = await chat(await start(), 'Do you repair motorbikes?');
    expect(text).toMatch(/don't know/);
    expect(text).toMatch(/pass your question to the team/);
  });

  it('keeps both sides of the conversation in the session', async () => {
    const id = await start();
    await chat(id, 'Do you offer payment plans?');
    const session = (await gql(server.url, SessionDocument, { id })).data!.session!;
    expect(session.messages.slice(-2).map((m) => [m.role, m.text])).toEqual([
      ['USER', 'Do you offer payment plans?'],
      ['ASSISTANT', 'Yes, interest-free plans over 12 months.'],
    ]);
  });
});

describe('streaming over graphql-ws', () => {
  it('streams the reply in order (the first word alone, the rest coalesced) and ends with done and the whole message', async () => {
    const id = await start();
    const sent = await gql(server.url, SendMessageDocument, { input: { sessionId: id, text: 'What are your opening hours?' } });
    expect(sent.data!.sendMessage.userMessage).toMatchObject({ role: 'USER', text: 'What are your opening hours?' });
    const { chunks, errors } = await streamReply(ws, sent.data!.sendMessage.replyId);
    expect(errors).toEqual([]);
    const deltas = chunks.filter((c) => !c.done);
    expect(deltas.length).toBeGreaterThanOrEqual(2);
    expect(deltas[0].delta).toMatch(/^\S+\s*$/);
    expect(chunks.map((c) => c.seq)).toEqual(chunks.map((_, i) => i));
    const last = chunks[chunks.length - 1];
    expect(last.done).toBe(true);
    expect(deltas.map((c) => c.delta).join('').trim()).toBe(last.message!.text);
    expect(last.message!.text).toContain('Mon-Fri');
  });

  it('replays from a seq after the reply completed', async () => {
    const id = await start();
    const sent = await gql(server.url, SendMessageDocument, { input: { sessionId: id, text: 'Where are you located?' } });
    const replyId = sent.data!.sendMessage.replyId;
    const all = await streamReply(ws, replyId);
    const replay = await streamReply(ws, replyId, 2);
    expect(replay.chunks.map((c) => c.seq)).toEqual(all.chunks.slice(2).map((c) => c.seq));
    expect(replay.chunks.map((c) => c.delta)).toEqual(all.chunks.slice(2).map((c) => c.delta));
    expect(replay.chunks[replay.chunks.length - 1].done).toBe(true);
  });

  it('answers NOT_FOUND for an unknown reply id', async () => {
    const { errors } = await streamReply(ws, 'AAAAAAAAAAAAAAAAAAAAAAAA');
    expect(errors).toEqual(['NOT_FOUND']);
  });
});

describe('greetings and CTAs', () => {
  it('answers "hi" right after the greeting with a short different answer, never the greeting again', async () => {
    const id = await start();
    const first = await chat(id, 'hi');
    expect(first).not.toContain('Welcome to Harbor Dental');
    expect(first).toContain('Harbor Dental');
    const second = await chat(id, 'Hello!');
    expect(second).not.toContain('Welcome to Harbor Dental');
  });

  it('resets to the greeting and entry CTAs on "start over" after a conversation', async () => {
    const id = await start();
    await chat(id, 'Do you offer payment plans?');
    const res = await gql(server.url, ChatDocument, { input: { sessionId: id, text: 'start over' } });
    expect(res.data!.chat.text).toContain('Welcome to Harbor Dental! How can we help?');
    expect(res.data!.chat.ctas.map((c) => c.id)).toEqual(['services', 'book', 'ask_hours']);
  });

  it('answers a SHOW_CHILDREN click with its children', async () => {
    const id = await start();
    const res = await gql(server.url, ChatDocument, { input: { sessionId: id, ctaId: 'services' } });
    expect(res.data!.chat.ctas.map((c) => [c.id, c.action])).toEqual([
      ['whitening', 'SEND'],
      ['implants', 'SEND'],
    ]);
  });

  it("sends a SEND node's message as the visitor's text", async () => {
    const id = await start();
    const sent = await gql(server.url, SendMessageDocument, { input: { sessionId: id, ctaId: 'ask_hours' } });
    expect(sent.data!.sendMessage.userMessage.text).toBe('What are your opening hours?');
    const { chunks } = await streamReply(ws, sent.data!.sendMessage.replyId);
    expect(chunks[chunks.length - 1].message!.text).toContain('Mon-Fri');
  });

  it("answers a LINK click with the node's URL", async () => {
    const id = await start();
    const res = await gql(server.url, ChatDocument, { input: { sessionId: id, ctaId: 'book' } });
    expect(res.data!.chat.text).toContain('https://harbor.example/book');
    expect(res.data!.chat.ctas[0]).toMatchObject({ id: 'book', action: 'LINK', url: 'https://harbor.example/book' });
  });

  it('answers NOT_FOUND for an unknown CTA id and stores nothing', async () => {
    const id = await start();
    const res = await gql(server.url, SendMessageDocument, { input: { sessionId: id, ctaId: 'nope' } });
    expect(errorCodes(res)).toEqual(['NOT_FOUND']);
    expect(res.errors![0].message).toBe('CTA "nope" was not found');
    expect((await gql(server.url, SessionDocument, { id })).data!.session!.messages).toHaveLength(2);
  });
});

describe('bad input', () => {
  const cases: Array<[string, { text?: string | null; ctaId?: string | null }]> = [
    ['empty text', { text: '' }],
    ['whitespace only', { text: '   \n ' }],
    ['text over 4,000 characters', { text: 'a'.repeat(4001) }],
    ['a lone surrogate', { text: 'hello \ud800 there' }],
    ['a NUL character', { text: 'hello\u0000' }],
    ['invalid UTF-8 (decoded as U+FFFD)', { text: 'caf\uFFFD' }],
    ['both text and ctaId', { text: 'hi', ctaId: 'book' }],
    ['neither text nor ctaId', {}],
  ];
  it.each(cases)('refuses %s with BAD_USER_INPUT and stores nothing', async (_name, input) => {
    const id = await start();
    const res = await gql(server.url, SendMessageDocument, { input: { sessionId: id, ...input } });
    expect(errorCodes(res)).toEqual(['BAD_USER_INPUT']);
    expect((await gql(server.url, SessionDocument, { id })).data!.session!.messages).toHaveLength(2);
  });

  it('accepts exactly 4,000 characters', async () => {
    const res = await gql(server.url, SendMessageDocument, { input: { sessionId: await start(), text: 'a'.repeat(4000) } });
    expect(res.errors).toBeUndefined();
  });

  it('refuses raw invalid UTF-8 bytes in the request body', async () => {
    const id = await start();
    const body = Buffer.concat([
      Buffer.from(`{"query":"mutation($i: SendMessageInput!){ sendMessage(input: $i){ replyId } }","variables":{"i":{"sessionId":"${id}","text":"bad `),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('"}}}'),
    ]);
    const res = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(errorCodes((await res.json()) as never)).toEqual(['BAD_USER_INPUT']);
  });

  it('answers NOT_FOUND for an unknown or malformed session id', async () => {
    for (const sessionId of ['AAAAAAAAAAAAAAAAAAAAAAAA', 'not-a-session']) {
      const res = await gql(server.url, SendMessageDocument, { input: { sessionId, text: 'hello there, anyone?' } });
      expect(errorCodes(res)).toEqual(['NOT_FOUND']);
      expect(errorCodes(await gql(server.url, SessionDocument, { id: sessionId }))).toEqual(['NOT_FOUND']);
    }
  });
});

describe('session lifecycle', () => {
  it('endSession erases the session now', async () => {
    const id = await start();
    expect((await gql(server.url, EndSessionDocument, { id })).data!.endSession).toBe(true);
    expect(errorCodes(await gql(server.url, SessionDocument, { id }))).toEqual(['NOT_FOUND']);
    expect((await gql(server.url, EndSessionDocument, { id })).data!.endSession).toBe(false);
  });

  it('refreshes the TTL on every turn', async () => {
    const id = await start();
    const key = `${server.app.config.redisKeyPrefix}chat:session:${id}`;
    await server.app.redis.expire(key, 100);
    await chat(id, 'Do you accept new patients?');
    expect(await server.app.redis.ttl(key)).toBeGreaterThan(604_700);
    const expiresAt = (await gql(server.url, SessionDocument, { id })).data!.session!.expiresAt;
    expect(new Date(expiresAt).getTime()).toBeGreaterThan(Date.now() + 604_700_000);
  });

  it('narrows browser origins to the business allowedOrigins; non-browser clients pass', async () => {
    const narrow = await seedBusiness(server.app, { name: 'Shop', allowedOrigins: ['http://shop.test'] });
    const other = await gql(server.url, StartSessionDocument, { businessId: narrow.id }, { headers: { origin: 'http://allowed.test' } });
    expect(errorCodes(other)).toEqual(['FORBIDDEN']);
    const own = await gql(server.url, StartSessionDocument, { businessId: narrow.id }, { headers: { origin: 'http://shop.test' } });
    expect(own.errors).toBeUndefined();
    const id = own.data!.startSession.id;
    const cross = await gql(server.url, SendMessageDocument, { input: { sessionId: id, text: 'hours?' } }, { headers: { origin: 'http://allowed.test' } });
    expect(errorCodes(cross)).toEqual(['FORBIDDEN']);
    const noOrigin = await gql(server.url, SessionDocument, { id });
    expect(noOrigin.data!.session!.id).toBe(id);
  });

  it('exposes chat metrics', async () => {
    const text = await (await fetch(`${server.base}/metrics`)).text();
    expect(text).toMatch(/^chat_reply_duration_seconds_count\{provider="offline",outcome="ok"\} [1-9]/m);
    expect(text).toMatch(/^chat_time_to_first_token_seconds_count\{provider="offline"\} [1-9]/m);
    expect(text).toContain('gemini_failures_total');
    expect(text).toContain('llm_fallbacks_total');
  });
});

describe('restarts and expiry', () => {
  it('keeps the history across a server restart (state lives in Redis)', async () => {
    const config = testConfig(db, env);
    const first = await startTestServer(config);
    let id: string;
    try {
      id = (await gql(first.url, StartSessionDocument, { businessId: business.id })).data!.startSession.id;
      await gql(first.url, ChatDocument, { input: { sessionId: id, text: 'Do you accept new patients?' } });
    } finally {
      await first.close();
    }
    const second = await startTestServer(config);
    try {
      const session = (await gql(second.url, SessionDocument, { id })).data!.session!;
      expect(session.messages.map((m) => m.text)).toContain('Yes, we welcome new patients of all ages.');
    } finally {
      await second.close();
    }
  });

  it('expires an idle session after SESSION_TTL_SECONDS: then NOT_FOUND', async () => {
    const short = await startTestServer(testConfig(db, { ...env, SESSION_TTL_SECONDS: '2' }));
    try {
      const id = (await gql(short.url, StartSessionDocument, { businessId: business.id })).data!.startSession.id;
      // These waits are the subject: Redis expires the session by the clock, nothing signals it.
      await new Promise((r) => setTimeout(r, 1200));
      // A turn refreshes the TTL: the session outlives its first two seconds.
      await gql(short.url, ChatDocument, { input: { sessionId: id, text: 'Where are you located?' } });
      await new Promise((r) => setTimeout(r, 1200));
      expect((await gql(short.url, SessionDocument, { id })).data!.session!.id).toBe(id);
      await new Promise((r) => setTimeout(r, 2200));
      expect(errorCodes(await gql(short.url, SessionDocument, { id }))).toEqual(['NOT_FOUND']);
      const late = await gql(short.url, SendMessageDocument, { input: { sessionId: id, text: 'still there?' } });
      expect(errorCodes(late)).toEqual(['NOT_FOUND']);
    } finally {
      await short.close();
    }
  });
});
