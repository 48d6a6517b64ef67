import { FakeGemini, isTranscription } from '../support/fake-gemini';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GeminiProvider } from '../../src/llm/gemini.provider';
import { GeminiStreamClient } from '../../src/llm/gemini.stream';
import { LlmError, type ReplyRequest } from '../../src/llm/llm.provider';
import { OfflineProvider } from '../../src/llm/offline.provider';
import { Metrics } from '../../src/observability/metrics';
import { createSilentLogger } from '../../src/observability/logger';

// Provider-level behaviour against the fake Gemini wire (the SDK underneath for summaries,
// classification and transcription; src/llm/gemini.stream.ts for reply streams).
let fake: FakeGemini;
const request: ReplyRequest = { systemInstruction: 'You are a test concierge.', passages: [], turns: [{ role: 'user', text: 'Hello?' }] };

async function drain(iterable: AsyncIterable<string>): Promise<string> {
  let out = '';
  for await (const d of iterable) out += d;
  return out;
}

function gemini(overrides: Partial<ConstructorParameters<typeof GeminiProvider>[0]> = {}): GeminiProvider {
  return new GeminiProvider({
    apiKey: 'test',
    model: 'fake-flash',
    baseUrl: fake.baseUrl,
    timeoutMs: 1000,
    maxRetries: 0,
    backoffMs: 10,
    metrics: new Metrics(),
    logger: createSilentLogger(),
    ...overrides,
  });
}

beforeAll(async () => {
  fake = await FakeGemini.start();
});
beforeEach(() => fake.reset());
afterAll(async () => {
  await fake?.close();
});

describe('GeminiProvider', () => {
  it('opens the circuit after failures and then fails fast without calling Gemini', async () => {
    const provider = gemini({ breaker: { volumeThreshold: 2, errorThresholdPercentage: 50, resetTimeoutMs: 60_000 } });
    try {
      fake.next('stream', '500', '500');
      await expect(drain(provider.streamReply(request))).rejects.toMatchObject({ kind: 'server' });
      await expect(drain(provider.streamReply(request))).rejects.toMatchObject({ kind: 'server' });
      expect(provider.circuitOpen).toBe(true);
      const before = fake.requests.length;
      await expect(drain(provider.streamReply(request))).rejects.toMatchObject({ kind: 'circuit_open' });
      expect(fake.requests.length).toBe(before);
    } finally {
      provider.close();
    }
  });

  it('does not retry after the first token: a mid-stream drop surfaces as an error', async () => {
    const provider = gemini({ maxRetries: 3 });
    try {
      fake.next('stream', 'drop');
      const seen: string[] = [];
      await expect(
        (async () => {
          for await (const d of provider.streamReply(request)) seen.push(d);
        })(),
      ).rejects.toBeInstanceOf(LlmError);
      expect(seen.join('')).toBe('Hello from ');
      expect(fake.of('stream')).toHaveLength(1);
    } finally {
      provider.close();
    }
  });

  it('transcribes by sending the WAV as an inline audio/wav part', async () => {
    const provider = gemini();
    try {
      fake.generated = () => 'what are your opening hours';
      const wav = Buffer.from('RIFF....WAVEfmt fake audio');
      expect(await provider.transcribe({ wav })).toBe('what are your opening hours');
      const parts = fake.of('generate')[0].body.contents[0].parts;
      expect(parts).toContainEqual({ inlineData: { mimeType: 'audio/wav', data: wav.toString('base64') } });
    } finally {
      provider.close();
    }
  });
});

describe('GeminiStreamClient (the reply stream wire)', () => {
  // A raw SSE server: how the events are cut into TCP writes and which line ends they use is
  // up to the test, unlike the fake, which always writes one event per write with CRLF.
  async function sseServer(writes: string[], status = 200): Promise<{ url: string; close: () => Promise<void>; bodies: string[] }> {
    const bodies: string[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        bodies.push(body);
        res.writeHead(status, { 'content-type': status === 200 ? 'text/event-stream' : 'application/json' });
        void (async () => {
          for (const w of writes) {
            res.write(w);
            await new Promise((r) => setTimeout(r, 5));
          }
          res.end();
        })();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    return { url: `http://127.0.0.1:${port}`, bodies, close: () => new Promise((r) => server.close(() => r())) };
  }
  const event = (text: string) => `data: ${JSON.stringify({ candidates: [{ content: { parts: [{ text }], role: 'model' }, index: 0 }] })}`;

  it('reads events split across writes, with LF or CRLF blank lines, and sends the SDK\'s body', async () => {
    const a = event('Hello');
    const b = event(' there');
    const c = event(', friend.');
    // event a cut in the middle; a and b end with LF LF, c with CRLF CRLF and no trailing blank line before the close
    const srv = await sseServer([a.slice(0, 20), `${a.slice(20)}\n\n${b.slice(0, 5)}`, `${b.slice(5)}\n\n`, c]);
    const client = new GeminiStreamClient('test', srv.url);
    try {
      const stream = await client.open('fake-flash', { contents: [{ role: 'user', parts: [{ text: 'Hi' }] }], systemInstruction: 'SYS', maxOutputTokens: 7 }, new AbortController().signal);
      let text = '';
      for await (const chunk of stream) text += chunk.candidates?.[0]?.content?.parts?.[0]?.text ?? '';
      expect(text).toBe('Hello there, friend.');
      expect(JSON.parse(srv.bodies[0])).toEqual({
        contents: [{ role: 'user', parts: [{ text: 'Hi' }] }],
        systemInstruction: { parts: [{ text: 'SYS' }], role: 'user' },
        generationConfig: { maxOutputTokens: 7 },
      });
    } finally {
      client.close();
      await srv.close();
    }
  });

  it('maps a refused request and an error inside the stream to LlmError kinds', async () => {
    const refused = await sseServer([JSON.stringify({ error: { code: 429, message: 'slow down' } })], 429);
    const broken = await sseServer([`${event('Hi')}\r\n\r\n`, `data: ${JSON.stringify({ error: { code: 503, message: 'overloaded' } })}\r\n\r\n`]);
    const a = new GeminiStreamClient('test', refused.url);
    const b = new GeminiStreamClient('test', broken.url);
    try {
      await expect(a.open('m', { contents: [] }, new AbortController().signal)).rejects.toMatchObject({ kind: 'rate_limited' });
      const stream = await b.open('m', { contents: [] }, new AbortController().signal);
      const first = await stream.next();
      expect(first.value?.candidates?.[0]?.content?.parts?.[0]?.text).toBe('Hi');
      await expect(stream.next()).rejects.toMatchObject({ kind: 'server' });
    } finally {
      a.close();
      b.close();
      await refused.close();
      await broken.close();
    }
  });
});

describe('OfflineProvider', () => {
  it('transcribes through an injected speech recogniser, else reports unavailable', async () => {
    await expect(new OfflineProvider().transcribe({ wav: Buffer.alloc(4) })).rejects.toMatchObject({ kind: 'unavailable' });
    const withRecognizer = new OfflineProvider({ recognize: async (wav) => `heard ${wav.length} bytes` });
    expect(await withRecognizer.transcribe({ wav: Buffer.alloc(4) })).toBe('heard 4 bytes');
  });

  it('answers from retrieved passages when the profile has nothing', async () => {
    const text = await drain(
      new OfflineProvider().streamReply({
        ...request,
        turns: [{ role: 'user', text: 'How long does implant surgery take?' }],
        passages: [{ documentId: 'd1', title: 'Implants', text: 'Implants need a consultation first. Implant surgery takes about an hour per implant.' }],
      }),
    );
    expect(text).toBe('Implant surgery takes about an hour per implant.');
  });
});

describe('conversation classification', () => {
  it('gemini: classify reads the JSON the model returns and maps unknown labels to other/NEUTRAL', async () => {
    const provider = gemini();
    try {
      fake.generated = () => '{"intent": "pricing", "sentiment": "NEGATIVE"}';
      await expect(provider.classify({ turns: [{ role: 'user', text: 'too expensive' }] })).resolves.toEqual({ intent: 'pricing', sentiment: 'NEGATIVE' });
      fake.generated = () => '{"intent": "weather", "sentiment": "meh"}';
      await expect(provider.classify({ turns: [{ role: 'user', text: 'hm' }] })).resolves.toEqual({ intent: 'other', sentiment: 'NEUTRAL' });
      expect(fake.of('generate').at(-1)!.body.contents[0].parts[0].text).toContain('Visitor: hm');
    } finally {
      fake.generated = (r) => (isTranscription(r) ? fake.transcript : 'FAKE SUMMARY of the earlier turns.');
      provider.close();
    }
  });
});
