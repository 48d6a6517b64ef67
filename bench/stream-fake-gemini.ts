import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

/** What the fake measured for one streamGenerateContent request (performance.now() of this process). */
export interface FakeTiming {
  /** The text of the request's last user part (the bench makes every question unique). */
  question: string;
  receivedAt: number;
  firstPieceAt: number;
  lastPieceAt: number;
}

/**
 * The bench's Gemini: the real SSE wire of `:streamGenerateContent?alt=sse` (what the SDK
 * parses; the tests' fake in test/support/fake-gemini.ts speaks the same), with a fixed gap
 * between pieces (0: all pieces written in one go, no timer between them), an optional gate
 * that holds the first piece until the bench releases it, and its own timings per request, so
 * the model's share of a measured time can be subtracted. `:generateContent` (summaries)
 * answers at once.
 */
export class BenchGemini {
  readonly timings: FakeTiming[] = [];
  /** Pieces of the reply to the request with this question. */
  pieces: (question: string) => string[] = () => ['Hello.'];
  gapMs = 0;
  /** While set, stream requests wait for it before their first piece. */
  gate: Promise<void> | null = null;
  /** Resolves when a stream request arrives (set by the bench, cleared after one call). */
  onRequest: ((question: string) => void) | null = null;
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly server: Server) {}

  static async start(): Promise<BenchGemini> {
    const server = createServer();
    const fake = new BenchGemini(server);
    server.keepAliveTimeout = 60_000;
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

  get baseUrl(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  timingOf(question: string): FakeTiming | undefined {
    return this.timings.find((t) => t.question === question);
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const receivedAt = performance.now();
    if (!url.pathname.endsWith(':streamGenerateContent')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(candidate('A short summary of the earlier turns.', true)));
      return;
    }
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { contents: Array<{ role?: string; parts: Array<{ text?: string }> }> };
    const users = body.contents.filter((c) => c.role === 'user');
    const lastParts = users[users.length - 1]?.parts ?? [];
    const question = lastParts[lastParts.length - 1]?.text ?? '';
    const onRequest = this.onRequest;
    this.onRequest = null;
    onRequest?.(question);
    const pieces = this.pieces(question);
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    if (this.gate) await this.gate;
    const timing: FakeTiming = { question, receivedAt, firstPieceAt: performance.now(), lastPieceAt: 0 };
    for (let i = 0; i < pieces.length; i++) {
      if (i > 0 && this.gapMs > 0) await new Promise((r) => setTimeout(r, this.gapMs));
      res.write(`data: ${JSON.stringify(candidate(pieces[i], i === pieces.length - 1))}\r\n\r\n`);
    }
    timing.lastPieceAt = performance.now();
    this.timings.push(timing);
    res.end();
  }
}

function candidate(text: string, last: boolean): unknown {
  return {
    candidates: [{ content: { parts: [{ text }], role: 'model' }, index: 0, ...(last ? { finishReason: 'STOP' } : {}) }],
    usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 5, totalTokenCount: 15 },
    modelVersion: 'fake-flash',
  };
}
