import { FakeGemini, isTranscription } from '../support/fake-gemini';
import { GeminiProvider } from '../../src/llm/gemini.provider';
import { LlmError, type ReplyRequest } from '../../src/llm/llm.provider';
import { OfflineProvider } from '../../src/llm/offline.provider';
import { Metrics } from '../../src/observability/metrics';
import { createSilentLogger } from '../../src/observability/logger';

// Provider-level behaviour against the fake Gemini wire (the real SDK underneath).
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
