import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSchema, parse, validate } from 'graphql';
import { PLAYGROUND_EXAMPLES } from '../../src/server/playground';
import type { Browser, Page, WebSocket as PwWebSocket } from 'playwright-core';
import { AddKnowledgeDocumentDocument } from '../generated/graphql';
import { describeInBrowser, launchChromium } from '../support/browser';
import { gql } from '../support/client';
import { seedBusiness } from '../support/knowledge';
import { startTestServer, testConfig, type TestServer } from '../support/server';
import { createTestDatabase, type TestDatabase } from '../support/stores';

/**
 * The Playground (GraphiQL, served by the server itself) in headless Chromium: it renders,
 * sends the x-api-key typed into its headers editor with a query over HTTP, and opens a
 * graphql-transport-ws socket to /graphql carrying those headers as connectionParams for a
 * subscription.
 */

const API_KEY = 'wpk_playground_test_key_0123456789';
const SCREENSHOT = '/tmp/concierge-playground.png';
/** The visible one of the two tool editors (variables is hidden while headers is shown). */
const HEADERS_EDITOR = '.graphiql-editor-tool .graphiql-editor:not(.hidden)';

/**
 * The subscription the Playground runs: an admin one (indexJobUpdates needs the key), so the
 * answer proves the key from the headers editor reached the server as connectionParams.
 * The job id is filled in once the test has added a knowledge document.
 */
const SUBSCRIPTION = {
  jobId: '',
  get document(): string {
    return `subscription PlaygroundJob { indexJobUpdates(jobId: "${this.jobId}") { id state } }`;
  },
  /** What the first `next`/`error` message payload from the server must look like. */
  check(message: { type: string; payload: unknown }) {
    expect(message).toMatchObject({ type: 'next', payload: { data: { indexJobUpdates: { id: this.jobId, state: expect.stringMatching(/QUEUED|RUNNING|SUCCEEDED/) } } } });
  },
};

/** Replaces the text of one of GraphiQL's CodeMirror editors the way a user would type it. */
async function typeInto(page: Page, editorSelector: string, text: string): Promise<void> {
  await page.click(`${editorSelector} .CodeMirror`);
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(text);
}

/**
 * Types a GraphQL document and waits until GraphiQL has parsed it: its tab shows the
 * operation name. GraphiQL picks the operation (and so HTTP or WebSocket) from that parsed
 * state, which lags the editor; running before it catches up runs the previous operation.
 */
async function typeOperation(page: Page, document: string): Promise<void> {
  const name = /^\s*(?:query|mutation|subscription)\s+(\w+)/.exec(document)?.[1];
  if (!name) throw new Error('give the operation a name, so the test can see GraphiQL parse it');
  await typeInto(page, '.graphiql-query-editor', document);
  await page.waitForSelector(`.graphiql-tab-active .graphiql-tab-button:text-is("${name}")`, { timeout: 10_000 });
}

/**
 * Presses the run button. Escape first closes an autocomplete popup the typing may have
 * opened, which would otherwise swallow the click.
 */
async function run(page: Page): Promise<void> {
  await page.keyboard.press('Escape');
  await page.click('.graphiql-execute-button');
}

/** Rejects when `promise` does not settle within `ms` (a hang becomes a clear failure). */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

async function editorText(page: Page, selector: string): Promise<string> {
  return page.$eval(`${selector} .CodeMirror`, (el) => (el as unknown as { CodeMirror: { getValue(): string } }).CodeMirror.getValue());
}

describeInBrowser('Playground in headless Chromium', () => {
  let db: TestDatabase;
  let server: TestServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startTestServer(
      testConfig(db, { ADMIN_API_KEY_HASHES: createHash('sha256').update(API_KEY).digest('hex'), JOB_DRIVER: 'inline' }),
    );
    const business = await seedBusiness(server.app, { name: 'Playground Plumbing' });
    const added = await gql(
      server.url,
      AddKnowledgeDocumentDocument,
      { input: { businessId: business.id, title: 'Opening hours', content: 'We are open from 8 am to 6 pm on weekdays.' } },
      { headers: { 'x-api-key': API_KEY } },
    );
    SUBSCRIPTION.jobId = added.data?.addKnowledgeDocument.indexJobId ?? '';
    expect(SUBSCRIPTION.jobId).not.toBe('');
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await db?.drop();
  });

  it('renders GraphiQL from the server itself, with no request to another host', async () => {
    const foreign: string[] = [];
    page.on('request', (req) => {
      if (!req.url().startsWith(server.base) && !req.url().startsWith('data:')) foreign.push(req.url());
    });
    const response = await page.goto(server.url);
    expect(response?.status()).toBe(200);
    await page.waitForSelector('.graphiql-container .graphiql-query-editor .CodeMirror', { timeout: 20_000 });
    await page.waitForSelector(`${HEADERS_EDITOR} .CodeMirror`);
    expect(foreign).toEqual([]);
  });

  it("is titled with the product name and opens with example operations (a query, a mutation, a subscription), not GraphiQL's welcome", async () => {
    // Its own page: a first visit, whatever the other cases typed.
    const fresh = await browser.newPage();
    let examples: string;
    try {
      await fresh.goto(server.url);
      await fresh.waitForSelector('.graphiql-container .graphiql-query-editor .CodeMirror', { timeout: 20_000 });
      expect(await fresh.title()).toBe('WarmProspect Concierge — GraphQL Playground');
      examples = await editorText(fresh, '.graphiql-query-editor');
    } finally {
      await fresh.close();
    }
    expect(examples).not.toMatch(/Welcome to GraphiQL/i);
    expect(examples.match(/^(query|mutation|subscription) \w+/gm)).toEqual(['query Businesses', 'mutation StartSession', 'subscription ReplyStream']);
    expect(examples).toBe(PLAYGROUND_EXAMPLES);
    // Valid against the committed schema: each one runs as shown (with real ids filled in).
    const schema = buildSchema(readFileSync(join(__dirname, '../../schema.graphql'), 'utf8'));
    expect(validate(schema, parse(PLAYGROUND_EXAMPLES)).map((e) => e.message)).toEqual([]);
  });

  it('runs a query with the x-api-key typed into the headers editor', async () => {
    await page.getByRole('button', { name: 'Headers' }).click();
    await typeInto(page, HEADERS_EDITOR, JSON.stringify({ 'x-api-key': API_KEY }));
    expect(JSON.parse(await editorText(page, HEADERS_EDITOR))).toEqual({ 'x-api-key': API_KEY });
    await typeOperation(page, 'query PlaygroundInfo { serverInfo { name version } }');

    const sent = page.waitForRequest((req) => req.url() === server.url && req.method() === 'POST' && (req.postData() ?? '').includes('PlaygroundInfo'));
    await run(page);
    const request = await sent;
    expect(request.headers()['x-api-key']).toBe(API_KEY);

    await page.waitForFunction(
      () => {
        const el = document.querySelector('.graphiql-response .CodeMirror') as unknown as { CodeMirror: { getValue(): string } } | null;
        return el?.CodeMirror.getValue().includes('WarmProspect Concierge') ?? false;
      },
      undefined,
      { timeout: 10_000, polling: 100 },
    );
    expect(JSON.parse(await editorText(page, '.graphiql-response'))).toEqual({
      data: { serverInfo: { name: 'WarmProspect Concierge', version: expect.any(String) } },
    });
    // The key stays in memory: nothing of it in localStorage or sessionStorage (issue 10 item 7).
    const stored = await page.evaluate(() => JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage } }));
    expect(stored).not.toContain(API_KEY);
    await page.screenshot({ path: SCREENSHOT });
  });

  it('runs a subscription over graphql-transport-ws with the headers as connectionParams', async () => {
    const sent: Array<{ type: string; payload?: unknown }> = [];
    const received: Array<{ type: string; payload: unknown }> = [];
    let resultArrived!: () => void;
    const resultFrame = new Promise<void>((resolve) => (resultArrived = resolve));
    // Frame listeners must be attached in the event itself: the exchange is over in milliseconds.
    const socketOpened = new Promise<PwWebSocket>((resolve) =>
      page.once('websocket', (ws) => {
        ws.on('framesent', (f) => sent.push(JSON.parse(String(f.payload)) as never));
        ws.on('framereceived', (f) => {
          const frame = JSON.parse(String(f.payload)) as { type: string; payload: unknown };
          received.push(frame);
          if (frame.type === 'next' || frame.type === 'error') resultArrived();
        });
        resolve(ws);
      }),
    );

    await typeOperation(page, SUBSCRIPTION.document);
    await run(page);

    const socket = await within(socketOpened, 10_000, 'GraphiQL opening a WebSocket');
    expect(socket.url()).toBe(server.wsUrl.replace('127.0.0.1', new URL(server.base).hostname));

    // Without a result in time, the checks below say what did arrive.
    await within(resultFrame, 10_000, 'the subscription result').catch(() => undefined);
    // graphql-transport-ws: connection_init (with the headers as payload), ack, subscribe.
    expect(sent.map((m) => m.type).slice(0, 2)).toEqual(['connection_init', 'subscribe']);
    expect(sent[0].payload).toMatchObject({ 'x-api-key': API_KEY });
    expect(received[0]?.type).toBe('connection_ack');
    const result = received.find((m) => m.type === 'next' || m.type === 'error');
    if (!result) throw new Error(`no subscription result; frames: ${JSON.stringify(received)}`);
    SUBSCRIPTION.check(result);
    // GraphiQL shows what came over the socket in its response pane.
    await page.waitForFunction(
      () => {
        const el = document.querySelector('.graphiql-response .CodeMirror') as unknown as { CodeMirror: { getValue(): string } } | null;
        return el?.CodeMirror.getValue().includes('indexJobUpdates') ?? false;
      },
      undefined,
      { timeout: 10_000, polling: 100 },
    );
    await page.screenshot({ path: SCREENSHOT.replace('.png', '-subscription.png') });
  });

  it('sends the headers editor content as connectionParams in connection_init', async () => {
    const frames: Array<{ type: string; payload?: Record<string, unknown> }> = [];
    let subscribed!: () => void;
    const subscribeFrame = new Promise<void>((resolve) => (subscribed = resolve));
    page.once('websocket', (ws) =>
      ws.on('framesent', (f) => {
        const frame = JSON.parse(String(f.payload)) as { type: string; payload?: Record<string, unknown> };
        frames.push(frame);
        if (frame.type === 'subscribe') subscribed();
      }),
    );
    await run(page);
    await within(subscribeFrame, 10_000, 'the subscribe frame').catch(() => undefined);
    const init = frames.find((m) => m.type === 'connection_init');
    expect(init?.payload).toMatchObject({ 'x-api-key': API_KEY });
  });
});
