import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

const EMBED_DIMS = 64;
/** Dimensions 0..MEANING_DIMS-1 belong to `FakeGemini.meanings` groups. */
const MEANING_DIMS = 16;
/** A meaning word counts this many plain words (a passage is about its meaning more than its other words). */
const MEANING_WEIGHT = 4;
const EMBED_STOP = new Set('a an the is are do does you your i my me we our it of to in on at for and or can what how is there any with'.split(' '));

/** How the fake answers the next request of a kind. */
export type FakeMode = 'ok' | '429' | '500' | 'hang' | 'drop';
export type EndpointKind = 'stream' | 'generate' | 'embed';

/** One embedding request as it arrived (`:embedContent` or `:batchEmbedContents`). */
export interface EmbedRequest {
  model: string;
  path: string;
  taskType: string | undefined;
  texts: string[];
}

/** What the fake measured for one stream request (performance.now() of its process). */
export interface FakeTiming {
  /** The text of the request's last user turn. */
  question: string;
  /** The request's body was read. */
  receivedAt: number;
  /** The first piece was written (after the gate, if any). */
  firstPieceAt: number;
  lastPieceAt: number;
}

export interface RecordedRequest {
  kind: EndpointKind;
  model: string;
  path: string;
  apiKey: string | undefined;
  body: {
    contents: Array<{ role?: string; parts: FakePart[] }>;
    systemInstruction?: { parts: Array<{ text?: string }> };
    tools?: Array<{ functionDeclarations?: Array<{ name: string; description?: string; parameters?: unknown }> }>;
    generationConfig?: { responseMimeType?: string; responseSchema?: { properties?: Record<string, { enum?: string[] }> }; maxOutputTokens?: number };
  };
}

/** A part of a request's contents as it arrives on the wire. */
export interface FakePart {
  text?: string;
  inlineData?: { mimeType: string; data: string };
  functionCall?: { id?: string; name: string; args?: Record<string, unknown> };
  functionResponse?: { id?: string; name: string; response: Record<string, unknown> };
}

/** A function call the fake streams back (a `functionCall` part of a model candidate). */
export interface FakeFunctionCall {
  name: string;
  args: Record<string, unknown>;
}

/**
 * A local Gemini API speaking the real wire: `POST /v1beta/models/{model}:streamGenerateContent?alt=sse`
 * (SSE `data:` lines, no [DONE]) and `:generateContent` (JSON), key in `x-goog-api-key`.
 * Each request kind can be switched, request by request, to 429, 500, a hang or a drop in
 * the middle of the stream. Every request body is recorded, so tests can assert what went
 * into `systemInstruction` and what into `contents`.
 *
 * The stream benchmark (`npm run bench -- stream`) uses the same server: `gate` holds replies
 * before their first piece, `onStream` tells when a request arrived, and `timingOf` gives the
 * fake's own time per request, so the model's share of a measured time can be subtracted.
 */
export class FakeGemini {
  readonly requests: RecordedRequest[] = [];
  /** The reply text for a stream request. */
  reply: (request: RecordedRequest) => string = () => 'Hello from the fake Gemini. How can I help?';
  /** What a transcription request (generateContent with an inline audio part) answers. */
  transcript = 'What are your opening hours?';
  /**
   * What a structured request (generateContent asking for `application/json` with a response
   * schema: GeminiProvider.classify) answers, as the model would: JSON text of the schema's shape.
   */
  classification: (request: RecordedRequest) => Record<string, unknown> = () => ({ intent: 'other', sentiment: 'NEUTRAL' });
  /** The text for a generateContent request: the transcript for audio, JSON for a structured request, else a summary. */
  generated: (request: RecordedRequest) => string = (request) =>
    isTranscription(request) ? this.transcript : isStructured(request) ? JSON.stringify(this.classification(request)) : 'FAKE SUMMARY of the earlier turns.';
  /**
   * Function calls to answer a stream request with instead of text (one chunk of `functionCall`
   * parts, as Gemini sends them); null or [] answers with `reply`. Optional `textFirst`: stream
   * this text before the calls (the model speaking, then calling).
   */
  functionCalls: (request: RecordedRequest) => FakeFunctionCall[] | null = () => null;
  textBeforeCalls: (request: RecordedRequest) => string | null = () => null;
  /** Delay between streamed chunks (0: every chunk written at once, in one go). */
  chunkDelayMs = 5;
  /**
   * Awaited before text chunk `index` of a stream request is written: a test holds a reply at a
   * point (e.g. before the first token) until it has seen what the client shows there.
   */
  beforeChunk: (index: number, request: RecordedRequest) => Promise<void> | void = () => undefined;
  /** While set, stream requests wait for it before their first piece. */
  gate: Promise<void> | null = null;
  /** Called when a stream request arrives, with the text of its last user turn. */
  onStream: ((question: string) => void) | null = null;
  /** False: request bodies are not kept in `requests` nor `embedRequests` (a benchmark sends thousands). */
  recordRequests = true;
  private readonly timings = new Map<string, FakeTiming>();
  private readonly queues: Record<EndpointKind, FakeMode[]> = { stream: [], generate: [], embed: [] };
  /** Every embedding request, in order. */
  readonly embedRequests: EmbedRequest[] = [];
  /**
   * Groups of words the fake's embeddings treat as one meaning: words of a group share a
   * dimension, every other word (lower-cased, a plural "s" dropped) gets its own by hash. So
   * a test can make a question and a passage that share no word close in vector space.
   */
  meanings: string[][] = [];
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly server: Server) {}

  static async start(): Promise<FakeGemini> {
    const server = createServer();
    const fake = new FakeGemini(server);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      fake.handle(req, res).catch(() => res.destroy());
    });
    server.on('connection', (socket: Socket) => {
      fake.sockets.add(socket);
      socket.once('close', () => fake.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  /** For GEMINI_BASE_URL. */
  get baseUrl(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The next requests of `kind` get these modes, in order; after them, `ok`. */
  next(kind: EndpointKind, ...modes: FakeMode[]): void {
    this.queues[kind].push(...modes);
  }

  of(kind: EndpointKind): RecordedRequest[] {
    return this.requests.filter((r) => r.kind === kind);
  }

  /** The timing of the last stream request whose last user turn was `question`. */
  timingOf(question: string): FakeTiming | undefined {
    return this.timings.get(question);
  }

  reset(): void {
    this.timings.clear();
    this.requests.length = 0;
    this.queues.stream.length = 0;
    this.queues.generate.length = 0;
    this.queues.embed.length = 0;
    this.embedRequests.length = 0;
  }

  /** The fake's deterministic embedding of a text (unit length, 64 dimensions). */
  vectorOf(text: string): number[] {
    const v = new Array<number>(EMBED_DIMS).fill(0);
    for (const raw of text.toLowerCase().match(/[a-z0-9]+/g) ?? []) {
      const word = raw.length > 3 ? raw.replace(/s$/, '') : raw;
      if (EMBED_STOP.has(word)) continue;
      const group = this.meanings.findIndex((g) => g.some((m) => m === word || m === raw));
      let dim = group;
      if (group < 0) {
        let h = 0;
        for (const ch of word) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
        dim = MEANING_DIMS + (h % (EMBED_DIMS - MEANING_DIMS));
      }
      v[dim] += group >= 0 ? MEANING_WEIGHT : 1;
    }
    const norm = Math.hypot(...v) || 1;
    return v.map((x) => x / norm);
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const m = /^\/v1beta\/models\/([^:]+):(streamGenerateContent|generateContent|embedContent|batchEmbedContents)$/.exec(url.pathname);
    if (req.method !== 'POST' || !m) {
      res.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const receivedAt = performance.now();
    if (m[2] === 'embedContent' || m[2] === 'batchEmbedContents') return this.embed(req, res, m[1], m[2], `${url.pathname}${url.search}`, Buffer.concat(chunks).toString('utf8'));
    const kind: EndpointKind = m[2] === 'streamGenerateContent' ? 'stream' : 'generate';
    const recorded: RecordedRequest = {
      kind,
      model: m[1],
      path: `${url.pathname}${url.search}`,
      apiKey: req.headers['x-goog-api-key'] as string | undefined,
      body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as RecordedRequest['body'],
    };
    if (this.recordRequests) this.requests.push(recorded);
    if (recorded.apiKey !== 'test') return this.error(res, 400, 'API key not valid', 'INVALID_ARGUMENT');
    const mode = this.queues[kind].shift() ?? 'ok';
    if (mode === 'hang') return; // never answers; the socket is destroyed on close
    if (mode === '429') return this.error(res, 429, 'Resource has been exhausted', 'RESOURCE_EXHAUSTED');
    if (mode === '500') return this.error(res, 500, 'Internal error', 'INTERNAL');

    if (kind === 'generate') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(candidate(this.generated(recorded), true)));
      return;
    }
    if (url.searchParams.get('alt') !== 'sse') return this.error(res, 400, 'alt=sse expected', 'INVALID_ARGUMENT');
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const question = lastUserText(recorded);
    this.onStream?.(question);
    if (this.gate) await this.gate;
    const timing: FakeTiming = { question, receivedAt, firstPieceAt: performance.now(), lastPieceAt: 0 };
    this.timings.set(question, timing);
    const calls = this.functionCalls(recorded);
    if (calls?.length) {
      const before = this.textBeforeCalls(recorded);
      if (before) res.write(`data: ${JSON.stringify(candidate(before, false))}\r\n\r\n`);
      const parts = calls.map((c, i) => ({ functionCall: { id: `call-${this.requests.length}-${i}`, name: c.name, args: c.args } }));
      res.write(`data: ${JSON.stringify(candidateParts(parts, true))}\r\n\r\n`);
      res.end();
      return;
    }
    const words = this.reply(recorded).match(/\S+\s*/g) ?? [];
    for (let i = 0; i < words.length; i++) {
      if (mode === 'drop' && i === 2) {
        res.socket?.destroy();
        return;
      }
      await this.beforeChunk(i, recorded);
      if (res.destroyed) return;
      res.write(`data: ${JSON.stringify(candidate(words[i], i === words.length - 1))}\r\n\r\n`);
      if (i === words.length - 1) timing.lastPieceAt = performance.now();
      if (this.chunkDelayMs > 0) await new Promise((r) => setTimeout(r, this.chunkDelayMs));
    }
    res.end();
  }

  private embed(req: IncomingMessage, res: ServerResponse, model: string, method: string, path: string, raw: string): void {
    type EmbedBody = { content?: { parts: Array<{ text?: string }> }; taskType?: string };
    const body = JSON.parse(raw) as EmbedBody & { requests?: EmbedBody[] };
    const items = method === 'batchEmbedContents' ? (body.requests ?? []) : [body];
    const texts = items.map((r) => (r.content?.parts ?? []).map((p) => p.text ?? '').join(''));
    if (this.recordRequests) this.embedRequests.push({ model, path, taskType: items[0]?.taskType, texts });
    if (req.headers['x-goog-api-key'] !== 'test') return this.error(res, 400, 'API key not valid', 'INVALID_ARGUMENT');
    const mode = this.queues.embed.shift() ?? 'ok';
    if (mode === 'hang') return;
    if (mode === '429') return this.error(res, 429, 'Resource has been exhausted', 'RESOURCE_EXHAUSTED');
    if (mode === '500' || mode === 'drop') return this.error(res, 500, 'Internal error', 'INTERNAL');
    res.writeHead(200, { 'content-type': 'application/json' });
    const vectors = texts.map((t) => ({ values: this.vectorOf(t) }));
    res.end(JSON.stringify(method === 'batchEmbedContents' ? { embeddings: vectors } : { embedding: vectors[0] }));
  }

  private error(res: ServerResponse, status: number, message: string, reason: string): void {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { code: status, message, status: reason } }));
  }
}

/** A generateContent request carrying audio (what GeminiProvider.transcribe sends). */
export function isTranscription(request: RecordedRequest): boolean {
  return request.body.contents.some((c) => c.parts.some((p) => p.inlineData?.mimeType.startsWith('audio/')));
}

/** A generateContent request constrained to JSON by a response schema (what GeminiProvider.classify sends). */
export function isStructured(request: RecordedRequest): boolean {
  return request.body.generationConfig?.responseMimeType === 'application/json' && !!request.body.generationConfig.responseSchema;
}

/** The audio of a transcription request, decoded. */
export function inlineAudio(request: RecordedRequest): { mimeType: string; bytes: Buffer } | null {
  for (const c of request.body.contents)
    for (const p of c.parts) if (p.inlineData?.mimeType.startsWith('audio/')) return { mimeType: p.inlineData.mimeType, bytes: Buffer.from(p.inlineData.data, 'base64') };
  return null;
}

/** The function responses in the request's last user turn (what the server answered the fake's calls with). */
export function functionResponses(request: RecordedRequest): Array<{ name: string; response: Record<string, unknown> }> {
  const last = request.body.contents[request.body.contents.length - 1];
  return (last?.parts ?? []).filter((p) => p.functionResponse).map((p) => p.functionResponse!);
}

/** The text of the request's last user turn ('' when it carries function responses only). */
export function lastUserText(request: RecordedRequest): string {
  const last = request.body.contents[request.body.contents.length - 1];
  return last?.role === 'user' ? last.parts.map((p) => p.text ?? '').join('') : '';
}

function candidate(text: string, last: boolean): unknown {
  return candidateParts([{ text }], last);
}

function candidateParts(parts: unknown[], last: boolean): unknown {
  return {
    candidates: [{ content: { parts, role: 'model' }, index: 0, ...(last ? { finishReason: 'STOP' } : {}) }],
    usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 5, totalTokenCount: 15 },
    modelVersion: 'fake-flash',
  };
}
