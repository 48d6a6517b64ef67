import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { BusinessEmbedDocument, CreateBusinessDocument } from '../generated/graphql';
import { bootstrapKey, keyHeader } from '../support/admin';
import { tone } from '../support/audio';
import { collectConsoleErrors, describeInBrowser, launchChromium } from '../support/browser';
import { gql } from '../support/client';
import { FakeGemini, isTranscription } from '../support/fake-gemini';
import { startTestServer, testConfig, type TestServer } from '../support/server';
import { createTestDatabase, type TestDatabase } from '../support/stores';

/**
 * A voice message from the widget in headless Chromium: the microphone is Chromium's fake
 * capture device playing a WAV file made here, MediaRecorder records it, the widget uploads it
 * with sendVoiceMessage (multipart), the fake Gemini transcribes it, and the reply streams.
 */


describeInBrowser('a voice message from the widget (Chromium fake audio capture)', () => {
  let db: TestDatabase;
  let fake: FakeGemini;
  let server: TestServer;
  let host: Server;
  let browser: Browser;
  let dir: string;
  const boot = bootstrapKey();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'widget-voice-'));
    const wav = join(dir, 'mic.wav');
    await writeFile(wav, await tone(3, 'wav'));
    fake = await FakeGemini.start();
    fake.transcript = 'What are your opening hours?';
    fake.reply = () => 'We are open from 8 to 6 on weekdays.';
    db = await createTestDatabase();
    server = await startTestServer(
      testConfig(db, { ADMIN_API_KEY_HASHES: boot.hash, GEMINI_API_KEY: 'test', GEMINI_BASE_URL: fake.baseUrl, GEMINI_MODEL: 'fake-flash', RATE_LIMIT_CHAT: 'off' }),
      { voice: { queue: null } },
    );
    host = createServer();
    await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(host.address() as AddressInfo).port}`;
    const created = await gql(server.url, CreateBusinessDocument, { input: { name: 'Voice Dental', voiceEnabled: true, allowedOrigins: [origin] } }, keyHeader(boot.secret));
    const id = created.data!.createBusiness.id;
    const snippet = (await gql(server.url, BusinessEmbedDocument, { id }, keyHeader(boot.secret))).data!.business!.embedSnippet;
    host.on('request', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Voice Dental</title></head><body>${snippet}</body></html>`);
    });
    browser = await launchChromium(['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-audio-capture=${wav}`]);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    host?.closeAllConnections();
    await new Promise((r) => host?.close(r));
    await server?.close();
    await fake?.close();
    await db?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('records, uploads, shows the transcript as the visitor message and streams the answer', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const consoleErrors = collectConsoleErrors(page);
    try {
      await page.goto(`http://127.0.0.1:${(host.address() as AddressInfo).port}/`);
      await page.waitForSelector('warmprospect-chat[state="ready"]', { state: 'attached', timeout: 15_000 });
      const chat = page.locator('warmprospect-chat');
      await chat.locator('[part="launcher"]').click();
      const voice = chat.locator('[part="voice"]');
      await voice.waitFor({ timeout: 10_000 });
      await voice.click();
      await page.waitForFunction(() => document.querySelector('warmprospect-chat')!.shadowRoot!.querySelector('[part="voice"]')?.getAttribute('aria-pressed') === 'true');
      // Let the fake microphone play for a moment: this is recording time, not an assertion.
      await page.waitForTimeout(1500);
      await voice.click();
      await page.waitForFunction(
        () => {
          const all = document.querySelector('warmprospect-chat')!.shadowRoot!.querySelectorAll('[part~="assistant"]');
          return all[all.length - 1]?.textContent === 'We are open from 8 to 6 on weekdays.';
        },
        undefined,
        { timeout: 30_000 },
      );
      expect((await chat.locator('[part~="user"]').allTextContents()).at(-1)).toBe('What are your opening hours?');
      const transcription = fake.requests.find(isTranscription);
      expect(transcription).toBeDefined();
      expect(consoleErrors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);
});
