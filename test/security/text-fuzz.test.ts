import { Metrics } from '../../src/observability/metrics';
import { createSilentLogger } from '../../src/observability/logger';
import { OutboundClient } from '../../src/outbound/outbound.client';
import type { ExtractedPage } from '../../src/knowledge/text-extract';
import { TextExtractor } from '../../src/knowledge/text-extractor';
import { WebsiteCrawler } from '../../src/knowledge/website.crawler';
import { LoopbackServer } from '../support/outbound';
import { ModuleThread } from '../support/text-thread';

/**
 * Issue 10 item 2: every text path (Markdown, HTML, crawled pages) on pathological inputs.
 * Each call runs on a worker thread with a generous deadline (60 s, for inputs that take
 * milliseconds): a super-linear regex or tree walk does not finish and fails the test (the
 * thread is terminated; a Jest timeout cannot stop synchronous code). No speed is asserted:
 * only that each input finishes and that its output is bounded by its input.
 */

const N = 20_000;
const DEADLINE_MS = 60_000;
jest.setTimeout(10 * 60_000);

const MARKDOWN: Array<[string, string]> = [
  ['"#a" + 20,000 spaces + "b" (the cubic heading regex)', `#a${' '.repeat(N)}b`],
  ['"# a" + spaces + "#" run', `# a${' '.repeat(N)}${'#'.repeat(N)}`],
  ['20,000 "[" then "]("', `${'['.repeat(N)}](`],
  ['20,000 "![" (unclosed images)', '!['.repeat(N)],
  ['a link with 20,000 "(" in its destination', `[a](${'('.repeat(N)}`],
  ['20,000 backticks then text', `${'`'.repeat(N)}a`],
  ['alternating backtick runs', '`a``b'.repeat(N / 4)],
  ['20,000 "*a" (emphasis openers)', '*a'.repeat(N)],
  ['20,000 "**" then text', `${'**'.repeat(N)}x`],
  ['20,000 "_" in a word', `a${'_'.repeat(N)}b`],
  ['20,000 unclosed "<a"', '<a'.repeat(N)],
  ['an unclosed tag with 20,000 attributes', `<div${' a="x"'.repeat(N)}`],
  ['20,000 nested blockquotes', `${'>'.repeat(N)} x`],
  ['20,000 nested list items', `${'- '.repeat(N)}x`],
  ['20,000 lines of nested list indentation', Array.from({ length: N / 10 }, (_, i) => `${' '.repeat(i * 2)}- item`).join('\n')],
  ['a 1 MB line without spaces', 'x'.repeat(1_000_000)],
  ['a 1 MB line of spaces', ' '.repeat(1_000_000)],
  ['20,000 unterminated fences', '```\n'.repeat(N)],
  ['a table with 20,000 columns', `${'|a'.repeat(N)}|\n${'|-'.repeat(N)}|\n${'|1'.repeat(N)}|`],
  ['20,000 reference definitions', '[a]: http://x.test "t"\n'.repeat(N)],
  ['20,000 "<!--" openers', '<!--'.repeat(N)],
];

const HTML: Array<[string, string]> = [
  ['20,000 nested <div>s', `${'<div>'.repeat(N)}x`],
  ['20,000 nested <b><i> (unclosed)', `${'<b><i>'.repeat(N)}x`],
  ['20,000 nested <ul><li>', `${'<ul><li>'.repeat(N)}x`],
  ['20,000 nested tables', `${'<table><tr><td>'.repeat(N / 4)}x`],
  ['an unclosed tag with 20,000 attributes', `<p${' a="x"'.repeat(N)}`],
  ['an unclosed attribute value of 1 MB', `<a href="${'x'.repeat(1_000_000)}`],
  ['20,000 unclosed comments', '<!--'.repeat(N)],
  ['20,000 unclosed <script>', '<script>'.repeat(N)],
  ['20,000 sibling paragraphs', `<html><body>${'<p>Some <b>bold</b> text and a <a href="/x">link</a>.</p>'.repeat(N)}</body></html>`],
  ['20,000 headings', '<h2>Heading</h2>'.repeat(N)],
  ['a 1 MB text node of spaces', `<p>${' '.repeat(1_000_000)}</p>`],
  ['20,000 "<" and ">"', '<>'.repeat(N) + '<'.repeat(N) + '>'.repeat(N)],
  ['20,000 entities', '&amp;&#x41;&nbsp;&bogus;'.repeat(N / 4)],
];

const bounded = (input: string, output: string) => output.length <= 2 * input.length + 100;

let thread: ModuleThread;
beforeAll(() => {
  thread = new ModuleThread('src/knowledge/text-extract.ts');
});
afterAll(async () => {
  await thread.close();
});

describe('Markdown (markdownToText) finishes on pathological input with bounded output', () => {
  it.each(MARKDOWN)('%s', async (_name, input) => {
    const text = await thread.call<string>('markdownToText', [input], DEADLINE_MS);
    expect(typeof text).toBe('string');
    expect(bounded(input, text)).toBe(true);
  });
});

describe('HTML (htmlToText, whole body and main content) finishes on pathological input with bounded output', () => {
  it.each(HTML)('%s', async (_name, input) => {
    for (const mainContent of [false, true]) {
      const page = await thread.call<ExtractedPage>('htmlToText', [input, { mainContent }], DEADLINE_MS);
      expect(typeof page.text).toBe('string');
      expect(bounded(input, page.text)).toBe(true);
    }
  });
});

describe('crawled pages: the crawler and its extraction finish on pathological pages', () => {
  let site: LoopbackServer;
  const pages = HTML.map(([, html]) => html);
  const outbound = new OutboundClient({ allowHosts: ['127.0.0.1:*'] });
  const extractor = new TextExtractor({ inlineMaxChars: 0, timeoutMs: DEADLINE_MS, maxQueued: 100 });

  beforeAll(async () => {
    site = await new LoopbackServer((req, res, self) => {
      const path = req.url ?? '/';
      if (path === '/sitemap.xml') {
        const urls = pages.map((_, i) => `<url><loc>${self.origin}/p/${i}</loc></url>`).join('');
        return void res.writeHead(200, { 'content-type': 'application/xml' }).end(`<?xml version="1.0"?><urlset>${urls}</urlset>`);
      }
      const m = /^\/p\/(\d+)$/.exec(path);
      if (m) return void res.writeHead(200, { 'content-type': 'text/html' }).end(pages[Number(m[1])]);
      res.writeHead(404).end();
    }).start();
  });
  afterAll(async () => {
    await site.close();
    await outbound.close();
    await extractor.close();
  });

  it('fetches every page, extracts each on the extraction thread, and stores bounded text', async () => {
    const crawler = new WebsiteCrawler(
      { maxPages: 100, maxDepth: 2, maxSeconds: 600, requestTimeoutMs: 30_000, maxPageBytes: 4 * 1024 * 1024, retries: 0, concurrency: 2, userAgent: 'fuzz' },
      outbound,
      new Metrics(),
      createSilentLogger(),
    );
    const texts = new Map<string, string>();
    const report = await crawler.crawl(
      `${site.origin}/`,
      async (page) => {
        const { text } = await extractor.extract({ format: 'html', content: page.html, mainContent: true });
        texts.set(new URL(page.url).pathname, text);
      },
      async () => undefined,
    );
    expect(report).toMatchObject({ mode: 'sitemap', fetched: pages.length, failed: 0 });
    pages.forEach((html, i) => expect(bounded(html, texts.get(`/p/${i}`)!)).toBe(true));
  });
});
