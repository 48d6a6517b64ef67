import { SendMessageDocument, SendVoiceMessageDocument, SessionDocument } from '../generated/graphql';
import type { VoiceJobPayload, VoiceJobQueue } from '../../src/voice/voice.job';
import { buildWorker } from '../../src/worker-app';
import { createSilentLogger } from '../../src/observability/logger';
import { recognised, speech } from '../support/audio';
import { streamReply, type Chunk } from '../support/chat';
import { errorCodes, gql } from '../support/client';
import { FakeGemini, isTranscription, type RecordedRequest } from '../support/fake-gemini';
import { upload } from '../support/multipart';
import { testConfig } from '../support/server';
import { createTestDatabase, type TestDatabase } from '../support/stores';
import { startVoiceServer, waitForEmpty, type VoiceTestServer } from '../support/voice-server';

/**
 * A voice message end to end through the real chat service: upload → transcript as the
 * visitor message → the business's concierge streams an answer over graphql-ws → the session
 * holds both. With Gemini (fake wire), offline (pocketsphinx + offline answers), large files
 * through the worker's processor on the same replyId, and the shared rate limit.
 */

const HOURS = 'Mon-Fri 8am-6pm, Sat 9am-1pm'; // Harbor Dental's hours (test/support/chat.ts)
const PHRASE = 'what are your opening hours';

let db: TestDatabase;
let gemini: FakeGemini;
let question: Buffer;
const servers: VoiceTestServer[] = [];

async function voiceServer(env: Record<string, string>, queue?: Pick<VoiceJobQueue, 'enqueue'>) {
  const server = await startVoiceServer(db, env, queue ? { queue: { remove: async () => undefined, ...queue } } : {});
  servers.push(server);
  return server;
}

const geminiEnv = () => ({ LLM_PROVIDER: 'gemini', GEMINI_API_KEY: 'test', GEMINI_BASE_URL: gemini.baseUrl, GEMINI_MAX_RETRIES: '0' });

const send = (server: VoiceTestServer, file: Buffer, sessionId = server.sessionId) =>
  upload(server.url, SendVoiceMessageDocument, { sessionId }, file);

function text(request: RecordedRequest, where: 'system' | 'contents'): string {
  const parts = where === 'system' ? (request.body.systemInstruction?.parts ?? []) : request.body.contents.flatMap((c) => c.parts);
  return parts.map((p) => p.text ?? '').join('\n');
}

/** The streamed deltas, in seq order, and the final chunk. */
function assembled(chunks: Chunk[]): { text: string; final: Chunk | undefined } {
  const deltas = chunks.filter((c) => !c.done);
  expect(deltas.map((c) => c.seq)).toEqual(deltas.map((_, i) => i));
  return { text: deltas.map((c) => c.delta).join(''), final: chunks.at(-1) };
}

beforeAll(async () => {
  db = await createTestDatabase();
  gemini = await FakeGemini.start();
  question = await speech(PHRASE, 'webm');
});

afterAll(async () => {
  for (const server of servers) await server.close();
  await gemini?.close();
  await db?.drop();
});

afterEach(async () => {
  for (const server of servers) expect(await waitForEmpty(server.tempRoot)).toEqual([]);
});

describe('with Gemini (fake wire)', () => {
  let server: VoiceTestServer;
  beforeAll(async () => {
    server = await voiceServer(geminiEnv());
  });
  beforeEach(() => {
    gemini.reset();
    gemini.transcript = 'What are your opening hours?';
    // Answers from the facts the server put in the system instruction, as a model would.
    gemini.reply = (r) => {
      const hours = /Opening hours: (.+)/.exec(text(r, 'system'))?.[1] ?? '';
      return hours ? `We are open ${hours}. Would you like to book a free consultation?` : "I don't know our hours.";
    };
  });

  it('transcribes a WebM/Opus message and streams the concierge answer grounded in the business profile', async () => {
    const res = await send(server, question);
    expect(errorCodes(res)).toEqual([]);
    const receipt = res.data!.sendVoiceMessage;
    expect(receipt).toMatchObject({ transcriptPending: false, userMessage: { text: 'What are your opening hours?' } });

    const { chunks, errors } = await streamReply(server.ws, receipt.replyId);
    expect(errors).toEqual([]);
    const { text: streamed, final } = assembled(chunks);
    expect(streamed).toContain(HOURS);
    expect(final).toMatchObject({ done: true, error: null, message: { role: 'ASSISTANT', text: streamed.trim() } });

    // One transcription (audio inline), then one streamed reply whose last user turn is the transcript.
    expect(gemini.of('generate').filter(isTranscription)).toHaveLength(1);
    const [reply] = gemini.of('stream');
    expect(reply.body.contents.at(-1)).toMatchObject({ role: 'user', parts: [{ text: 'What are your opening hours?' }] });
    expect(text(reply, 'system')).not.toContain('What are your opening hours?');

    const session = (await gql(server.url, SessionDocument, { id: server.sessionId })).data!.session!;
    expect(session.messages.slice(-2).map((m) => [m.role, m.text])).toEqual([
      ['USER', 'What are your opening hours?'],
      ['ASSISTANT', streamed.trim()],
    ]);
  });

  it('falls back to the local recogniser when Gemini cannot transcribe, and still answers', async () => {
    gemini.next('generate', '500');
    const sessionId = await server.newSession();
    const res = await send(server, question, sessionId);
    expect(errorCodes(res)).toEqual([]);
    const heard = res.data!.sendVoiceMessage.userMessage.text;
    expect(heard).not.toBe(gemini.transcript);
    expect(recognised(PHRASE, heard)).toBeGreaterThanOrEqual(0.6);
    const { final } = assembled((await streamReply(server.ws, res.data!.sendVoiceMessage.replyId)).chunks);
    expect(final?.message?.text).toContain(HOURS);
    expect(await server.visitorTexts(sessionId)).toEqual([heard]);
    const metrics = await (await fetch(`${server.base}/metrics`)).text();
    expect(metrics).toMatch(/^llm_fallbacks_total\{reason="server"\} [1-9]/m);
  });

  it('answers SERVICE_UNAVAILABLE when Gemini fails and no local recogniser is installed, keeping the session as it was', async () => {
    const noLocal = await voiceServer({ ...geminiEnv(), POCKETSPHINX_PATH: '/nonexistent/pocketsphinx_continuous' });
    gemini.next('generate', '500');
    const res = await send(noLocal, question);
    expect(errorCodes(res)).toEqual(['SERVICE_UNAVAILABLE']);
    expect(res.errors?.[0].message).toMatch(/pocketsphinx/);
    expect(await noLocal.visitorTexts(noLocal.sessionId)).toEqual([]);
  });
});

describe('offline (no Gemini key): pocketsphinx transcript, offline answer', () => {
  it('answers a WebM/Opus question about opening hours from the profile, and the session shows both', async () => {
    const server = await voiceServer({ LLM_PROVIDER: 'offline' });
    const res = await send(server, question);
    expect(errorCodes(res)).toEqual([]);
    const receipt = res.data!.sendVoiceMessage;
    expect(recognised(PHRASE, receipt.userMessage.text)).toBeGreaterThanOrEqual(0.6);
    const { chunks, errors } = await streamReply(server.ws, receipt.replyId);
    expect(errors).toEqual([]);
    const { text: streamed, final } = assembled(chunks);
    expect(final).toMatchObject({ done: true, error: null });
    expect(final?.message?.text).toBe(streamed.trim());
    expect(streamed).toContain(HOURS);
    const session = (await gql(server.url, SessionDocument, { id: server.sessionId })).data!.session!;
    expect(session.messages.slice(-2).map((m) => [m.role, m.text])).toEqual([
      ['USER', receipt.userMessage.text],
      ['ASSISTANT', streamed.trim()],
    ]);
  });
});

describe('large files: pending transcript, the worker processor, the same replyId', () => {
  let server: VoiceTestServer;
  const queued: VoiceJobPayload[] = [];
  beforeAll(async () => {
    // REPLY_INTERRUPT_SECONDS=1: a pending reply must outlive the normal generator watchdog.
    server = await voiceServer(
      { ...geminiEnv(), VOICE_WORKER_THRESHOLD_BYTES: '2048', REPLY_INTERRUPT_SECONDS: '1' },
      { enqueue: async (payload) => void queued.push(payload) },
    );
  });
  beforeEach(() => {
    gemini.reset();
    gemini.transcript = 'Do you accept new patients?';
    gemini.reply = () => 'Yes, we welcome new patients of all ages.';
  });

  it('streams nothing until the worker transcribes, then the answer on the receipt replyId', async () => {
    const sessionId = await server.newSession();
    const res = await send(server, await speech('do you accept new patients', 'wav'), sessionId);
    expect(errorCodes(res)).toEqual([]);
    const receipt = res.data!.sendVoiceMessage;
    expect(receipt).toMatchObject({ transcriptPending: true, userMessage: { text: '' } });
    expect(gemini.requests).toHaveLength(0);

    const streaming = streamReply(server.ws, receipt.replyId);
    // Longer than the watchdog (2 missed 1 s heartbeats): a pending reply is not INTERRUPTED.
    await new Promise((r) => setTimeout(r, 3500));
    const job = queued.find((j) => j.replyId === receipt.replyId)!;
    expect(await server.app.voice.processVoiceJob(job)).toBe('completed');

    const { chunks, errors } = await streaming;
    expect(errors).toEqual([]);
    const { text: streamed, final } = assembled(chunks);
    expect(streamed).toBe('Yes, we welcome new patients of all ages.');
    expect(final).toMatchObject({ replyId: receipt.replyId, done: true, error: null, message: { text: streamed } });
    const session = (await gql(server.url, SessionDocument, { id: sessionId })).data!.session!;
    expect(session.messages.slice(-2).map((m) => [m.role, m.text])).toEqual([
      ['USER', 'Do you accept new patients?'],
      ['ASSISTANT', streamed],
    ]);
    // The pending message kept its id: the receipt's message is the one filled in.
    expect(session.messages.at(-2)?.id).toBe(receipt.userMessage.id);
    expect(gemini.of('stream').at(-1)?.body.contents.at(-1)?.parts[0].text).toBe('Do you accept new patients?');

    // A retried job (the queue's at-least-once delivery) does not answer twice.
    await server.app.redis.set(job.audioKey, await speech('do you accept new patients', 'wav'));
    expect(await server.app.voice.processVoiceJob(job)).toBe('completed');
    expect(gemini.of('stream')).toHaveLength(1);
    expect(await server.visitorTexts(sessionId)).toEqual(['Do you accept new patients?']);
    // Nor does a late delivery that finds the audio gone fail the answered reply.
    expect(await server.app.voice.processVoiceJob(job)).toBe('expired');
    const entries = await server.app.redis.xrange(`${server.app.config.redisKeyPrefix}chat:reply:${receipt.replyId}`, '-', '+');
    expect(entries.filter(([, fields]) => fields[1] === 'f')).toHaveLength(1);
    expect(await server.visitorTexts(sessionId)).toEqual(['Do you accept new patients?']);
  });

  it('a retried job whose first run filled in the transcript but died before replying still answers, once', async () => {
    const sessionId = await server.newSession();
    const receipt = (await send(server, await speech('do you accept new patients', 'wav'), sessionId)).data!.sendVoiceMessage;
    const job = queued.find((j) => j.replyId === receipt.replyId)!;
    // What the first run left behind: the transcript in the session and in the model history, no reply.
    const { redis, config } = server.app;
    const base = `${config.redisKeyPrefix}chat:session:${sessionId}`;
    const transcript = await redis.lrange(`${base}:transcript`, 0, -1);
    const index = transcript.findIndex((m) => (JSON.parse(m) as { id: string }).id === receipt.userMessage.id);
    await redis.lset(`${base}:transcript`, index, JSON.stringify({ ...JSON.parse(transcript[index]), text: 'Do you accept new patients?' }));
    await redis.rpush(`${base}:history`, JSON.stringify({ role: 'user', text: 'Do you accept new patients?' }));

    const streaming = streamReply(server.ws, receipt.replyId);
    await Promise.all([server.app.voice.processVoiceJob(job), server.app.voice.processVoiceJob({ ...job })]);
    const { chunks } = await streaming;
    expect(assembled(chunks).final).toMatchObject({ done: true, error: null, message: { text: 'Yes, we welcome new patients of all ages.' } });
    expect(gemini.of('stream')).toHaveLength(1); // two deliveries at once, one reply
    expect(await server.visitorTexts(sessionId)).toEqual(['Do you accept new patients?']);
  });

  it('ends the reply with done and a ReplyError when the parked recording is damaged, and drops the empty message', async () => {
    const sessionId = await server.newSession();
    const whole = await speech(PHRASE, 'm4a');
    const res = await send(server, whole.subarray(0, Math.floor(whole.length / 2)), sessionId);
    const receipt = res.data!.sendVoiceMessage;
    expect(receipt.transcriptPending).toBe(true);
    const streaming = streamReply(server.ws, receipt.replyId);
    expect(await server.app.voice.processVoiceJob(queued.at(-1)!)).toBe('rejected');
    const { chunks } = await streaming;
    expect(chunks).toHaveLength(1);
    expect(chunks[0]).toMatchObject({ done: true, message: null, error: { code: 'BAD_USER_INPUT' } });
    expect(await server.visitorTexts(sessionId)).toEqual([]);
    expect(gemini.of('stream')).toHaveLength(0);
  });

  it('ends the reply with SERVICE_UNAVAILABLE and keeps no placeholder when the queue refuses the job', async () => {
    const refusing = await voiceServer(
      { LLM_PROVIDER: 'offline', VOICE_WORKER_THRESHOLD_BYTES: '2048' },
      {
        enqueue: async () => {
          throw new Error('Connection is closed.');
        },
      },
    );
    const res = await send(refusing, await speech(PHRASE, 'wav'));
    expect(errorCodes(res)).toEqual(['SERVICE_UNAVAILABLE']);
    expect(await refusing.visitorTexts(refusing.sessionId)).toEqual([]);
  });
});

describe('large files through the jobs queue (the app wires voice to JOB_DRIVER)', () => {
  beforeEach(() => {
    gemini.reset();
    gemini.transcript = 'Do you offer payment plans?';
    gemini.reply = () => 'Yes, interest-free plans over 12 months.';
  });

  it('inline driver: the pending reply streams the answer on the receipt replyId with no other call', async () => {
    const server = await voiceServer({ ...geminiEnv(), JOB_DRIVER: 'inline', VOICE_WORKER_THRESHOLD_BYTES: '2048' });
    const res = await send(server, await speech('do you offer payment plans', 'wav'));
    expect(errorCodes(res)).toEqual([]);
    const receipt = res.data!.sendVoiceMessage;
    expect(receipt).toMatchObject({ transcriptPending: true, userMessage: { text: '' } });
    const { chunks, errors } = await streamReply(server.ws, receipt.replyId);
    expect(errors).toEqual([]);
    expect(assembled(chunks).final).toMatchObject({ done: true, error: null, message: { text: 'Yes, interest-free plans over 12 months.' } });
    expect(await server.visitorTexts(server.sessionId)).toEqual(['Do you offer payment plans?']);
  });

  it('BullMQ driver: the job waits in Redis until another process runs voice.jobProcessors, then the answer streams to the first', async () => {
    const env = { ...geminiEnv(), JOB_DRIVER: 'bullmq', VOICE_WORKER_THRESHOLD_BYTES: '2048' };
    const server = await voiceServer(env);
    const receipt = (await send(server, await speech('do you offer payment plans', 'wav'))).data!.sendVoiceMessage;
    expect(receipt.transcriptPending).toBe(true);
    const streaming = streamReply(server.ws, receipt.replyId);
    // No event says "nothing ran the job": give a wrongly wired in-process consumer time to show itself.
    await new Promise((r) => setTimeout(r, 300));
    expect(gemini.requests).toHaveLength(0); // nothing runs the job yet
    expect(await server.app.redis.exists(`${server.app.config.redisKeyPrefix}bull:voice:voice-${receipt.replyId}`)).toBe(1);
    // `npm run worker`'s process on the same database and Redis prefix.
    const worker = await buildWorker(testConfig(db, { ...env, REDIS_KEY_PREFIX: server.app.config.redisKeyPrefix, VOICE_TEMP_DIR: server.tempRoot }), {
      logger: createSilentLogger(),
    });
    try {
      const { chunks } = await streaming;
      expect(assembled(chunks).final).toMatchObject({ done: true, error: null, message: { text: 'Yes, interest-free plans over 12 months.' } });
      expect(await server.visitorTexts(server.sessionId)).toEqual(['Do you offer payment plans?']);
    } finally {
      await worker.close();
    }
  });

  it('ends the pending reply with SERVICE_UNAVAILABLE once the last attempt fails', async () => {
    const server = await voiceServer({
      LLM_PROVIDER: 'offline',
      POCKETSPHINX_PATH: '/nonexistent/pocketsphinx_continuous',
      JOB_DRIVER: 'inline',
      JOB_ATTEMPTS: '2',
      JOB_BACKOFF_MS: '50',
      VOICE_WORKER_THRESHOLD_BYTES: '2048',
    });
    const receipt = (await send(server, await speech(PHRASE, 'wav'))).data!.sendVoiceMessage;
    const { chunks } = await streamReply(server.ws, receipt.replyId);
    expect(chunks).toEqual([expect.objectContaining({ done: true, message: null, error: expect.objectContaining({ code: 'SERVICE_UNAVAILABLE' }) })]);
    expect(await server.visitorTexts(server.sessionId)).toEqual([]);
  });
});

describe('rate limit (RATE_LIMIT_CHAT=5/minute, one bucket with sendMessage and chat)', () => {
  it('refuses the 6th voice message in a minute from one client with RATE_LIMITED, and then typed messages too', async () => {
    const server = await voiceServer({ ...geminiEnv(), RATE_LIMIT_CHAT: '5/minute' });
    gemini.reset();
    gemini.reply = () => 'Noted.';
    const codes: string[][] = [];
    for (let i = 0; i < 6; i++) codes.push(errorCodes(await send(server, question)));
    expect(codes).toEqual([[], [], [], [], [], ['RATE_LIMITED']]);
    const limited = await send(server, question);
    expect(limited.errors?.[0].extensions?.retryAfterSeconds).toEqual(expect.any(Number));
    // Refused before any work: five transcriptions, not six or seven.
    expect(gemini.of('generate').filter(isTranscription)).toHaveLength(5);
    const typed = await gql(server.url, SendMessageDocument, { input: { sessionId: server.sessionId, text: 'what are your prices?' } });
    expect(errorCodes(typed)).toEqual(['RATE_LIMITED']);
  });
});
