import type { GoogleGenAI as GoogleGenAIClass } from '@google/genai' with { 'resolution-mode': 'import' };
import { LlmError, type TranscriptionRequest } from '../llm/llm.provider';
import type { Transcriber } from './voice.service';

// The SDK ships CommonJS for Node, but its types are declared as ESM: type-only import above,
// runtime require here.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { GoogleGenAI } = require('@google/genai') as { GoogleGenAI: typeof GoogleGenAIClass };

const INSTRUCTION =
  'Transcribe the speech in this audio verbatim, in the language spoken. Reply with the transcript only, ' +
  'no quotes or commentary. If there is no speech, reply with nothing.';

export interface GeminiTranscriberOptions {
  apiKey: string;
  model: string;
  baseUrl?: string;
  timeoutMs: number;
}

/**
 * Speech to text with Gemini: the WAV as an inline audio part of one generateContent call.
 * INTERIM — equivalent to the chat branch's `GeminiProvider.transcribe`; at the merge voice
 * takes the app's LlmProvider instead and this file goes.
 */
export class GeminiTranscriber implements Transcriber {
  readonly name = 'gemini';
  private readonly ai: GoogleGenAIClass;

  constructor(private readonly options: GeminiTranscriberOptions) {
    this.ai = new GoogleGenAI({ apiKey: options.apiKey, httpOptions: { baseUrl: options.baseUrl, timeout: options.timeoutMs } });
  }

  async transcribe(request: TranscriptionRequest): Promise<string> {
    try {
      const response = await this.ai.models.generateContent({
        model: this.options.model,
        contents: [
          {
            role: 'user',
            parts: [{ text: INSTRUCTION }, { inlineData: { mimeType: 'audio/wav', data: request.wav.toString('base64') } }],
          },
        ],
        config: { temperature: 0, abortSignal: request.signal },
      });
      return response.text ?? '';
    } catch (err) {
      if (request.signal?.aborted) throw new LlmError('aborted', 'transcription aborted', { cause: err });
      const status = (err as { status?: number }).status;
      const kind = status === 429 ? 'rate_limited' : typeof status === 'number' && status >= 500 ? 'server' : typeof status === 'number' ? 'client' : 'network';
      throw new LlmError(kind, `Gemini transcription failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }
}
