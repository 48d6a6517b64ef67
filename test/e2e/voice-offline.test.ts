import { print } from 'graphql';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { VoiceJobPayload, VoiceJobQueue } from '../../src/voice/voice.job';
import { SendVoiceMessageDocument } from '../generated/graphql';
import { recognised, speech } from '../support/audio';
import { streamReply } from '../support/chat';
import { errorCodes } from '../support/client';
import { whenDir } from '../support/files';
import { upload } from '../support/multipart';
import { createTestDatabase, type TestDatabase } from '../support/stores';
import { startVoiceServer, waitForEmpty, type VoiceTestServer } from '../support/voice-server';

/**
 * The offline path (no Gemini key): Debian's pocketsphinx as the recogniser, ffmpeg failures
 * (missing, hanging, client gone mid-transcode), and large files handed to the worker through
 * Redis.
 */

const PHRASE = 'what are your opening hours';

let db: TestDatabase;
let scripts: string;
const servers: VoiceTestServer[] = [];

async function voiceServer(env: Record<string, string> = {}, queue?: Pick<VoiceJobQueue, 'enqueue'>) {
  const server = await startVoiceServer(db, { LLM_PROVIDER: 'offline', ...env }, { queue: queue && { remove: async () => undefined, ...queue } });
  servers.push(server);
  return server;
}

const send = (server: VoiceTestServer, file: Buffer, init: RequestInit = {}) =>
  upload(server.url, SendVoiceMessageDocument, { sessionId: server.sessionId }, file, { headers: init.headers as Record<string, string> });

beforeAll(async () => {
  db = await createTestDatabase();
  scripts = await mkdtemp(join(tmpdir(), 'voice-fake-bin-'));
});

afterAll(async () => {
  for (const server of servers) await server.close();
  await db?.drop();
  await rm(scripts, { recursive: true, force: true });
});

describe('offline transcription with pocketsphinx', () => {
  let server: VoiceTestServer;
  beforeAll(async () => {
    server = await voiceServer();
  });
  afterEach(async () => {
    expect(await waitForEmpty(server.tempRoot)).toEqual([]);
  });

  it('transcribes espeak-ng speech sent as WebM/Opus (most words recognised)', async () => {
    const res = await send(server, await speech(PHRASE, 'webm'));
    expect(errorCodes(res)).toEqual([]);
    const text = res.data?.sendVoiceMessage.userMessage.text ?? '';
    expect(recognised(PHRASE, text)).toBeGreaterThanOrEqual(0.6);
    expect(await server.visitorTexts(server.sessionId)).toEqual([text]);
  });

  it('answers SERVICE_UNAVAILABLE naming the packages when pocketsphinx is not installed', async () => {
    const missing = await voiceServer({ POCKETSPHINX_PATH: '/nonexistent/pocketsphinx_continuous' });
    const res = await send(missing, await speech(PHRASE, 'ogg'));
    expect(errorCodes(res)).toEqual(['SERVICE_UNAVAILABLE']);
    expect(res.errors?.[0].message).toMatch(/pocketsphinx and pocketsphinx-en-us/);
    expect(await waitForEmpty(missing.tempRoot)).toEqual([]);
  });
});

describe('ffmpeg failures', () => {
  it('answers SERVICE_UNAVAILABLE when ffmpeg is missing', async () => {
    const server = await voiceServer({ FFMPEG_PATH: '/nonexistent/ffmpeg' });
    const res = await send(server, await speech(PHRASE, 'webm'));
    expect(errorCodes(res)).toEqual(['SERVICE_UNAVAILABLE']);
    expect(res.errors?.[0].message).toMatch(/ffmpeg is not installed/);
    expect(await waitForEmpty(server.tempRoot)).toEqual([]);
  });

  it('kills a hanging ffmpeg at FFMPEG_TIMEOUT_MS and cleans up', async () => {
    const hang = join(scripts, 'ffmpeg-hang');
    await writeFile(hang, '#!/bin/sh\nexec sleep 30\n');
    await chmod(hang, 0o755);
    const server = await voiceServer({ FFMPEG_PATH: hang, FFMPEG_TIMEOUT_MS: '1000' });
    const res = await send(server, await speech(PHRASE, 'webm'));
    expect(errorCodes(res)).toEqual(['BAD_USER_INPUT']);
    expect(res.errors?.[0].extensions?.reason).toBe('timeout');
    expect(await waitForEmpty(server.tempRoot)).toEqual([]);
  });

  it('kills ffmpeg and cleans up when the client goes away during transcoding', async () => {
    const pidFile = join(scripts, 'ffmpeg.pid');
    const slow = join(scripts, 'ffmpeg-slow');
    await writeFile(slow, `#!/bin/sh\necho $$ > ${pidFile}\nexec sleep 30\n`);
    await chmod(slow, 0o755);
    const server = await voiceServer({ FFMPEG_PATH: slow, FFMPEG_TIMEOUT_MS: '60000' });
    const controller = new AbortController();
    const form = new FormData();
    form.append('operations', JSON.stringify({ query: print(SendVoiceMessageDocument), variables: { sessionId: server.sessionId, audio: null } }));
    form.append('map', JSON.stringify({ 0: ['variables.audio'] }));
    form.append('0', new Blob([new Uint8Array(await speech(PHRASE, 'webm'))]), 'voice.webm');
    const pending = fetch(server.url, { method: 'POST', body: form, headers: { 'apollo-require-preflight': 'true' }, signal: controller.signal });
    // The fake ffmpeg writes its pid when it starts.
    const readPid = async () => Number((await readFile(pidFile, 'utf8').catch(() => '')).trim()) || 0;
    const pid = await whenDir(scripts, readPid, (p) => p > 0);
    expect(pid).toBeGreaterThan(0);
    controller.abort();
    await expect(pending).rejects.toThrow();
    expect(await waitForEmpty(server.tempRoot)).toEqual([]);
    expect(() => process.kill(pid, 0)).toThrow(); // the process is gone
  });
});

describe('large files go to the worker through Redis', () => {
  let server: VoiceTestServer;
  const queued: VoiceJobPayload[] = [];
  beforeAll(async () => {
    server = await voiceServer({ VOICE_WORKER_THRESHOLD_BYTES: '2048' }, { enqueue: async (payload) => void queued.push(payload) });
  });

  it('returns at once with transcriptPending, and the job delivers the transcript to the chat turn', async () => {
    const res = await send(server, await speech(PHRASE, 'wav'));
    expect(errorCodes(res)).toEqual([]);
    const receipt = res.data?.sendVoiceMessage;
    expect(receipt).toMatchObject({ transcriptPending: true, userMessage: { text: '' } });
    expect(await server.visitorTexts(server.sessionId)).toEqual(['']); // the pending placeholder
    expect(queued).toHaveLength(1);
    const job = queued[0];
    expect(job).toMatchObject({ sessionId: server.sessionId, replyId: receipt?.replyId, userMessageId: receipt?.userMessage.id });
    // The audio sits in Redis (every process reaches it) under the app's prefix, with a TTL.
    expect(job.audioKey.startsWith(server.app.config.redisKeyPrefix)).toBe(true);
    expect(await server.app.redis.ttl(job.audioKey)).toBeGreaterThan(0);
    expect(await waitForEmpty(server.tempRoot)).toEqual([]);

    // What the jobs queue runs for VOICE_JOB_NAME (src/worker.ts, or the inline driver).
    expect(await server.app.voice.processVoiceJob(job)).toBe('completed');
    const [transcript] = await server.visitorTexts(server.sessionId);
    expect(recognised(PHRASE, transcript)).toBeGreaterThanOrEqual(0.6);
    const { chunks } = await streamReply(server.ws, receipt?.replyId ?? '');
    expect(chunks.at(-1)).toMatchObject({ done: true, error: null, message: { role: 'ASSISTANT' } });
    expect(await server.app.redis.exists(job.audioKey)).toBe(0);
    expect(await waitForEmpty(server.tempRoot)).toEqual([]);
  });

  it('fails the pending turn (no retry) when the parked recording turns out damaged', async () => {
    const whole = await speech(PHRASE, 'm4a');
    const res = await send(server, whole.subarray(0, Math.floor(whole.length / 2)));
    expect(res.data?.sendVoiceMessage.transcriptPending).toBe(true);
    const job = queued[queued.length - 1];
    expect(await server.app.voice.processVoiceJob(job)).toBe('rejected');
    const { chunks } = await streamReply(server.ws, job.replyId);
    expect(chunks).toEqual([expect.objectContaining({ done: true, message: null, error: expect.objectContaining({ code: 'BAD_USER_INPUT' }) })]);
    expect(await server.app.redis.exists(job.audioKey)).toBe(0);
  });

  it('fails the pending turn when the audio expired before the worker ran', async () => {
    await send(server, await speech(PHRASE, 'wav'));
    const job = queued[queued.length - 1];
    await server.app.redis.del(job.audioKey);
    expect(await server.app.voice.processVoiceJob(job)).toBe('expired');
    const { chunks } = await streamReply(server.ws, job.replyId);
    expect(chunks.at(-1)?.error?.message).toMatch(/expired/);
  });

  it('refuses a non-audio file at upload time, before parking anything', async () => {
    const before = queued.length;
    const res = await send(server, Buffer.from('not audio\n'.repeat(1000)));
    expect(errorCodes(res)).toEqual(['BAD_USER_INPUT']);
    expect(queued).toHaveLength(before);
  });

  it('rethrows a recogniser outage so the queue retries, keeping the audio', async () => {
    const outage = await voiceServer(
      { VOICE_WORKER_THRESHOLD_BYTES: '2048', POCKETSPHINX_PATH: '/nonexistent/pocketsphinx_continuous' },
      { enqueue: async (payload) => void queued.push(payload) },
    );
    await send(outage, await speech(PHRASE, 'wav'));
    const job = queued[queued.length - 1];
    await expect(outage.app.voice.processVoiceJob(job)).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    expect(await outage.app.redis.exists(job.audioKey)).toBe(1);
    // Not failed: the placeholder stays and the reply keeps waiting for the retry.
    expect(await outage.visitorTexts(outage.sessionId)).toEqual(['']);
    expect(await waitForEmpty(outage.tempRoot)).toEqual([]);
  });
});

describe('when the jobs queue refuses the job', () => {
  it('fails the pending turn, deletes the parked audio and answers with the error', async () => {
    let parkedKey = '';
    const server = await voiceServer(
      { VOICE_WORKER_THRESHOLD_BYTES: '2048' },
      {
        enqueue: async (payload) => {
          parkedKey = payload.audioKey;
          throw new Error('Connection is closed.'); // what ioredis says when Redis is gone
        },
      },
    );
    const res = await send(server, await speech(PHRASE, 'wav'));
    expect(errorCodes(res)).toEqual(['SERVICE_UNAVAILABLE']);
    expect(await server.visitorTexts(server.sessionId)).toEqual([]); // the placeholder was removed
    expect(parkedKey).not.toBe('');
    expect(await server.app.redis.exists(parkedKey)).toBe(0);
    expect(await waitForEmpty(server.tempRoot)).toEqual([]);
  });
});
