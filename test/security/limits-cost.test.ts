import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChatDocument, SessionDocument, StartSessionDocument } from '../generated/graphql';
import { tone } from '../support/audio';
import { seedBusiness } from '../support/chat';
import { gql } from '../support/client';
import { startTestCore, type TestCore } from '../support/core';
import { FakeGemini } from '../support/fake-gemini';
import { startTestServer, testConfig, type TestServer } from '../support/server';
import { createTestDatabase, type TestDatabase } from '../support/stores';

/**
 * Issue 10, item 4, cost and memory amplification: GEMINI_MAX_OUTPUT_TOKENS reaches Gemini and
 * bounds what is stored; ffmpeg reads only the sniffed container from local files, and at most
 * FFMPEG_MAX_CONCURRENCY at a time.
 */

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(async () => {
  await db?.drop();
});

/** Waits (event loop turns, no clock) until `condition` holds. */
async function until(condition: () => Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((r) => setTimeout(r, 20));
}

describe('GEMINI_MAX_OUTPUT_TOKENS and the stored reply cap', () => {
  let fake: FakeGemini;
  let server: TestServer;

  beforeAll(async () => {
    fake = await FakeGemini.start();
    fake.chunkDelayMs = 0;
    server = await startTestServer(
      testConfig(db, { GEMINI_API_KEY: 'test', GEMINI_BASE_URL: fake.baseUrl, GEMINI_MODEL: 'fake-flash', GEMINI_MAX_OUTPUT_TOKENS: '16', RATE_LIMIT_CHAT: 'off' }),
    );
  });

  afterAll(async () => {
    await server?.close();
    await fake?.close();
  });

  it('sends maxOutputTokens with every reply request and stores at most 8 characters per token of a reply that ignores it', async () => {
    const business = await seedBusiness(server.app);
    // A provider ignoring its bound: 5,000 words, 30,000 characters.
    fake.reply = () => 'lorem ipsum '.repeat(2_500);
    const sessionId = (await gql(server.url, StartSessionDocument, { businessId: business.id })).data!.startSession.id;
    const res = await gql(server.url, ChatDocument, { input: { sessionId, text: 'Tell me everything about implants' } });
    expect(res.errors).toBeUndefined();

    const [request] = fake.of('stream');
    expect((request.body as { generationConfig?: { maxOutputTokens?: number } }).generationConfig?.maxOutputTokens).toBe(16);

    const reply = res.data!.chat.text;
    expect(reply.length).toBeGreaterThan(0);
    expect(reply.length).toBeLessThanOrEqual(16 * 8);
    expect(reply).toMatch(/^(lorem ipsum )+/);
    const stored = (await gql(server.url, SessionDocument, { id: sessionId })).data!.session!.messages.at(-1)!;
    expect(stored.role).toBe('ASSISTANT');
    expect(stored.text.length).toBeLessThanOrEqual(16 * 8);
    // The model history (what the next turn replays) holds the capped text too.
    const history = await server.app.redis.lrange(`${server.app.config.redisKeyPrefix}chat:session:${sessionId}:history`, 0, -1);
    expect(history.map((h) => (JSON.parse(h) as { text: string }).text.length).every((n) => n <= 16 * 8)).toBe(true);
  });
});

describe('ffmpeg: -f, -protocol_whitelist, FFMPEG_MAX_CONCURRENCY', () => {
  let dir: string;
  let core: TestCore;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ffmpeg-wrapper-'));
    // Records its arguments, waits while `hold` exists, then runs the real ffmpeg.
    const wrapper = join(dir, 'ffmpeg');
    await writeFile(wrapper, `#!/bin/sh\nprintf '%s\\n' "$@" > "${dir}/args.$$"\nwhile [ -e "${dir}/hold" ]; do sleep 0.02; done\nexec ffmpeg "$@"\n`);
    await chmod(wrapper, 0o755);
    core = await startTestCore(
      db,
      { FFMPEG_PATH: wrapper, FFMPEG_MAX_CONCURRENCY: '1', VOICE_TEMP_DIR: join(dir, 'voice') },
      { voice: { queue: null, transcriber: { name: 'fake', transcribe: async () => 'hello there' } } },
    );
  });

  afterAll(async () => {
    await core?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const argLists = async () => {
    const files = (await readdir(dir)).filter((f) => f.startsWith('args.'));
    return Promise.all(files.map(async (f) => (await readFile(join(dir, f), 'utf8')).trim().split('\n')));
  };
  const clearArgs = async () => {
    for (const f of (await readdir(dir)).filter((n) => n.startsWith('args.'))) await rm(join(dir, f));
  };

  it.each([
    ['webm', 'matroska'],
    ['ogg', 'ogg'],
    ['mp3', 'mp3'],
    ['m4a', 'mov'],
  ] as const)('reads a %s upload only as %s, from local files and pipes only', async (container, demuxer) => {
    await clearArgs();
    const result = await core.voice.service.transcribeBytes(await tone(1, container));
    expect(result.transcript).toBe('hello there');
    const [args] = await argLists();
    const input = args.indexOf('-i');
    expect(args.slice(0, input)).toEqual(expect.arrayContaining(['-protocol_whitelist', 'file,pipe']));
    expect(args[args.indexOf('-protocol_whitelist') + 1]).toBe('file,pipe');
    const format = args.indexOf('-f');
    expect(format).toBeGreaterThan(-1);
    expect(format).toBeLessThan(input);
    expect(args[format + 1]).toBe(demuxer);
  });

  it('refuses a transcoding past FFMPEG_MAX_CONCURRENCY with SERVICE_UNAVAILABLE (reason busy), and takes the next one once a slot is free', async () => {
    await clearArgs();
    const audio = await tone(1, 'webm');
    await writeFile(join(dir, 'hold'), '');
    const first = core.voice.service.transcribeBytes(audio);
    await until(async () => (await argLists()).length === 1); // the first ffmpeg is running
    await expect(core.voice.service.transcribeBytes(audio)).rejects.toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      extensions: { reason: 'busy' },
    });
    await rm(join(dir, 'hold'));
    expect((await first).transcript).toBe('hello there');
    expect((await core.voice.service.transcribeBytes(audio)).transcript).toBe('hello there');
  });
});
