import type * as GenAI from '@google/genai' with { 'resolution-mode': 'import' };

// The SDK's CommonJS build, its ESM types (as gemini.provider.ts).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { GoogleGenAI } = require('@google/genai') as typeof GenAI;

/** Turns texts into vectors; `kind` lets the model embed questions and passages for retrieval. */
export interface Embedder {
  /** Stored beside each vector: a vector of another model is not compared. */
  readonly model: string;
  embed(texts: readonly string[], kind: 'query' | 'document', signal?: AbortSignal): Promise<number[][]>;
}

/** Texts per batchEmbedContents request (the API's limit is 100). */
export const EMBED_BATCH = 100;

export interface GeminiEmbedderOptions {
  apiKey: string;
  model: string;
  baseUrl?: string;
  timeoutMs: number;
}

/**
 * Gemini embeddings through `@google/genai` (`models.embedContent` with several contents is one
 * `batchEmbedContents` request), in batches of {@link EMBED_BATCH}, each bounded by `timeoutMs`.
 * A failure (HTTP error, timeout) rejects; callers decide (the worker leaves the chunk without
 * a vector, the chat turn ranks without vectors).
 */
export class GeminiEmbedder implements Embedder {
  readonly model: string;
  private readonly ai: GenAI.GoogleGenAI;

  constructor(private readonly options: GeminiEmbedderOptions) {
    this.model = options.model;
    this.ai = new GoogleGenAI({ apiKey: options.apiKey, httpOptions: options.baseUrl ? { baseUrl: options.baseUrl } : undefined });
  }

  async embed(texts: readonly string[], kind: 'query' | 'document', signal?: AbortSignal): Promise<number[][]> {
    const out: number[][] = [];
    for (let i = 0; i < texts.length; i += EMBED_BATCH) {
      const batch = texts.slice(i, i + EMBED_BATCH);
      const timeout = AbortSignal.timeout(this.options.timeoutMs);
      const res = await this.ai.models.embedContent({
        model: this.model,
        contents: batch.map((text) => ({ role: 'user', parts: [{ text }] })),
        config: { taskType: kind === 'query' ? 'RETRIEVAL_QUERY' : 'RETRIEVAL_DOCUMENT', abortSignal: signal ? AbortSignal.any([signal, timeout]) : timeout },
      });
      const vectors = (res.embeddings ?? []).map((e) => e.values ?? []);
      if (vectors.length !== batch.length || vectors.some((v) => v.length === 0)) throw new Error(`embedContent answered ${vectors.length} vectors for ${batch.length} texts`);
      out.push(...vectors);
    }
    return out;
  }
}
