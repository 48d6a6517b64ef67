import type * as GenAI from '@google/genai' with { 'resolution-mode': 'import' };
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { LlmError } from './llm.provider';

/** The default Gemini API host (the SDK's). */
export const GEMINI_DEFAULT_BASE_URL = 'https://generativelanguage.googleapis.com';

/** What a reply's `:streamGenerateContent` request carries (the REST field names). */
export interface StreamRequestBody {
  contents: GenAI.Content[];
  systemInstruction?: string;
  tools?: GenAI.Tool[];
  maxOutputTokens?: number;
}

/**
 * Gemini's `models/{model}:streamGenerateContent?alt=sse` over node's own HTTP client with a
 * kept-alive agent, for the reply path only (summaries, classification and transcription stay
 * on `@google/genai`, where a few ms do not matter).
 *
 * Why not the SDK here (issue 15, docs/streaming.md): its stream goes through `fetch`'s web
 * streams and converts every chunk field by field; measured on loopback against the fake, a
 * 200-piece reply took 50–96 ms through the SDK and 5–8 ms this way, and its first piece 10–22 ms
 * against 2.5–5 ms. The wire is the same (the body the SDK builds: `contents`,
 * `systemInstruction` as a user content, `tools`, `generationConfig.maxOutputTokens`; the key in
 * `x-goog-api-key`), and chunks are the API's JSON as it arrives, which is what the SDK hands
 * back for the fields read here (candidates[0].content.parts).
 *
 * Failures: a non-2xx answer rejects the open with an {@link LlmError} of the kind the SDK's
 * `ApiError` would map to (429 rate_limited, 5xx server, else client); a socket error or a
 * response cut mid-stream is `network`; an `error` object inside the stream is `server`; the
 * caller's abort (its deadline) destroys the request and rejects with an `AbortError`.
 */
export class GeminiStreamClient {
  private readonly base: URL;
  private readonly agent: http.Agent;
  private readonly request: typeof http.request;

  constructor(
    private readonly apiKey: string,
    baseUrl: string = GEMINI_DEFAULT_BASE_URL,
  ) {
    this.base = new URL(baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
    const secure = this.base.protocol === 'https:';
    this.agent = secure ? new https.Agent({ keepAlive: true, keepAliveMsecs: 30_000 }) : new http.Agent({ keepAlive: true, keepAliveMsecs: 30_000 });
    this.request = secure ? https.request : http.request;
  }

  /** Resolves with the stream's chunks once the answer's headers arrived with a 2xx status. */
  open(model: string, body: StreamRequestBody, signal: AbortSignal): Promise<AsyncGenerator<GenAI.GenerateContentResponse>> {
    const url = new URL(`v1beta/models/${encodeURIComponent(model)}:streamGenerateContent?alt=sse`, this.base);
    const payload = JSON.stringify({
      contents: body.contents,
      ...(body.systemInstruction !== undefined ? { systemInstruction: { parts: [{ text: body.systemInstruction }], role: 'user' } } : {}),
      ...(body.tools ? { tools: body.tools } : {}),
      ...(body.maxOutputTokens !== undefined ? { generationConfig: { maxOutputTokens: body.maxOutputTokens } } : {}),
    });
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(abortError());
      const req = this.request(url, {
        method: 'POST',
        agent: this.agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
          'x-goog-api-key': this.apiKey,
          'x-goog-api-client': 'warmprospect-concierge',
        },
      });
      const onAbort = () => {
        req.destroy(abortError());
      };
      signal.addEventListener('abort', onAbort, { once: true });
      req.once('socket', (socket) => socket.setNoDelay(true));
      req.on('error', (err) => {
        signal.removeEventListener('abort', onAbort);
        reject(signal.aborted ? abortError() : err);
      });
      req.once('response', (res) => {
        // The iteration sees a broken response through its own listener; this one keeps an
        // error before (or after) the iteration from being an uncaught exception.
        res.on('error', () => undefined);
        const status = res.statusCode ?? 0;
        if (status < 200 || status >= 300) {
          void readAll(res).then((text) => {
            signal.removeEventListener('abort', onAbort);
            reject(httpError(status, text));
          }, reject);
          return;
        }
        resolve(events(res, signal, () => signal.removeEventListener('abort', onAbort)));
      });
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

function abortError(): Error {
  const err = new Error('The Gemini request was aborted');
  err.name = 'AbortError';
  return err;
}

/** The kind the SDK's ApiError maps to (gemini.provider.ts classifyGeminiError), with the API's message. */
function httpError(status: number, text: string): LlmError {
  let message = text.slice(0, 300);
  try {
    message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? message;
  } catch {
    // not JSON: keep the text
  }
  const kind = status === 429 ? 'rate_limited' : status >= 500 ? 'server' : 'client';
  return new LlmError(kind, `Gemini answered ${status}: ${message}`);
}

async function readAll(res: IncomingMessage): Promise<string> {
  res.setEncoding('utf8');
  let text = '';
  for await (const chunk of res) text += chunk as string;
  return text;
}

/**
 * The SSE events of `res` as parsed JSON: events end at a blank line (`\n\n` or `\r\n\r\n`),
 * their `data:` lines are joined. A return (the consumer stopped) destroys the response.
 */
async function* events(res: IncomingMessage, signal: AbortSignal, done: () => void): AsyncGenerator<GenAI.GenerateContentResponse> {
  res.setEncoding('utf8');
  let buffer = '';
  let ended = false;
  try {
    for await (const piece of res) {
      buffer += piece as string;
      for (;;) {
        const boundary = /\r?\n\r?\n/.exec(buffer);
        if (!boundary) break;
        const event = buffer.slice(0, boundary.index);
        buffer = buffer.slice(boundary.index + boundary[0].length);
        const chunk = parseEvent(event);
        if (chunk) yield chunk;
      }
    }
    ended = true;
    const last = parseEvent(buffer);
    if (last) yield last;
  } catch (err) {
    if (signal.aborted) throw abortError();
    if (err instanceof LlmError) throw err;
    throw new LlmError('network', 'The Gemini stream broke off', { cause: err });
  } finally {
    done();
    if (!ended) res.destroy();
  }
  // A response that ended without its last chunk having a finish reason is still complete
  // (Gemini closes the stream after it); a socket that broke mid-way raised above.
}

function parseEvent(event: string): GenAI.GenerateContentResponse | null {
  let data = '';
  for (const line of event.split(/\r?\n/)) {
    if (line.startsWith('data:')) data += line.slice(line[5] === ' ' ? 6 : 5);
  }
  if (!data.trim()) return null;
  let chunk: GenAI.GenerateContentResponse & { error?: { code?: number; message?: string } };
  try {
    chunk = JSON.parse(data) as typeof chunk;
  } catch (err) {
    throw new LlmError('server', 'Gemini sent a stream event that is not JSON', { cause: err });
  }
  if (chunk.error) {
    const code = Number(chunk.error.code ?? 500);
    throw new LlmError(code === 429 ? 'rate_limited' : code >= 500 ? 'server' : 'client', `Gemini stream error ${code}: ${chunk.error.message ?? ''}`);
  }
  return chunk;
}
