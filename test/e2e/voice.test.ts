import { readWavInfo } from '../../src/voice/wav';
import { SendVoiceMessageDocument } from '../generated/graphql';
import { tone, silence, speech, type TestContainer } from '../support/audio';
import { errorCodes } from '../support/client';
import { FakeGemini } from '../support/fake-gemini';
import { streamUpload, upload } from '../support/multipart';
import { createTestDatabase, type TestDatabase } from '../support/stores';
import { leftovers, startVoiceServer, waitForEmpty, waitForRequestDir, type VoiceTestServer } from '../support/voice-server';

/**
 * sendVoiceMessage over the GraphQL multipart spec against the real server, with the Gemini
 * wire faked (test/support/fake-gemini.ts answers an inline-audio generateContent with its
 * `transcript`) and the real chat service behind it: formats, limits, bad files, CSRF, client
 * aborts, provider failures, metrics — and the private temp root empty after every one of them.
 * No local recogniser here (POCKETSPHINX_PATH points nowhere), so a Gemini failure has no
 * fallback; voice-chat.test.ts covers the fallback.
 */

const TRANSCRIPT = 'What are your opening hours on Sunday?';
const MAX_BYTES = 256 * 1024;
const MAX_SECONDS = 8;

let db: TestDatabase;
let gemini: FakeGemini;
let sessionId: string; // a fresh session per test
let server: VoiceTestServer;
let hello: Buffer; // espeak-ng speech, WebM/Opus, as a browser's MediaRecorder sends

beforeAll(async () => {
  db = await createTestDatabase();
  gemini = await FakeGemini.start();
  server = await startVoiceServer(db, {
    LLM_PROVIDER: 'gemini',
    GEMINI_API_KEY: 'test',
    GEMINI_MAX_RETRIES: '0',
    POCKETSPHINX_PATH: '/nonexistent/pocketsphinx_continuous',
    GEMINI_BASE_URL: gemini.baseUrl,
    MAX_AUDIO_BYTES: String(MAX_BYTES),
    MAX_AUDIO_SECONDS: String(MAX_SECONDS),
  });
  hello = await speech('what are your opening hours on sunday', 'webm');
});

afterAll(async () => {
  await server?.close();
  await gemini?.close();
  await db?.drop();
});

beforeEach(async () => {
  gemini.reset();
  gemini.transcript = TRANSCRIPT;
  gemini.reply = () => 'We are closed on Sundays.';
  sessionId = await server.newSession();
});

/** Transcription requests the fake received (replies are streamGenerateContent). */
const transcriptions = () => gemini.of('generate');

afterEach(async () => {
  // Every path — success or failure — leaves the temp root empty.
  expect(await waitForEmpty(server.tempRoot)).toEqual([]);
});

const send = (file: Buffer, options: Parameters<typeof upload>[4] = {}, session = sessionId) =>
  upload(server.url, SendVoiceMessageDocument, { sessionId: session }, file, options);

function reasonOf(res: { errors?: ReadonlyArray<{ extensions?: Record<string, unknown> }> }): unknown {
  return res.errors?.[0]?.extensions?.reason;
}

describe('a browser voice message (WebM/Opus)', () => {
  it('is transcribed and continues the conversation as the visitor text', async () => {
    const res = await send(hello);
    expect(errorCodes(res)).toEqual([]);
    expect(res.data?.sendVoiceMessage.userMessage.text).toBe(TRANSCRIPT);
    expect(res.data?.sendVoiceMessage.transcriptPending).toBe(false);
    expect(res.data?.sendVoiceMessage.replyId).toEqual(expect.any(String));
    expect(await server.visitorTexts(sessionId)).toEqual([TRANSCRIPT]);
  });

  it('reaches Gemini as 16 kHz mono 16-bit WAV in an inline audio part', async () => {
    await send(hello);
    expect(transcriptions()).toHaveLength(1);
    const request = transcriptions()[0];
    expect(request.path).toMatch(/:generateContent$/);
    expect(request.apiKey).toBe('test');
    const audio = request.body.contents[0].parts.find((p) => p.inlineData)?.inlineData;
    expect(audio?.mimeType).toBe('audio/wav');
    const info = readWavInfo(Buffer.from(audio?.data ?? '', 'base64'));
    expect(info).toMatchObject({ sampleRate: 16000, channels: 1, bitsPerSample: 16 });
    expect(info?.durationSeconds).toBeGreaterThan(1);
    expect(info?.durationSeconds).toBeLessThan(5);
  });
});

describe('containers, recognised from the bytes', () => {
  it.each<TestContainer>(['ogg', 'wav', 'mp3', 'm4a', 'aac'])('accepts %s speech', async (container) => {
    const res = await send(await speech('book a table for two', container), { filename: 'clip.bin', mime: 'application/octet-stream' });
    expect(errorCodes(res)).toEqual([]);
    expect(res.data?.sendVoiceMessage.userMessage.text).toBe(TRANSCRIPT);
  });

  it('ignores the client MIME type and file name: WebM sent as text/plain "notes.txt" is accepted', async () => {
    const res = await send(hello, { filename: 'notes.txt', mime: 'text/plain' });
    expect(errorCodes(res)).toEqual([]);
  });

  it('refuses a text file renamed .webm with BAD_USER_INPUT, without calling the provider', async () => {
    const res = await send(Buffer.from('Dear visitor, this is not a recording at all.\n'.repeat(50)), { filename: 'voice.webm', mime: 'audio/webm' });
    expect(errorCodes(res)).toEqual(['BAD_USER_INPUT']);
    expect(reasonOf(res)).toBe('unsupported_format');
    expect(res.errors?.[0].message).toMatch(/not a recording we can read.*WebM/);
    expect(transcriptions()).toHaveLength(0);
  });

  it('refuses an audio container it does not take (FLAC) and random bytes', async () => {
    for (const file of [await tone(1, 'flac'), Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 251))]) {
      const res = await send(file);
      expect(errorCodes(res)).toEqual(['BAD_USER_INPUT']);
      expect(reasonOf(res)).toBe('unsupported_format');
    }
  });
});

describe('limits and damaged files', () => {
  it('refuses an empty file', async () => {
    const res = await send(Buffer.alloc(0));
    expect(errorCodes(res)).toEqual(['BAD_USER_INPUT']);
    expect(reasonOf(res)).toBe('empty');
  });

  it('refuses a recording longer than MAX_AUDIO_SECONDS after decoding it', async () => {
    const res = await send(await tone(MAX_SECONDS + 3, 'webm'));
    expect(errorCodes(res)).toEqual(['BAD_USER_INPUT']);
    expect(reasonOf(res)).toBe('too_long');
    expect(res.errors?.[0].message).toContain(`longer than ${MAX_SECONDS} seconds`);
    expect(transcriptions()).toHaveLength(0);
  });

  it('accepts a recording just under MAX_AUDIO_SECONDS', async () => {
    const res = await send(await tone(MAX_SECONDS - 1, 'ogg'));
    expect(errorCodes(res)).toEqual([]);
  });

  it.each<[TestContainer, number]>([
    ['m4a', 0.5],
    ['wav', 0.5],
    ['ogg', 0.02],
    ['webm', 0.5],
    ['webm', 0.02],
  ])('refuses a truncated %s (cut at %s of its length)', async (container, fraction) => {
    const whole = await speech('please call me back tomorrow morning', container);
    const res = await send(whole.subarray(0, Math.floor(whole.length * fraction)));
    expect(errorCodes(res)).toEqual(['BAD_USER_INPUT']);
    expect(['undecodable', 'unsupported_format', 'empty']).toContain(reasonOf(res));
    expect(transcriptions()).toHaveLength(0);
  });

  it('refuses a file over MAX_AUDIO_BYTES with PAYLOAD_TOO_LARGE', async () => {
    const res = await send(Buffer.concat([hello, Buffer.alloc(MAX_BYTES)]));
    expect(errorCodes(res)).toEqual(['PAYLOAD_TOO_LARGE']);
    expect(reasonOf(res)).toBe('too_large');
  });

  it('answers PAYLOAD_TOO_LARGE while the upload is still streaming in, before the whole file is sent', async () => {
    // Declare a 5 MB file, send only twice the limit, then stop: a server that waited for the
    // whole file would never answer.
    const total = 20 * MAX_BYTES;
    const up = streamUpload(server.url, SendVoiceMessageDocument, { sessionId: server.sessionId }, total);
    await up.write(hello);
    const chunk = Buffer.alloc(16 * 1024, 1);
    for (let sent = hello.length; sent < 2 * MAX_BYTES; sent += chunk.length) await up.write(chunk);
    const res = await up.response;
    up.abort();
    expect(errorCodes(res.body)).toEqual(['PAYLOAD_TOO_LARGE']);
    expect(res.body.errors?.[0].message).toContain('256 KB');
  });

  it('tells when nothing was said (the provider hears no speech)', async () => {
    gemini.transcript = '';
    const res = await send(await silence(2, 'webm'));
    expect(errorCodes(res)).toEqual(['BAD_USER_INPUT']);
    expect(reasonOf(res)).toBe('no_speech');
  });
});

describe('security and sessions', () => {
  it('refuses a multipart request without the CSRF preflight header, before reading it', async () => {
    const res = await send(hello, { preflight: false });
    expect(res.status).toBe(400);
    expect(errorCodes(res)).toEqual(['BAD_USER_INPUT']);
    expect(res.errors?.[0].message).toMatch(/CSRF/);
    expect(transcriptions()).toHaveLength(0);
    expect(await server.visitorTexts(sessionId)).toEqual([]);
  });

  it('accepts x-apollo-operation-name as the preflight header', async () => {
    const res = await send(hello, { preflight: false, headers: { 'x-apollo-operation-name': 'SendVoiceMessage' } });
    expect(errorCodes(res)).toEqual([]);
  });

  it('refuses an unknown session with NOT_FOUND, without transcribing', async () => {
    const res = await send(hello, {}, '7b0c8f0e-0000-4000-8000-000000000000');
    expect(errorCodes(res)).toEqual(['NOT_FOUND']);
    expect(transcriptions()).toHaveLength(0);
  });

  it('refuses voice for a business that has not enabled it', async () => {
    const res = await send(hello, {}, server.voiceOffSessionId);
    expect(errorCodes(res)).toEqual(['BAD_USER_INPUT']);
    expect(reasonOf(res)).toBe('voice_disabled');
    expect(transcriptions()).toHaveLength(0);
  });
});

describe('failures midway', () => {
  it('cleans up when the client disconnects in the middle of the upload', async () => {
    const up = streamUpload(server.url, SendVoiceMessageDocument, { sessionId: server.sessionId }, 200 * 1024);
    await up.write(hello.subarray(0, 2048));
    await waitForRequestDir(server.tempRoot); // the resolver is now streaming to the temp dir
    up.abort();
    await expect(up.response).rejects.toThrow();
    expect(await waitForEmpty(server.tempRoot)).toEqual([]);
    expect(transcriptions()).toHaveLength(0);
    expect(await server.visitorTexts(sessionId)).toEqual([]);
  });

  it('answers SERVICE_UNAVAILABLE when Gemini fails (no local recogniser to fall back to), leaving the session as it was', async () => {
    gemini.next('generate', '500');
    const res = await send(hello);
    expect(errorCodes(res)).toEqual(['SERVICE_UNAVAILABLE']);
    expect(await server.visitorTexts(sessionId)).toEqual([]);
  });

  it('leaves no temp dir behind after all of the above', async () => {
    expect(await leftovers(server.tempRoot)).toEqual([]);
  });
});

describe('metrics', () => {
  it('counts failures by reason and records duration and latency', async () => {
    await send(await tone(MAX_SECONDS + 2, 'webm'));
    await send(hello);
    const text = await (await fetch(`${server.base}/metrics`)).text();
    expect(text).toMatch(/^voice_transcoding_failures_total\{reason="too_long"\} [1-9]/m);
    expect(text).toMatch(/^voice_transcoding_failures_total\{reason="unsupported_format"\} [1-9]/m);
    expect(text).toMatch(/^voice_audio_duration_seconds_count [1-9]/m);
    expect(text).toMatch(/^voice_transcription_duration_seconds_count\{provider="gemini"\} [1-9]/m);
  });
});
