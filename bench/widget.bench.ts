import 'reflect-metadata';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import type { Browser, Page } from 'playwright-core';
import { WebSocketServer } from 'ws';
import { createSilentLogger } from '../src/observability/logger';
import { launchChromium } from '../test/support/chromium';
import { seedBusiness } from '../test/support/chat';
import { FakeGemini } from '../test/support/fake-gemini';
import { startTestServer, testConfig, type TestServer } from '../test/support/server';
import { createTestDatabase, type TestDatabase } from '../test/support/stores';

/**
 * `npm run bench -- widget` (bench/run.ts): the widget's budgets (issue 13 item 6), in headless
 * Chromium, each time against a baseline measured in the same run, rounds interleaved (widget,
 * baseline, widget, baseline, …), medians over BENCH_ROUNDS (default 7) rounds:
 *
 * - size: /widget.js as served, raw and gzipped (the budget is < 35 KB gzipped);
 * - load → interactive launcher: from the script's responseEnd (downloaded) to the first
 *   animation frame after the launcher is shown and enabled. Baseline: a tiny script loaded the
 *   same way (async tag, timed from its responseEnd) that does the same one request
 *   (publicBusiness over fetch to /graphql, CORS preflight included) and then shows a button in
 *   a shadow root: the round trip and paint any widget must pay;
 * - send → first token painted: from the submit to the first animation frame after the first
 *   reply text is in the bubble (sendMessage over HTTP, replyStream over a WebSocket, the fake
 *   Gemini answering at once). Baseline: a raw WebSocket echo server; the page sends one frame
 *   and paints the echo: one socket round trip and a paint.
 *
 * The server is the test composition (buildApp on a fresh, migrated database, Redis as for
 * tests, the fake Gemini of test/support, which answers with no delay); the host pages are on
 * another loopback origin. Each round uses a new browser context (empty cache and storage).
 * Numbers depend on the machine; compare the ratios within one run.
 */

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const QUESTION = 'When are you open?';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * A script that does what the widget must at least do before a visitor can click: one request
 * (publicBusiness), then a button in a shadow root. Loaded like the widget (an async script
 * tag, from another origin than the API) and timed the same way, from its responseEnd.
 */
function baselineLauncherScript(server: string, businessId: string): string {
  return `
    (function () {
      var src = document.currentScript.src;
      fetch(${JSON.stringify(`${server}/graphql`)}, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: 'query B($id: ID!) { publicBusiness(id: $id) { id name buttonText themeColor } }', variables: { id: ${JSON.stringify(businessId)} } })
      }).then(function (r) { return r.json(); }).then(function (body) {
        var host = document.createElement('div');
        var root = host.attachShadow({ mode: 'open' });
        var b = document.createElement('button');
        b.textContent = body.data.publicBusiness.buttonText || 'Chat with us';
        root.appendChild(b);
        document.body.appendChild(host);
        requestAnimationFrame(function () {
          var entry = performance.getEntriesByName(src)[0];
          window.__ready = performance.now() - entry.responseEnd;
        });
      });
    })();`;
}

/** The host page with the embed snippet, and a probe that times the launcher from the script's arrival. */
function widgetPage(snippet: string): string {
  const probe = `
    new MutationObserver(function (_, obs) {
      var el = document.querySelector('warmprospect-chat');
      if (!el || el.getAttribute('state') !== 'ready') return;
      var launcher = el.shadowRoot && el.shadowRoot.querySelector('[part="launcher"]');
      if (!launcher || launcher.hidden || launcher.disabled) return;
      obs.disconnect();
      requestAnimationFrame(function () {
        var entry = performance.getEntriesByType('resource').filter(function (e) { return /\\/widget\\.js/.test(e.name); })[0];
        window.__ready = performance.now() - entry.responseEnd;
      });
    }).observe(document.documentElement, { subtree: true, childList: true, attributes: true });`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Harbor Dental</title><script>${probe}</script></head><body><h1>Harbor Dental</h1>${snippet}</body></html>`;
}

/** A page with a WebSocket to the echo server: `__echo()` sends a frame and resolves at the paint after the echo is shown. */
function echoPage(wsUrl: string): string {
  const script = `
    var ws = new WebSocket(${JSON.stringify(wsUrl)});
    window.__open = new Promise(function (r) { ws.onopen = r; });
    var out = document.createElement('p');
    document.body.appendChild(out);
    window.__echo = function () {
      return new Promise(function (resolve) {
        var t0 = performance.now();
        ws.onmessage = function (e) { out.textContent = e.data; requestAnimationFrame(function () { resolve(performance.now() - t0); }); };
        ws.send('When are you open?');
      });
    };`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Echo</title></head><body><script>${script}</script></body></html>`;
}

class Site {
  readonly pages = new Map<string, string>();
  private constructor(private readonly server: Server) {}
  static async start(): Promise<Site> {
    const server = createServer();
    const site = new Site(server);
    server.on('request', (req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      const body = site.pages.get(path);
      if (!body) return res.writeHead(404).end();
      res.writeHead(200, { 'content-type': path.endsWith('.js') ? 'text/javascript' : 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(body);
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

async function withPage<T>(browser: Browser, run: (page: Page) => Promise<T>): Promise<T> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  try {
    return await run(await context.newPage());
  } finally {
    await context.close();
  }
}

export async function runWidgetBench(): Promise<void> {
  let db: TestDatabase | undefined;
  let fake: FakeGemini | undefined;
  let server: TestServer | undefined;
  let site: Site | undefined;
  let browser: Browser | undefined;
  const echo = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  echo.on('connection', (socket) => socket.on('message', (data: Buffer) => socket.send(data.toString('utf8'))));
  try {
    fake = await FakeGemini.start();
    fake.chunkDelayMs = 0;
    fake.recordRequests = false;
    fake.reply = () => 'We are open Monday to Friday from eight to six.';
    db = await createTestDatabase();
    site = await Site.start();
    server = await startTestServer(
      // The host site is in the operator's list (the business is seeded after the start, past the origin index).
      testConfig(db, { GEMINI_API_KEY: 'test', GEMINI_BASE_URL: fake.baseUrl, GEMINI_MODEL: 'fake-flash', RATE_LIMIT_CHAT: 'off', ALLOWED_ORIGINS: site.origin }),
      { logger: createSilentLogger() },
    );
    const businessId = (await seedBusiness(server.app, { buttonText: 'Ask Harbor' })).id;
    const snippet = `<script src="${server.base}/widget.js" data-business-id="${businessId}" async></script>`;
    site.pages.set('/widget', widgetPage(snippet));
    site.pages.set('/baseline.js', baselineLauncherScript(server.base, businessId));
    site.pages.set('/baseline', widgetPage('<script src="/baseline.js" async></script>').replace(/<script>[\s\S]*?<\/script>/, ''));
    site.pages.set('/echo', echoPage(`ws://127.0.0.1:${(echo.address() as AddressInfo).port}`));

    // Size, as served.
    const raw = Buffer.from(await (await fetch(`${server.base}/widget.js`, { headers: { 'accept-encoding': 'identity' } })).arrayBuffer());
    const gzipped = gzipSync(raw, { level: 9 }).length;

    browser = await launchChromium();
    const launcher = { widget: [] as number[], baseline: [] as number[] };
    const firstToken = { widget: [] as number[], baseline: [] as number[] };
    for (let round = 0; round < ROUNDS + 1; round++) {
      const warmup = round === 0; // the first round warms the server, Chromium and the JITs
      const w = await withPage(browser, async (page) => {
        await page.goto(`${site!.origin}/widget`);
        await page.waitForFunction(() => typeof (window as unknown as { __ready?: number }).__ready === 'number', undefined, { timeout: 20_000 });
        const ready = await page.evaluate(() => (window as unknown as { __ready: number }).__ready);
        // Send → first token painted.
        const chat = page.locator('warmprospect-chat');
        await chat.locator('[part="launcher"]').click();
        await chat.locator('[part~="message"]').first().waitFor({ timeout: 20_000 });
        const token = await page.evaluate(
          (question) =>
            new Promise<number>((resolve) => {
              const root = document.querySelector('warmprospect-chat')!.shadowRoot!;
              const before = root.querySelectorAll('[part~="assistant"]').length;
              const input = root.querySelector('textarea')!;
              input.value = question;
              const t0 = performance.now();
              const obs = new MutationObserver(() => {
                const all = root.querySelectorAll('[part~="assistant"]');
                if (all.length <= before || !all[all.length - 1].textContent) return;
                obs.disconnect();
                requestAnimationFrame(() => resolve(performance.now() - t0));
              });
              obs.observe(root, { subtree: true, childList: true, characterData: true });
              input.closest('form')!.requestSubmit();
            }),
          QUESTION,
        );
        return { ready, token };
      });
      const b = await withPage(browser, async (page) => {
        await page.goto(`${site!.origin}/baseline`);
        await page.waitForFunction(() => typeof (window as unknown as { __ready?: number }).__ready === 'number', undefined, { timeout: 20_000 });
        const ready = await page.evaluate(() => (window as unknown as { __ready: number }).__ready);
        await page.goto(`${site!.origin}/echo`);
        await page.evaluate(() => (window as unknown as { __open: Promise<void> }).__open);
        const token = await page.evaluate(() => (window as unknown as { __echo(): Promise<number> }).__echo());
        return { ready, token };
      });
      if (warmup) continue;
      launcher.widget.push(w.ready);
      launcher.baseline.push(b.ready);
      firstToken.widget.push(w.token);
      firstToken.baseline.push(b.token);
    }

    const row = (what: string, ours: number[], base: number[], baseline: string) => {
      const o = median(ours);
      const bl = median(base);
      return { what, widgetMs: Number(o.toFixed(1)), baselineMs: Number(bl.toFixed(1)), ratio: Number((o / bl).toFixed(2)), baseline, rounds: ours.length };
    };
    const results = {
      size: { rawBytes: raw.length, gzipBytes: gzipped, gzipKB: Number((gzipped / 1024).toFixed(1)), budgetKB: 35, withinBudget: gzipped < 35 * 1024 },
      launcher: row('script loaded → launcher interactive (painted)', launcher.widget, launcher.baseline, 'a tiny async script: one publicBusiness fetch, then a button in a shadow root'),
      firstToken: row('send → first token painted', firstToken.widget, firstToken.baseline, 'raw WebSocket echo, painted'),
    };
    process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    process.stdout.write(
      [
        '',
        '| measure | widget (median) | baseline (median) | ratio | baseline is |',
        '| --- | --- | --- | --- | --- |',
        `| /widget.js gzipped | ${results.size.gzipKB} KB (raw ${(raw.length / 1024).toFixed(1)} KB) | budget 35 KB | ${(gzipped / (35 * 1024)).toFixed(2)} of budget | — |`,
        `| ${results.launcher.what} | ${results.launcher.widgetMs} ms | ${results.launcher.baselineMs} ms | ${results.launcher.ratio} | ${results.launcher.baseline} |`,
        `| ${results.firstToken.what} | ${results.firstToken.widgetMs} ms | ${results.firstToken.baselineMs} ms | ${results.firstToken.ratio} | ${results.firstToken.baseline} |`,
        '',
      ].join('\n'),
    );
  } finally {
    await browser?.close();
    await site?.close();
    await server?.close();
    await fake?.close();
    await new Promise((r) => echo.close(r));
    await db?.drop();
  }
}
