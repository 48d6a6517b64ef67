import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { BusinessEmbedDocument, ConversationDocument, CreateBusinessDocument, UpdateBusinessDocument, WidgetSessionDocument, type CreateBusinessInput } from '../generated/graphql';
import { bootstrapKey, keyHeader } from '../support/admin';
import { collectConsoleErrors, describeInBrowser, launchChromium } from '../support/browser';
import { gql } from '../support/client';
import { FakeGemini, lastUserText } from '../support/fake-gemini';
import { startTestServer, testConfig, type TestServer } from '../support/server';
import { createTestDatabase, type TestDatabase } from '../support/stores';

/**
 * The widget in headless Chromium, as a business's site would have it: a host page on another
 * loopback origin, served by this test, holding the embed snippet exactly as
 * `Business.embedSnippet` gives it. Gemini is the fake wire server, so replies stream chunk by
 * chunk; its reply depends on the visitor's question, and where a case needs to see a moment of
 * a reply (the typing indicator, a half-streamed text) the fake holds the stream there until the
 * page has shown it. Every case has its own browser context (own localStorage, so its own
 * session) and asserts that its page logged no console error; no case depends on another.
 */

const XSS_GREETING = 'Welcome to <img src=x onerror="window.__xss=1">Harbor!';
const XSS_REPLY = 'Try <img src=x onerror="window.__xss=2"> or <script>window.__xss=3</script> javascript:alert(1) and book at https://harbor.example/book.';
const LONG_REPLY =
  'We are open Monday to Friday from eight in the morning until six in the evening, and on Saturday from nine until one, closed on Sundays and bank holidays.';

const BUSINESS: CreateBusinessInput = {
  name: 'Harbor Dental',
  greeting: XSS_GREETING,
  secondaryGreeting: 'Pick an option or ask me anything.',
  privacyStatement: 'We keep this chat for 7 days to answer you.',
  buttonText: 'Ask Harbor',
  themeColor: '#0f766e',
  ctaTree: [
    { id: 'main_menu', label: 'Menu', action: 'SHOW_CHILDREN', children: ['treatments', 'book'] },
    { id: 'treatments', label: 'Our treatments', action: 'SHOW_CHILDREN', children: ['whitening', 'implants'] },
    { id: 'whitening', label: 'Whitening', action: 'SEND', message: 'Tell me about whitening' },
    { id: 'implants', label: 'Implants', action: 'SEND', message: 'Tell me about implants' },
    { id: 'book', label: 'Book online', action: 'LINK', url: 'https://harbor.example/book' },
  ],
};

/** Waits until the newest assistant message of the page's widget reads `text`. */
async function lastAssistantIs(page: Page, text: string): Promise<void> {
  await page.waitForFunction(
    (t) => {
      const all = document.querySelector('warmprospect-chat')!.shadowRoot!.querySelectorAll('[part~="assistant"]');
      return all[all.length - 1]?.textContent === t;
    },
    text,
    { timeout: 20_000 },
  );
}

/** A site on its own loopback origin: each path is a page with the given snippet. */
class HostSite {
  readonly pages = new Map<string, string>();
  private constructor(private readonly server: Server) {}

  static async start(): Promise<HostSite> {
    const server = createServer();
    const site = new HostSite(server);
    server.on('request', (req, res) => {
      const snippet = site.pages.get((req.url ?? '/').split('?')[0]);
      if (!snippet) return res.writeHead(req.url === '/favicon.ico' ? 204 : 404).end();
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Harbor Dental</title></head><body><h1>Harbor Dental</h1><p>Our practice.</p>${snippet}</body></html>`);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return site;
  }

  get origin(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}


/** What the fake Gemini answers a question with: the reply, the pause before each chunk, and chunks held until the test opens a gate. */
interface Scripted {
  reply: string;
  delayMs: number;
  holdBefore?: Map<number, Promise<void>>;
}

/** A gate the fake waits at: the test opens it once it has seen what the page shows at that point. */
function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}


describeInBrowser('the widget in headless Chromium, on a business site of another origin', () => {
  let db: TestDatabase;
  let fake: FakeGemini;
  let server: TestServer;
  let site: HostSite;
  let browser: Browser;
  let businessId: string;
  const boot = bootstrapKey();
  const admin = () => keyHeader(boot.secret);
  /** Question (a part of the visitor's text) → how the fake answers it. Each case scripts its own questions. */
  const script = new Map<string, Scripted>();

  // Each case's own page.
  let context: BrowserContext;
  let page: Page;
  let consoleErrors: string[];

  const chat = () => page.locator('warmprospect-chat');
  const messages = () => chat().locator('[part~="message"]');
  const input = () => chat().locator('[part="input"]');

  function scriptedFor(question: string): Scripted | undefined {
    for (const [key, value] of script) if (question.includes(key)) return value;
    return undefined;
  }

  async function createBusiness(input: CreateBusinessInput): Promise<string> {
    const res = await gql(server.url, CreateBusinessDocument, { input }, admin());
    expect(res.errors).toBeUndefined();
    return res.data!.createBusiness.id;
  }

  async function snippetOf(id: string, target: TestServer = server): Promise<string> {
    const res = await gql(target.url, BusinessEmbedDocument, { id }, admin());
    return res.data!.business!.embedSnippet;
  }

  /** Opens a host page and waits until the widget has loaded its business. */
  async function openSite(path = '/', on: Page = page): Promise<void> {
    await on.goto(`${site.origin}${path}`);
    await on.waitForSelector('warmprospect-chat[state="ready"]', { state: 'attached', timeout: 15_000 });
  }

  /** Opens the panel and waits for the session's first messages (greeting or restored transcript). */
  async function openPanel(): Promise<void> {
    await chat().locator('[part="launcher"]').click();
    await chat().locator('[part~="message"]').first().waitFor({ timeout: 15_000 });
  }

  async function send(text: string): Promise<void> {
    await input().fill(text);
    await input().press('Enter');
  }

  function sessionIdOfPage(): Promise<string> {
    return page.evaluate((id) => (JSON.parse(window.localStorage.getItem(`warmprospect-chat:${id}`) ?? '{}') as { sessionId: string }).sessionId, businessId);
  }

  /**
   * Records in the page every text the newest assistant bubble shows from now on (a
   * MutationObserver: it sees each change, however briefly it lasts); `seen()` reads them.
   */
  async function watchAssistantTexts(): Promise<() => Promise<string[]>> {
    await page.evaluate(() => {
      const root = document.querySelector('warmprospect-chat')!.shadowRoot!;
      const existing = root.querySelectorAll('[part~="assistant"]').length;
      const seen: string[] = [];
      (window as unknown as { __seen: string[] }).__seen = seen;
      new MutationObserver(() => {
        const all = root.querySelectorAll('[part~="assistant"]');
        if (all.length <= existing) return; // the new reply's bubble is not there yet
        const text = all[all.length - 1].textContent ?? '';
        if (seen[seen.length - 1] !== text) seen.push(text);
      }).observe(root, { subtree: true, childList: true, characterData: true });
    });
    return () => page.evaluate(() => (window as unknown as { __seen: string[] }).__seen);
  }

  beforeAll(async () => {
    fake = await FakeGemini.start();
    fake.reply = (request) => scriptedFor(lastUserText(request))?.reply ?? 'Happy to help.';
    fake.chunkDelayMs = 0; // the pause is the script's, in beforeChunk
    fake.beforeChunk = async (index, request) => {
      const scripted = scriptedFor(lastUserText(request));
      await scripted?.holdBefore?.get(index);
      await new Promise((r) => setTimeout(r, scripted?.delayMs ?? 5));
    };
    db = await createTestDatabase();
    server = await startTestServer(
      testConfig(db, {
        ADMIN_API_KEY_HASHES: boot.hash,
        GEMINI_API_KEY: 'test',
        GEMINI_BASE_URL: fake.baseUrl,
        GEMINI_MODEL: 'fake-flash',
        RATE_LIMIT_CHAT: 'off',
        // No worker process: this server keeps the conversation records itself (the admin
        // `conversation` query shows the thumbs).
        JOB_DRIVER: 'inline',
      }),
    );
    site = await HostSite.start();
    businessId = await createBusiness({ ...BUSINESS, allowedOrigins: [site.origin] });
    site.pages.set('/', await snippetOf(businessId));
    browser = await launchChromium();
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await site?.close();
    await server?.close();
    await fake?.close();
    await db?.drop();
  });

  beforeEach(async () => {
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    consoleErrors = collectConsoleErrors(page);
  });

  afterEach(async () => {
    await context?.close();
    expect(consoleErrors).toEqual([]);
  });

  it("shows no launcher until the site's origin is added to the business, then works with no restart", async () => {
    const late = await createBusiness({ ...BUSINESS, name: 'Late Dental' });
    site.pages.set('/late', await snippetOf(late));
    await page.goto(`${site.origin}/late`);
    await page.waitForSelector('warmprospect-chat[state="unavailable"]', { state: 'attached', timeout: 15_000 });
    expect(await chat().locator('[part="launcher"]').isVisible()).toBe(false);
    expect(consoleErrors.join('\n')).toMatch(/CORS|Access-Control-Allow-Origin/);
    consoleErrors.length = 0; // the refused requests log CORS errors; from here on there must be none

    const updated = await gql(server.url, UpdateBusinessDocument, { id: late, input: { allowedOrigins: [site.origin] } }, admin());
    expect(updated.errors).toBeUndefined();
    await openSite('/late');
    await expect(chat().locator('[part="launcher"]').textContent()).resolves.toBe('Ask Harbor');
    await openPanel();
    expect((await messages().allTextContents())[0]).toBe(XSS_GREETING);
  });

  it('opens a panel from the launcher with the greeting (as text), entry CTAs as buttons and the privacy statement', async () => {
    await openSite();
    await chat().locator('[part="launcher"]').click();
    await expect(chat().locator('[part="panel"]').isVisible()).resolves.toBe(true);
    await chat().locator('[part~="cta"]').first().waitFor();
    expect(await messages().allTextContents()).toEqual([XSS_GREETING, 'Pick an option or ask me anything.']);
    expect(await chat().locator('[part~="message"] img').count()).toBe(0);
    expect(await chat().locator('[part~="cta"]').allTextContents()).toEqual(['Our treatments', 'Book online']);
    expect(await chat().locator('.privacy').textContent()).toBe('We keep this chat for 7 days to answer you.');
    expect(await chat().locator('[part="launcher"]').getAttribute('aria-expanded')).toBe('true');
    // Focus moved into the panel's input.
    expect(await page.evaluate(() => document.querySelector('warmprospect-chat')!.shadowRoot!.activeElement?.getAttribute('part'))).toBe('input');
    // The theme colour reached the launcher.
    expect(await chat().locator('[part="launcher"]').evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(15, 118, 110)');
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
  });

  it('answers a SHOW_CHILDREN CTA with its children as buttons', async () => {
    await openSite();
    await openPanel();
    await chat().locator('[part~="cta"]', { hasText: 'Our treatments' }).click();
    await chat().locator('[part~="cta"]', { hasText: 'Whitening' }).waitFor();
    expect(await chat().locator('[part~="user"]').allTextContents()).toEqual(['Our treatments']);
    expect(await chat().locator('[part~="assistant"]').last().textContent()).toBe('Our treatments: please choose an option.');
    expect(await chat().locator('[part~="cta"]').allTextContents()).toEqual(['Whitening', 'Implants']);
  });

  it('shows the typing indicator until the first token, then the reply growing as it streams, never anything but a prefix of the final text', async () => {
    // The fake holds the reply before its first chunk and again after six words, so the test
    // sees each moment for as long as it needs, however slow the machine.
    const beforeFirst = gate();
    const midway = gate();
    script.set('When are you open?', { reply: LONG_REPLY, delayMs: 20, holdBefore: new Map([[0, beforeFirst.promise], [6, midway.promise]]) });
    const sixWords = (LONG_REPLY.match(/\S+\s*/g) ?? []).slice(0, 6).join('');
    await openSite();
    await openPanel();
    const bubblesBefore = await chat().locator('[part~="assistant"]').count();
    const seen = await watchAssistantTexts();
    await send('When are you open?');

    await chat().locator('.typing').waitFor({ state: 'visible', timeout: 15_000 });
    expect(await chat().locator('[part~="assistant"]').count()).toBe(bubblesBefore);
    expect(await chat().locator('[part="send"]').isDisabled()).toBe(true);
    beforeFirst.open();

    await lastAssistantIs(page, sixWords);
    expect(await chat().locator('.typing').count()).toBe(0);
    midway.open();

    await lastAssistantIs(page, LONG_REPLY);
    const texts = await seen();
    expect(texts).toContain(sixWords);
    for (const t of texts) expect(LONG_REPLY.startsWith(t)).toBe(true);
    expect(await chat().locator('[part~="assistant"]').count()).toBe(bubblesBefore + 1);
    expect((await chat().locator('[part~="user"]').allTextContents()).at(-1)).toBe('When are you open?');
    expect(await chat().locator('.typing').count()).toBe(0);
    // Finished replies are announced to screen readers.
    expect(await chat().locator('[aria-live="polite"]').textContent()).toBe(`Harbor Dental: ${LONG_REPLY}`);
  });

  it('keeps the session across a reload: the same transcript comes back', async () => {
    script.set('Do you do check-ups?', { reply: 'Yes, every six months.', delayMs: 5 });
    await openSite();
    await openPanel();
    await send('Do you do check-ups?');
    await lastAssistantIs(page, 'Yes, every six months.');
    const before = await messages().allTextContents();
    expect(before).toEqual([XSS_GREETING, 'Pick an option or ask me anything.', 'Do you do check-ups?', 'Yes, every six months.']);

    await page.reload();
    await page.waitForSelector('warmprospect-chat[state="ready"]', { state: 'attached', timeout: 15_000 });
    await chat().locator('[part="launcher"]').click();
    await page.waitForFunction((n) => document.querySelector('warmprospect-chat')!.shadowRoot!.querySelectorAll('[part~="message"]').length >= n, before.length, { timeout: 15_000 });
    expect(await messages().allTextContents()).toEqual(before);
    const stored = await page.evaluate((id) => window.localStorage.getItem(`warmprospect-chat:${id}`), businessId);
    expect(JSON.parse(stored ?? '{}')).toEqual({ sessionId: expect.any(String) });
  });

  it('shows model output with HTML in it as text; only http(s) addresses become links, with rel="noopener noreferrer"', async () => {
    script.set('Anything special?', { reply: XSS_REPLY, delayMs: 5 });
    await openSite();
    await openPanel();
    await send('Anything special?');
    await lastAssistantIs(page, XSS_REPLY);
    const last = chat().locator('[part~="assistant"]').last();
    expect(await last.locator('img, script').count()).toBe(0);
    const links = await last.locator('a').evaluateAll((as) => as.map((a) => ({ href: a.getAttribute('href'), rel: a.getAttribute('rel'), target: a.getAttribute('target'), text: a.textContent })));
    expect(links).toEqual([{ href: 'https://harbor.example/book', rel: 'noopener noreferrer', target: '_blank', text: 'https://harbor.example/book' }]);
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
  });

  it('resumes a reply after the connection is cut mid-stream, with fromSeq, without losing or repeating text', async () => {
    script.set('And on Saturdays?', { reply: LONG_REPLY, delayMs: 40 });
    // The page's WebSockets, watched from inside: every subscribe frame's fromSeq is recorded,
    // and the socket is closed right after the chunk with seq 3 arrived (once).
    await page.addInitScript(() => {
      const Native = window.WebSocket;
      const probe = { cut: false, fromSeqs: [] as Array<number | null> };
      (window as unknown as { __probe: typeof probe }).__probe = probe;
      window.WebSocket = class extends Native {
        constructor(url: string | URL, protocols?: string | string[]) {
          super(url, protocols);
          this.addEventListener('message', (event: MessageEvent<string>) => {
            const frame = JSON.parse(event.data) as { type: string; payload?: { data?: { replyStream?: { seq: number } } } };
            if (!probe.cut && frame.type === 'next' && (frame.payload?.data?.replyStream?.seq ?? -1) >= 3) {
              probe.cut = true;
              this.close(4000, 'cut by the test');
            }
          });
        }
        override send(data: string): void {
          const frame = JSON.parse(data) as { type: string; payload?: { variables?: { fromSeq?: number } } };
          if (frame.type === 'subscribe') probe.fromSeqs.push(frame.payload?.variables?.fromSeq ?? null);
          super.send(data);
        }
      };
    });
    await openSite();
    await openPanel();
    const bubblesBefore = await chat().locator('[part~="assistant"]').count();
    const seen = await watchAssistantTexts();
    await send('And on Saturdays?');
    await lastAssistantIs(page, LONG_REPLY);
    const probe = await page.evaluate(() => (window as unknown as { __probe: { cut: boolean; fromSeqs: number[] } }).__probe);
    expect(probe.cut).toBe(true);
    expect(probe.fromSeqs).toEqual([0, 4]);
    for (const t of await seen()) expect(LONG_REPLY.startsWith(t)).toBe(true);
    expect(await chat().locator('[part~="assistant"]').count()).toBe(bubblesBefore + 1);
    expect(await chat().locator('[part~="assistant"]').last().textContent()).toBe(LONG_REPLY);
    expect(await chat().locator('.notice').isVisible()).toBe(false);
  });

  it('opens the contact form when the server flags a reply as asking for details (not on wording): a bad email is refused with the reason, good details are stored', async () => {
    // Asks for a name in words, but the visitor showed no intent: the server does not flag it.
    script.set('Do you have parking?', { reply: 'Yes, behind the practice. What is your name, by the way?', delayMs: 5 });
    // Intent ("book"), and the business requires NAME and EMAIL: the reply is flagged NAME.
    script.set('I would like to book a cleaning', { reply: 'Happy to book that for you. May I have your name?', delayMs: 5 });
    await openSite();
    await openPanel();
    const form = chat().locator('[part="contact-form"]');
    await send('Do you have parking?');
    await lastAssistantIs(page, 'Yes, behind the practice. What is your name, by the way?');
    expect(await form.isVisible()).toBe(false);

    await send('I would like to book a cleaning');
    await lastAssistantIs(page, 'Happy to book that for you. May I have your name?');
    await form.waitFor({ state: 'visible', timeout: 5_000 });
    // Focus on the field the bot asked for.
    expect(await page.evaluate(() => document.querySelector('warmprospect-chat')!.shadowRoot!.activeElement?.getAttribute('name'))).toBe('name');
    const sessionId = await sessionIdOfPage();
    const session = async () => (await gql(server.url, WidgetSessionDocument, { id: sessionId })).data?.session;
    expect((await session())?.messages.filter((m) => m.role === 'ASSISTANT').map((m) => m.asksForContact)).toEqual([null, null, null, 'NAME']);

    await form.locator('input[name="name"]').fill('Ana Lopez');
    await form.locator('input[name="email"]').fill('ana-at-example');
    await form.locator('input[name="consent"]').check();
    await form.locator('button[type="submit"]').click();
    const error = form.locator('.form-error');
    await error.waitFor({ timeout: 10_000 });
    expect(await error.textContent()).toMatch(/email|@/i);
    expect((await session())?.contactDetails ?? null).toBeNull();

    await form.locator('input[name="email"]').fill('ana@example.com');
    await form.locator('button[type="submit"]').click();
    await form.waitFor({ state: 'hidden', timeout: 10_000 });
    await lastAssistantIs(page, 'Thank you! Harbor Dental will be in touch.');
    expect((await session())?.contactDetails).toEqual({ name: 'Ana Lopez', email: 'ana@example.com', phone: null });
  });

  it('rates an answer with thumbs up, then down: toggle buttons with aria-pressed, the rating reaches the server, the pressed one survives a reload', async () => {
    script.set('Is parking free?', { reply: 'Yes, parking is free for patients.', delayMs: 5 });
    await openSite();
    await openPanel();
    // Greetings are not answers: no thumbs on them.
    expect(await chat().locator('[part~="rate"]').count()).toBe(0);
    await send('Is parking free?');
    await lastAssistantIs(page, 'Yes, parking is free for patients.');
    const answer = chat().locator('[part~="assistant"]').last();
    const messageId = await answer.getAttribute('data-id');
    expect(messageId).toEqual(expect.any(String));
    const group = chat().locator(`[part="rating"][data-for="${messageId}"]`);
    const up = group.getByRole('button', { name: 'Helpful', exact: true });
    const down = group.getByRole('button', { name: 'Not helpful' });
    expect([await up.getAttribute('aria-pressed'), await down.getAttribute('aria-pressed')]).toEqual(['false', 'false']);
    expect(await chat().locator('[part~="rate"]').count()).toBe(2); // only under the answer

    const sessionId = await sessionIdOfPage();
    const ratingOnServer = async () => (await gql(server.url, ConversationDocument, { id: sessionId }, admin())).data?.conversation?.messages.find((m) => m.id === messageId)?.rating ?? null;
    const serverSays = async (rating: string) => {
      for (const until = Date.now() + 10_000; Date.now() < until; await new Promise((r) => setTimeout(r, 100))) if ((await ratingOnServer()) === rating) return;
      throw new Error(`the server never recorded ${rating}; it has ${String(await ratingOnServer())}`);
    };

    await up.click();
    await serverSays('UP');
    expect([await up.getAttribute('aria-pressed'), await down.getAttribute('aria-pressed')]).toEqual(['true', 'false']);
    await chat().locator('[aria-live="polite"]', { hasText: 'Thank you for your feedback.' }).waitFor({ state: 'attached' });

    await down.click();
    await serverSays('DOWN');
    expect([await up.getAttribute('aria-pressed'), await down.getAttribute('aria-pressed')]).toEqual(['false', 'true']);

    await page.reload();
    await page.waitForSelector('warmprospect-chat[state="ready"]', { state: 'attached', timeout: 15_000 });
    await chat().locator('[part="launcher"]').click();
    await group.waitFor({ timeout: 15_000 });
    expect([await up.getAttribute('aria-pressed'), await down.getAttribute('aria-pressed')]).toEqual(['false', 'true']);
  });

  it('has no accessibility violations (axe-core) in the open panel: greeting, CTAs, an answer with thumbs, the contact form', async () => {
    script.set('Can I book a check-up?', { reply: 'Of course. May I have your name?', delayMs: 5 });
    await openSite();
    await openPanel();
    await chat().locator('[part~="cta"]').first().waitFor();
    const axe = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
    await page.addScriptTag({ content: axe });
    const violations = async () =>
      page.evaluate(async () => {
        const result = await (window as unknown as { axe: { run(context: unknown): Promise<{ violations: Array<{ id: string; impact: string; nodes: Array<{ target: unknown }> }> }> } }).axe.run(
          document.querySelector('warmprospect-chat'),
        );
        return result.violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.map((n) => JSON.stringify(n.target)) }));
      });
    expect(await violations()).toEqual([]);
    // It did look inside the shadow root: the widget's buttons were checked for names.
    const checkedButtons = await page.evaluate(async () => {
      const result = await (window as unknown as { axe: { run(context: unknown, options: unknown): Promise<{ passes: Array<{ nodes: unknown[] }> }> } }).axe.run(
        document.querySelector('warmprospect-chat'),
        { runOnly: ['button-name'] },
      );
      return result.passes[0]?.nodes.length ?? 0;
    });
    expect(checkedButtons).toBeGreaterThanOrEqual(4); // launcher, close, CTAs, send

    await send('Can I book a check-up?');
    await lastAssistantIs(page, 'Of course. May I have your name?');
    await chat().locator('[part="contact-form"]').waitFor({ state: 'visible', timeout: 5_000 });
    await chat().locator('[part~="rate"]').first().waitFor();
    expect(await violations()).toEqual([]);
  });

  it('closes with Escape and gives the focus back to the launcher', async () => {
    await openSite();
    await openPanel();
    await input().press('Escape');
    await expect(chat().locator('[part="panel"]').isVisible()).resolves.toBe(false);
    expect(await page.evaluate(() => document.querySelector('warmprospect-chat')!.shadowRoot!.activeElement?.getAttribute('part'))).toBe('launcher');
    expect(await chat().locator('[part="launcher"]').getAttribute('aria-expanded')).toBe('false');
  });

  it('takes the whole screen on a small screen', async () => {
    await page.setViewportSize({ width: 375, height: 667 });
    await openSite();
    await chat().locator('[part="launcher"]').click();
    const box = await chat().locator('[part="panel"]').boundingBox();
    expect(box).toEqual({ x: 0, y: 0, width: 375, height: 667 });
  });

  it("refuses the site for another business: no launcher, no CORS access to business B's chat", async () => {
    const other = await createBusiness({ name: 'Other Clinic', allowedOrigins: ['http://elsewhere.test'] });
    site.pages.set('/other', await snippetOf(other));
    const refused: string[] = [];
    page.on('requestfailed', (r) => refused.push(r.url()));
    await page.goto(`${site.origin}/other`);
    await page.waitForSelector('warmprospect-chat[state="unavailable"]', { state: 'attached', timeout: 15_000 });
    expect(await chat().getAttribute('error')).toBe('NETWORK');
    expect(await chat().locator('[part="launcher"]').isVisible()).toBe(false);
    expect(refused).toContain(server.url);
    // The browser reports the refusal as a CORS error, and nothing else.
    expect(consoleErrors.length).toBeGreaterThan(0);
    for (const e of consoleErrors) expect(e).toMatch(/CORS|Access-Control-Allow-Origin|Failed to load resource|ERR_FAILED/);
    consoleErrors.length = 0;
  });

  describe('RATE_LIMITED', () => {
    let limited: TestServer;

    beforeAll(async () => {
      limited = await startTestServer(
        testConfig(db, { ADMIN_API_KEY_HASHES: boot.hash, GEMINI_API_KEY: 'test', GEMINI_BASE_URL: fake.baseUrl, GEMINI_MODEL: 'fake-flash', RATE_LIMIT_CHAT: '1/hour' }),
      );
      site.pages.set('/limited', await snippetOf(businessId, limited));
    });

    afterAll(async () => {
      await limited?.close();
    });

    it('says so with a countdown, keeps the unsent text and disables sending', async () => {
      script.set('First question', { reply: 'Happy to help with that.', delayMs: 5 });
      await openSite('/limited');
      await openPanel();
      await send('First question');
      await lastAssistantIs(page, 'Happy to help with that.');
      await send('Second question');
      const notice = chat().locator('.notice');
      await notice.waitFor({ timeout: 10_000 });
      const first = await notice.textContent();
      const seconds = Number(/send again in (\d+) s/.exec(first ?? '')?.[1]);
      expect(seconds).toBeGreaterThan(3000);
      expect(seconds).toBeLessThanOrEqual(3600);
      // It counts down.
      await page.waitForFunction(
        (n) => Number(/send again in (\d+) s/.exec(document.querySelector('warmprospect-chat')!.shadowRoot!.querySelector('.notice')?.textContent ?? '')?.[1]) < n,
        seconds,
        { timeout: 5_000 },
      );
      expect(await input().inputValue()).toBe('Second question');
      expect(await chat().locator('[part="send"]').isDisabled()).toBe(true);
      expect(await chat().locator('[part~="user"]').allTextContents()).toEqual(['First question']);
    });
  });
});
