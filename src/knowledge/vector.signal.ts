import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Embedder } from '../llm/gemini.embedder';
import type { PoolPassage, RankingSignal } from './fused.retriever';

/** Cosine similarity a passage needs to be a vector hit (gemini-embedding-001 puts unrelated short texts below it). */
export const VECTOR_MIN_SCORE = 0.6;
/** Passages without a stored vector (profile, FAQs) embedded in one turn at most. */
const MAX_EMBED_PER_TURN = 100;

export function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return na && nb ? dot / Math.sqrt(na * nb) : 0;
}

/**
 * Semantic retrieval: the question's embedding against each passage's, by cosine, in the api
 * over the business's pool (`POOL_SQL`, ≤ 400 chunks; Postgres 15 here has no pgvector, see
 * docs/answers.md for that option). Chunks carry the vector the worker stored
 * (`ChunkEmbeddings`); profile and FAQ passages, built from the business row at query time,
 * are embedded on first use and kept in an LRU by text. A vector of another model is ignored.
 * Failure: if Gemini fails the signal throws and `FusedRetriever` ranks without it.
 */
export class VectorSignal implements RankingSignal {
  readonly name = 'vectors';
  private readonly cache = new LRUCache<string, number[]>({ max: 5_000 });

  constructor(
    private readonly embedder: Embedder,
    private readonly min = VECTOR_MIN_SCORE,
  ) {}

  async rank(question: string, passages: Promise<readonly PoolPassage[]>): Promise<Array<number | null>> {
    const key = (text: string) => `${this.embedder.model}\u0000${createHash('sha1').update(text).digest('base64url')}`;
    // The question's embedding needs no pool: it starts now, beside the pool read (a Gemini
    // round trip that would otherwise follow the Postgres one on every turn).
    const asked = this.embedder.embed([question], 'query');
    const [pool] = await Promise.all([passages, asked.catch(() => undefined)]);
    const missing = [...new Set(pool.filter((p) => !this.stored(p) && !this.cache.has(key(p.text))).map((p) => p.text))].slice(0, MAX_EMBED_PER_TURN);
    const [[q], vectors] = await Promise.all([asked, missing.length ? this.embedder.embed(missing, 'document') : Promise.resolve([])]);
    missing.forEach((text, i) => this.cache.set(key(text), vectors[i]));
    return pool.map((p) => {
      const v = this.stored(p) ? p.embedding : this.cache.get(key(p.text));
      if (!v) return null;
      const s = cosine(q, v);
      return s >= this.min ? s : null;
    });
  }

  private stored(p: PoolPassage): p is PoolPassage & { embedding: number[] } {
    return Array.isArray(p.embedding) && p.embedding.length > 0 && p.embeddingModel === this.embedder.model;
  }
}
