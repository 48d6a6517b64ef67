import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A minimal fake of Gemini's generateContent wire (STACK-NOTES.md) for voice transcription:
 * records each request and answers with `transcript`. The chat branch has the full fake
 * (test/support/fake-gemini.ts); this one exists so voice can be tested before the merge.
 */
export interface FakeGeminiAudio {
  baseUrl: string;
  requests: Array<{ path: string; apiKey: string | undefined; body: GenerateContentBody }>;
  /** What the next calls answer; a number answers with that HTTP status instead. */
  reply: string | number;
  close(): Promise<void>;
}

export interface GenerateContentBody {
  contents: Array<{ role?: string; parts: Array<{ text?: string; inlineData?: { mimeType: string; data: string } }> }>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startFakeGeminiAudio(transcript: string): Promise<FakeGeminiAudio> {
  const fake: Omit<FakeGeminiAudio, 'baseUrl' | 'close'> = { requests: [], reply: transcript };
  const server: Server = createServer((req, res) => {
    readBody(req)
      .then((raw) => {
        const apiKey = req.headers['x-goog-api-key'];
        fake.requests.push({ path: req.url ?? '', apiKey: typeof apiKey === 'string' ? apiKey : undefined, body: JSON.parse(raw) as GenerateContentBody });
        if (typeof fake.reply === 'number') {
          res.writeHead(fake.reply, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { code: fake.reply, message: 'fake failure', status: 'UNAVAILABLE' } }));
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            candidates: [{ content: { parts: [{ text: fake.reply }], role: 'model' }, index: 0, finishReason: 'STOP' }],
            modelVersion: 'fake',
          }),
        );
      })
      .catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(fake, {
    baseUrl: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
