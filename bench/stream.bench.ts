import 'reflect-metadata';
import { MikroORM } from '@mikro-orm/core';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createClient, type Client as WsClient } from 'graphql-ws';
import { Client as PgClient } from 'pg';
import Redis from 'ioredis';
import WebSocket, { WebSocketServer } from 'ws';
import { ApolloServer } from '@apollo/server';
import { fastifyApolloHandler } from '@as-integrations/fastify';
import Fastify from 'fastify';
import { buildApp } from '../src/app';
import { BusinessEntity } from '../src/business/business.entity';
import { loadConfig } from '../src/config/config';
import { ormOptions } from '../src/db/orm';
import { createSilentLogger } from '../src/observability/logger';
import { FakeGemini } from '../test/support/fake-gemini';

/**
 * `npm run bench -- stream`: the scenarios of issue 15, each against a baseline measured in
 * the same run, rounds interleaved (ours, baseline, ours, baseline, …), medians over rounds.
 *
 * Processes: this one (the load, every client, the fake Gemini of test/support/fake-gemini.ts,
 * the one the tests use), and three children started
 * from this file: the server (`buildApp`, the production composition root), a raw `ws`
 * broadcaster and an Apollo-on-Fastify `{ hello }` server. The server gets its own database
 * (created and migrated here, dropped at the end) and its own `redis-server` on a free port
 * (so INFO commandstats and MONITOR see only it; BENCH_REDIS_URL uses an existing one).
 *
 * Scenarios:
 * - fan-out: a 200-piece reply (the fake writes all pieces at once) reaching 1 and 100
 *   subscribers, from the fake's first piece to the last subscriber's `done`; baseline: the
 *   raw `ws` server sending the same 200 pieces to as many sockets.
 * - time to first token: sendMessage sent → first non-empty delta on the subscription, minus
 *   the fake's own time from request to first piece; one chat at a time and 20 at once.
 * - heap per WebSocket holding one replyStream subscription (the server child, after gc)
 *   against a raw idle `ws` socket (the broadcaster child, after gc).
 * - sendMessage whole turns per second (one-piece reply, rate limit off; counted until every
 *   reply started has ended in the server) against `{ hello }` on Apollo-on-Fastify.
 * - Redis commands per turn of a 10-piece reply (5 ms gap): commands the server's
 *   connections sent during one turn (MONITOR, lines from scripts excluded), with one live
 *   subscriber; and the INFO commandstats delta (which also counts commands run inside scripts).
 *
 * Every scenario starts once the server has no reply running (an `idle` request to the
 * child), so no scenario's leftovers land in the next one's time.
 *
 * BENCH_ROUNDS (default 5) sets the rounds, BENCH_SCENARIOS picks scenarios, BENCH_CPU_PROF=DIR
 * has the server child write a CPU profile. Numbers depend on the machine; compare ratios
 * within one run.
 */

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
/** BENCH_SCENARIOS=fan1,ttft1,…: only these (fan1 fan100 ttft1 ttft20 rps heap commands); default all. */
const SCENARIOS = process.env.BENCH_SCENARIOS?.split(',').map((x) => x.trim()).filter(Boolean) ?? null;
const wanted = (name: string) => SCENARIOS === null || SCENARIOS.includes(name);
const PG_BASE = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';
const FANOUT_PIECES = 200;
const HEAP_SOCKETS = 200;
const RPS_MS = 3_000;
const RPS_CONCURRENCY = 32;
const TTFT_SERIAL_TURNS = 30;
const TTFT_PARALLEL = 20;
const TTFT_PARALLEL_TURNS = 4;
const ORIGIN = 'http://bench.test';

const SUBSCRIPTION = `subscription R($replyId: ID!, $fromSeq: Int) {
  replyStream(replyId: $replyId, fromSeq: $fromSeq) { replyId seq delta done message { id text } error { code message } }
}`;

type ChildKind = 'app' | 'raw' | 'hello';
type Reply = { cmd: string; [k: string]: unknown };

// ---------------------------------------------------------------- children

async function serveApp(): Promise<void> {
  const app = await buildApp(loadConfig(), { logger: createSilentLogger() });
  await app.fastify.listen({ port: 0, host: '127.0.0.1' });
  const em = app.orm.em.fork();
  const business = em.create(BusinessEntity, {
    name: 'Bench Dental',
    description: 'A dental practice.',
    greeting: 'Welcome! How can we help?',
    services: ['Cleanings'],
    hours: 'Mon-Fri 8am-6pm',
    faqs: [],
    ctaTree: [],
  } as unknown as BusinessEntity);
  await em.persistAndFlush(business);
  const port = (app.fastify.server.address() as AddressInfo).port;
  onCommands({ port, businessId: business.id }, async (msg) => {
    if (msg.cmd === 'readers') return { cmd: 'readers', value: (await app.metrics.replyStreamReaders.get()).values[0]?.value ?? 0 };
    if (msg.cmd === 'subs') return { cmd: 'subs', value: (await app.metrics.activeSubscriptions.get()).values[0]?.value ?? 0 };
    // Resolves once every reply and fold the server started has ended.
    if (msg.cmd === 'idle') {
      await app.chat.generator.idle();
      return { cmd: 'idle', value: 0 };
    }
    return null;
  });
}

async function serveRaw(): Promise<void> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  // Sockets are grouped by their URL path (/g1, /g100): a broadcast goes to the sender's group.
  const groups = new Map<string, Set<WebSocket>>();
  wss.on('connection', (socket, request) => {
    const name = request.url ?? '/';
    const group = groups.get(name) ?? new Set<WebSocket>();
    groups.set(name, group);
    group.add(socket);
    socket.once('close', () => group.delete(socket));
    // A client asks for a broadcast of N pieces to its group: the same pieces, one JSON frame each.
    socket.on('message', (data) => {
      const n = Number((data as Buffer).toString());
      const text: string[] = [];
      for (let i = 0; i < n; i++) {
        const delta = `word${i} `;
        text.push(delta);
        const frame = JSON.stringify({ seq: i, delta, done: false });
        for (const client of group) client.send(frame);
      }
      const final = JSON.stringify({ seq: n, delta: '', done: true, text: text.join('') });
      for (const client of group) client.send(final);
    });
  });
  onCommands({ port: (wss.address() as AddressInfo).port }, async () => null);
}

async function serveHello(): Promise<void> {
  const apollo = new ApolloServer({ typeDefs: 'type Query { hello: String }', resolvers: { Query: { hello: () => 'world' } } });
  await apollo.start();
  const fastify = Fastify({ logger: false });
  fastify.post('/graphql', fastifyApolloHandler(apollo));
  await fastify.listen({ port: 0, host: '127.0.0.1' });
  onCommands({ port: (fastify.server.address() as AddressInfo).port }, async () => null);
}

/** IPC: announces `ready` and answers `heap` (after full GCs) and the child's own commands. */
function onCommands(ready: Record<string, unknown>, extra: (msg: Reply) => Promise<Reply | null>): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  process.on('disconnect', () => process.exit(0));
  process.on('message', (msg: Reply) => {
    void (async () => {
      if (msg.cmd === 'heap') {
        for (let i = 0; i < 4; i++) {
          gc?.();
          await new Promise((r) => setImmediate(r));
        }
        process.send?.({ cmd: 'heap', value: process.memoryUsage().heapUsed });
        return;
      }
      const reply = await extra(msg);
      if (reply) process.send?.(reply);
    })();
  });
  process.send?.({ cmd: 'ready', ...ready });
}

// ---------------------------------------------------------------- parent side helpers

interface Child {
  kind: ChildKind;
  proc: ChildProcess;
  port: number;
  info: Record<string, unknown>;
  ask(cmd: string): Promise<number>;
}

async function startChild(kind: ChildKind, env: NodeJS.ProcessEnv): Promise<Child> {
  // BENCH_CPU_PROF=DIR: the server child writes a V8 CPU profile there when the bench ends.
  const prof = kind === 'app' && process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : [];
  const proc = spawn(process.execPath, ['--expose-gc', ...prof, __filename, 'serve', kind], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env });
  const info = await new Promise<Reply>((resolve, reject) => {
    proc.once('message', (m: Reply) => resolve(m));
    proc.once('exit', (code) => reject(new Error(`${kind} child exited with ${code}`)));
  });
  const ask = (cmd: string) =>
    new Promise<number>((resolve) => {
      const on = (m: Reply) => {
        if (m.cmd !== cmd) return;
        proc.off('message', on);
        resolve(Number(m.value));
      };
      proc.on('message', on);
      proc.send({ cmd });
    });
  return { kind, proc, port: Number(info.port), info, ask };
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

async function startRedis(): Promise<{ url: string; stop: () => void }> {
  if (process.env.BENCH_REDIS_URL) return { url: process.env.BENCH_REDIS_URL, stop: () => undefined };
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-redis-'));
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => 50, maxRetriesPerRequest: null });
  probe.on('error', () => undefined); // refused until the server listens
  await probe.connect().catch(() => undefined);
  await probe.ping();
  probe.disconnect();
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: () => {
      proc.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function createDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `concierge_bench_stream_${randomBytes(4).toString('hex')}`;
  const admin = new PgClient({ connectionString: `${PG_BASE}/postgres` });
  await admin.connect();
  await admin.query(`create database "${name}"`);
  const url = `${PG_BASE}/${name}`;
  const migrator = await MikroORM.init(ormOptions({ databaseUrl: url, dbPool: { min: 0, max: 1, idleTimeoutMillis: 1000, acquireTimeoutMillis: 5000 } }));
  await migrator.getMigrator().up();
  await migrator.close(true);
  return {
    url,
    drop: async () => {
      await admin.query(`drop database if exists "${name}" with (force)`);
      await admin.end();
    },
  };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function post(port: number, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: '/graphql', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), origin: ORIGIN } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function graphql<T>(port: number, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const res = await post(port, JSON.stringify({ query, variables }));
  const parsed = JSON.parse(res.body) as { data?: T; errors?: unknown[] };
  if (!parsed.data || parsed.errors) throw new Error(`graphql failed: ${res.body.slice(0, 300)}`);
  return parsed.data;
}

const START = 'mutation S($b: ID!) { startSession(businessId: $b) { id } }';
const SEND = 'mutation M($input: SendMessageInput!) { sendMessage(input: $input) { replyId } }';

async function startSession(app: Child): Promise<string> {
  return (await graphql<{ startSession: { id: string } }>(app.port, START, { b: app.info.businessId })).startSession.id;
}

async function sendMessage(app: Child, sessionId: string, text: string): Promise<string> {
  return (await graphql<{ sendMessage: { replyId: string } }>(app.port, SEND, { input: { sessionId, text } })).sendMessage.replyId;
}

function wsClient(port: number): WsClient {
  return createClient({
    url: `ws://127.0.0.1:${port}/graphql`,
    retryAttempts: 0,
    lazy: false,
    webSocketImpl: class extends WebSocket {
      constructor(address: string, protocols?: string | string[]) {
        super(address, protocols, { headers: { origin: ORIGIN } });
      }
    },
  });
}

interface ChunkShape {
  seq: number;
  delta: string;
  done: boolean;
  message: { text: string } | null;
  error: { code: string } | null;
}

/** Subscribes; resolves with the text when done. `onFirst` fires at the first non-empty delta. */
function follow(client: WsClient, replyId: string, onFirst?: () => void): Promise<{ text: string; at: number; final: ChunkShape }> {
  return new Promise((resolve, reject) => {
    let text = '';
    let first = true;
    let expected = 0;
    client.subscribe<{ replyStream: ChunkShape }>(
      { query: SUBSCRIPTION, variables: { replyId, fromSeq: 0 } },
      {
        next: (r) => {
          const c = r.data?.replyStream;
          if (!c) return reject(new Error(JSON.stringify(r.errors)));
          if (c.seq !== expected++) reject(new Error(`seq ${c.seq}, expected ${expected - 1}`));
          if (c.delta && first) {
            first = false;
            onFirst?.();
          }
          text += c.delta;
          if (c.done) resolve({ text, at: performance.now(), final: c });
        },
        error: (e) => reject(e instanceof Error ? e : new Error(JSON.stringify(e))),
        complete: () => undefined,
      },
    );
  });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const out = (line: unknown) => process.stdout.write(`${typeof line === 'string' ? line : JSON.stringify(line)}\n`);

// ---------------------------------------------------------------- scenarios

const WORDS = (n: number) => Array.from({ length: n }, (_, i) => `word${i} `);

/** The fake answers every stream request with `pieces` (one SSE event each), `gapMs` after each. */
function answerWith(fake: FakeGemini, pieces: string[], gapMs: number): void {
  const text = pieces.join(''); // the fake splits it back into the same words
  fake.reply = () => text;
  fake.chunkDelayMs = gapMs;
  fake.gate = null;
}

/**
 * Holds the fake's answer to `question` until `release()`; `arrived` resolves when that
 * request (not an earlier turn's) reached the fake.
 */
function holdReplyTo(fake: FakeGemini, question: string): { arrived: Promise<void>; release: () => void } {
  let release!: () => void;
  fake.gate = new Promise<void>((r) => (release = r));
  const arrived = new Promise<void>((r) => {
    fake.onStream = (q) => {
      if (q !== question) return;
      fake.onStream = null;
      r();
    };
  });
  return {
    arrived,
    release: () => {
      fake.gate = null;
      release();
    },
  };
}

async function fanoutOurs(app: Child, fake: FakeGemini, clients: WsClient[]): Promise<number> {
  const pieces = WORDS(FANOUT_PIECES);
  answerWith(fake, pieces, 0);
  // Nothing of an earlier scenario is still running in the server (see rpsOurs).
  await app.ask('idle');
  const question = `fan-out ${randomBytes(4).toString('hex')}`;
  const held = holdReplyTo(fake, question);
  const session = await startSession(app);
  const replyId = await sendMessage(app, session, question);
  const done = clients.map((c) => follow(c, replyId));
  await held.arrived;
  // Every subscription registered in the server before the first piece.
  while ((await app.ask('subs')) < clients.length) await sleep(5);
  await sleep(20);
  const t0 = performance.now();
  held.release();
  const results = await Promise.all(done);
  const expected = pieces.join('').trim();
  for (const r of results) if (r.text.trim() !== expected || r.final.message?.text !== expected) throw new Error('fan-out: text differs');
  return Math.max(...results.map((r) => r.at)) - t0;
}

async function fanoutRaw(raw: Child, sockets: WebSocket[]): Promise<number> {
  const done = sockets.map(
    (s) =>
      new Promise<number>((resolve) => {
        let text = '';
        const on = (data: WebSocket.RawData) => {
          const m = JSON.parse((data as Buffer).toString()) as { delta: string; done: boolean; text?: string };
          text += m.delta;
          if (m.done) {
            s.off('message', on);
            if (text !== m.text) throw new Error('raw: text differs');
            resolve(performance.now());
          }
        };
        s.on('message', on);
      }),
  );
  const t0 = performance.now();
  sockets[0].send(String(FANOUT_PIECES));
  return Math.max(...(await Promise.all(done))) - t0;
}

async function ttft(app: Child, fake: FakeGemini, clients: WsClient[], parallel: number, turnsEach: number): Promise<number[]> {
  answerWith(fake, WORDS(10), 5);
  await app.ask('idle');
  const samples: number[] = [];
  await Promise.all(
    Array.from({ length: parallel }, async (_, w) => {
      const session = await startSession(app);
      for (let t = 0; t < turnsEach; t++) {
        const question = `ttft ${w} ${t} ${randomBytes(4).toString('hex')}`;
        let firstAt = 0;
        const t0 = performance.now();
        const replyId = await sendMessage(app, session, question);
        await follow(clients[w % clients.length], replyId, () => (firstAt = performance.now()));
        const timing = fake.timingOf(question);
        if (!timing) throw new Error('ttft: the fake saw no request');
        samples.push(firstAt - t0 - (timing.firstPieceAt - timing.receivedAt));
      }
    }),
  );
  return samples;
}

async function heapOurs(app: Child, fake: FakeGemini): Promise<number> {
  answerWith(fake, ['held'], 0);
  await app.ask('idle');
  const question = `heap ${randomBytes(4).toString('hex')}`;
  const held = holdReplyTo(fake, question);
  const replyId = await sendMessage(app, await startSession(app), question);
  await held.arrived;
  const before = await app.ask('heap');
  const clients = Array.from({ length: HEAP_SOCKETS }, () => wsClient(app.port));
  const done = clients.map((c) => follow(c, replyId));
  while ((await app.ask('subs')) < HEAP_SOCKETS) await sleep(20);
  await sleep(200);
  const after = await app.ask('heap');
  held.release();
  await Promise.all(done);
  for (const c of clients) void c.dispose();
  return (after - before) / HEAP_SOCKETS;
}

async function heapRaw(raw: Child): Promise<number> {
  const before = await raw.ask('heap');
  const sockets = await Promise.all(
    Array.from({ length: HEAP_SOCKETS }, () => new Promise<WebSocket>((resolve) => {
      const s = new WebSocket(`ws://127.0.0.1:${raw.port}`);
      s.once('open', () => resolve(s));
    })),
  );
  await sleep(200);
  const after = await raw.ask('heap');
  for (const s of sockets) s.close();
  await sleep(100);
  return (after - before) / HEAP_SOCKETS;
}

/**
 * Requests per second of `body` against `port` from RPS_CONCURRENCY keep-alive workers over
 * RPS_MS; `settle` (ours) waits for the work the requests left running, and the rate counts
 * that time too.
 */
async function rps(port: number, body: (worker: number) => Promise<string>, settle?: () => Promise<unknown>): Promise<{ rate: number; answered: number }> {
  let requests = 0;
  let errors = 0;
  const start = performance.now();
  const end = start + RPS_MS;
  await Promise.all(
    Array.from({ length: RPS_CONCURRENCY }, async (_, w) => {
      while (performance.now() < end) {
        const res = await post(port, await body(w));
        if (res.status === 200 && !res.body.includes('"errors"')) requests++;
        else errors++;
      }
    }),
  );
  if (errors) out({ warning: 'requests failed', errors });
  const answered = requests / ((performance.now() - start) / 1000);
  await settle?.();
  return { rate: requests / ((performance.now() - start) / 1000), answered };
}

/**
 * Whole turns per second: sendMessage answers once the turn is stored and its reply started,
 * and the reply runs on in the server; the rate counts until every reply started has ended
 * (a server that accepts turns faster than it answers them builds a backlog: in an earlier
 * version of this bench that backlog ran into the next scenario and stalled it for seconds).
 */
async function rpsOurs(app: Child, fake: FakeGemini): Promise<{ rate: number; answered: number }> {
  answerWith(fake, ['Hello.'], 0);
  await app.ask('idle');
  // Fresh sessions, 8 turns each (below MAX_HISTORY_TURNS=10: no summary folds in the window).
  const sessions = await Promise.all(Array.from({ length: RPS_CONCURRENCY }, () => startSession(app)));
  const turns = new Array<number>(RPS_CONCURRENCY).fill(0);
  return rps(
    app.port,
    async (w) => {
      if (++turns[w] % 8 === 0) sessions[w] = await startSession(app);
      return JSON.stringify({ query: SEND, variables: { input: { sessionId: sessions[w], text: `rps ${w} ${turns[w]}` } } });
    },
    () => app.ask('idle'),
  );
}

async function rpsHello(hello: Child): Promise<{ rate: number; answered: number }> {
  const body = JSON.stringify({ query: '{ hello }' });
  return rps(hello.port, async () => body);
}

/** Redis commands of one 10-piece turn (5 ms gap) with one live subscriber. */
async function commandsPerTurn(app: Child, fake: FakeGemini, redisUrl: string, client: WsClient): Promise<{ sent: number; byCommand: Record<string, number>; commandstats: number }> {
  answerWith(fake, WORDS(10), 5);
  await app.ask('idle');
  const session = await startSession(app);
  await sleep(300);
  const admin = new Redis(redisUrl);
  const monitor = await admin.monitor();
  const byCommand: Record<string, number> = {};
  let sent = 0;
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    if (source.includes('lua')) return;
    const name = String(args[0]).toUpperCase();
    if (name === 'INFO') return;
    byCommand[name] = (byCommand[name] ?? 0) + 1;
    sent++;
  });
  const statsBefore = await commandstats(admin);
  await sleep(50);
  sent = 0;
  for (const k of Object.keys(byCommand)) delete byCommand[k];
  const replyId = await sendMessage(app, session, `commands ${randomBytes(4).toString('hex')}`);
  await follow(client, replyId);
  await sleep(300); // background work of the turn (none expected after done)
  const counted = sent;
  const counts = { ...byCommand };
  const statsAfter = await commandstats(admin);
  monitor.disconnect();
  admin.disconnect();
  // commandstats counts our own INFO calls too: one before is already in `statsBefore`.
  return { sent: counted, byCommand: counts, commandstats: statsAfter - statsBefore - 1 };
}

async function commandstats(redis: Redis): Promise<number> {
  const info = await redis.info('commandstats');
  let total = 0;
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) if (m[1] !== 'monitor') total += Number(m[2]);
  return total;
}

// ---------------------------------------------------------------- main

export async function runStreamBench(): Promise<void> {
  const fake = await FakeGemini.start();
  fake.recordRequests = false;
  const redis = await startRedis();
  const db = await createDatabase();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    DATABASE_URL: db.url,
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: 'bench:',
    ALLOWED_ORIGINS: ORIGIN,
    GEMINI_API_KEY: 'test', // what the fake accepts
    GEMINI_BASE_URL: fake.baseUrl,
    GEMINI_MODEL: 'fake-flash',
    RATE_LIMIT_CHAT: 'off',
    RATE_LIMIT_NAVIGATION: 'off',
    RATE_LIMIT_SESSION: 'off',
    WS_MAX_SOCKETS_PER_CLIENT: '10000',
    // The api as deployed: jobs and the conversation records' drain run in `npm run worker`,
    // which the bench does not start (with the inline driver the api would do the worker's
    // Postgres writes too, and they would land in every figure here).
    JOB_DRIVER: 'bullmq',
    LOG_LEVEL: 'error',
    WEB_CONCURRENCY: '1',
  };
  const children: Child[] = [];
  try {
    const [app, raw, hello] = await Promise.all([startChild('app', env), startChild('raw', env), startChild('hello', env)]);
    children.push(app, raw, hello);
    const appClients = await Promise.all(Array.from({ length: 100 }, async () => wsClient(app.port)));
    const rawGroup = (n: number) =>
      Promise.all(
        Array.from({ length: n }, () => new Promise<WebSocket>((resolve) => {
          const s = new WebSocket(`ws://127.0.0.1:${raw.port}/g${n}`);
          s.once('open', () => resolve(s));
        })),
      );
    const rawOne = await rawGroup(1);
    const rawSockets = await rawGroup(100);

    // Warm-up: JIT, connection pools, the business cache.
    await fanoutOurs(app, fake, appClients.slice(0, 1));
    await fanoutOurs(app, fake, appClients);
    await fanoutRaw(raw, rawOne);
    await fanoutRaw(raw, rawSockets);
    await ttft(app, fake, appClients, 4, 3);
    if (wanted('rps')) {
      await rpsHello(hello);
      await rpsOurs(app, fake);
    }

    const r: Record<string, number[]> = {};
    const add = (k: string, v: number) => (r[k] ??= []).push(v);
    const p95s: Record<string, number[]> = {};
    for (let round = 0; round < ROUNDS; round++) {
      if (wanted('fan1')) {
        add('fan1.ours', await fanoutOurs(app, fake, appClients.slice(0, 1)));
        add('fan1.raw', await fanoutRaw(raw, rawOne));
      }
      if (wanted('fan100')) {
        add('fan100.ours', await fanoutOurs(app, fake, appClients));
        add('fan100.raw', await fanoutRaw(raw, rawSockets));
      }
      if (wanted('ttft1')) {
        const serial = await ttft(app, fake, appClients, 1, TTFT_SERIAL_TURNS);
        add('ttft1.p50', pct(serial, 50));
        (p95s.ttft1 ??= []).push(pct(serial, 95));
      }
      if (wanted('ttft20')) {
        const parallel = await ttft(app, fake, appClients, TTFT_PARALLEL, TTFT_PARALLEL_TURNS);
        add('ttft20.p50', pct(parallel, 50));
        (p95s.ttft20 ??= []).push(pct(parallel, 95));
      }
      if (wanted('rps')) {
        const ours = await rpsOurs(app, fake);
        add('rps.ours', ours.rate);
        add('rps.oursAnswered', ours.answered);
        add('rps.hello', (await rpsHello(hello)).rate);
      }
      out({ round: round + 1, ...Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Math.round(v[v.length - 1] * 10) / 10])) });
    }
    for (const c of appClients) void c.dispose();
    for (const s of [...rawOne, ...rawSockets]) s.close();
    await sleep(300);
    if (wanted('heap')) {
      for (let round = 0; round < Math.min(ROUNDS, 3); round++) {
        add('heap.ours', await heapOurs(app, fake));
        add('heap.raw', await heapRaw(raw));
      }
    }
    const commands: Array<Awaited<ReturnType<typeof commandsPerTurn>>> = [];
    if (wanted('commands')) {
      const cmdClient = wsClient(app.port);
      for (let round = 0; round < 3; round++) commands.push(await commandsPerTurn(app, fake, redis.url, cmdClient));
      void cmdClient.dispose();
    }

    const m = (k: string) => median(r[k]);
    const ms = (x: number) => `${x.toFixed(1)} ms`;
    const kb = (x: number) => `${(x / 1024).toFixed(2)} KB`;
    const rows: Array<[string, string, string, boolean]> = [];
    const ratio = (a: number, b: number) => a / b;
    if (wanted('fan1')) {
      const f1 = ratio(m('fan1.raw'), m('fan1.ours'));
      rows.push(['200-piece reply to 1 subscriber, raw ws ÷ ours', `${ms(m('fan1.raw'))} vs ${ms(m('fan1.ours'))}: **${f1.toFixed(3)}**`, '≥ 0.25', f1 >= 0.25]);
    }
    if (wanted('fan100')) {
      const f100 = ratio(m('fan100.raw'), m('fan100.ours'));
      rows.push(['the same to 100 subscribers', `${ms(m('fan100.raw'))} vs ${ms(m('fan100.ours'))}: **${f100.toFixed(3)}**`, '≥ 0.45', f100 >= 0.45]);
    }
    if (wanted('ttft1')) {
      const t1p50 = m('ttft1.p50');
      const t1p95 = median(p95s.ttft1);
      rows.push(['server-added time to first token, 1 chat at a time', `p50 **${ms(t1p50)}**, p95 **${ms(t1p95)}**`, 'p50 ≤ 5 ms, p95 ≤ 15 ms', t1p50 <= 5 && t1p95 <= 15]);
    }
    if (wanted('ttft20')) {
      const t20p50 = m('ttft20.p50');
      const t20p95 = median(p95s.ttft20);
      rows.push([`the same, ${TTFT_PARALLEL} chats at once`, `p50 ${ms(t20p50)}, p95 **${ms(t20p95)}**`, 'p95 ≤ 40 ms', t20p95 <= 40]);
    }
    if (wanted('heap')) {
      const h = ratio(m('heap.ours'), m('heap.raw'));
      rows.push(['heap per WebSocket with one replyStream subscription ÷ raw idle ws socket', `${kb(m('heap.ours'))} vs ${kb(m('heap.raw'))}: **${h.toFixed(1)}×**`, '≤ 5×', h <= 5]);
    }
    if (wanted('rps')) {
      const q = ratio(m('rps.ours'), m('rps.hello'));
      rows.push([
        'sendMessage whole turns/s (until every reply ended) ÷ Apollo-on-Fastify { hello } req/s',
        `${Math.round(m('rps.ours'))} vs ${Math.round(m('rps.hello'))}: **${q.toFixed(3)}** (answered, replies still running: ${Math.round(m('rps.oursAnswered'))}/s)`,
        '≥ 0.15',
        q >= 0.15,
      ]);
    }
    if (wanted('commands')) {
      const sent = median(commands.map((c) => c.sent));
      const worst = commands.reduce((a, b) => (b.sent > a.sent ? b : a));
      const breakdown = Object.entries(worst.byCommand)
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `${v} ${k}`)
        .join(', ');
      rows.push(['Redis commands per turn of a 10-piece reply (sent; MONITOR)', `**${sent}** (${breakdown}); commandstats incl. inside scripts: ${median(commands.map((c) => c.commandstats))}`, '≤ 20', sent <= 20]);
    }

    out({ rounds: ROUNDS, medians: Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Math.round(median(v) * 100) / 100])), p95: Object.fromEntries(Object.entries(p95s).map(([k, v]) => [k, Math.round(median(v) * 100) / 100])), commands });
    out('');
    out('| what | measured | goal | met |');
    out('| --- | --- | --- | --- |');
    for (const [what, value, goal, met] of rows) out(`| ${what} | ${value} | ${goal} | ${met ? 'yes' : 'no'} |`);
  } finally {
    // Disconnected, a child exits on its own (and writes its CPU profile); killed after 5 s.
    await Promise.all(
      children.map(async (c) => {
        const exited = new Promise((r) => c.proc.once('exit', r));
        c.proc.disconnect();
        await Promise.race([exited, sleep(5_000)]);
        c.proc.kill('SIGKILL');
      }),
    );
    agent.destroy();
    await fake.close();
    await db.drop().catch(() => undefined);
    redis.stop();
  }
}

if (require.main === module) {
  const [mode, kind] = process.argv.slice(2);
  const run = mode === 'serve' ? (kind === 'app' ? serveApp() : kind === 'raw' ? serveRaw() : serveHello()) : runStreamBench();
  run.then(
    () => {
      if (mode !== 'serve') process.exit(0);
    },
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
