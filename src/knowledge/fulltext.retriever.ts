import type { Knex } from '@mikro-orm/postgresql';
import { isUuid } from '../common/ids';
import type { Orm } from '../db/orm';
import type { Metrics } from '../observability/metrics';
import type { RetrieveOptions, RetrievedPassage, Retriever } from './retrieval';
import { NO_EXPANSION, withSynonyms, type QueryExpander } from './query-expansion';
import { RETRIEVAL_SQL } from './retrieval.sql';

export const MIN_SCORE = 0.3;
export const MAX_LIMIT = 20;
const MAX_QUERY_CHARS = 1000;
const SNIPPET_CHARS = 240;

/** A result row of {@link RETRIEVAL_SQL} (its columns are aliased to these names). */
export interface RetrievalRow {
  /** The chunk's id; null for FAQ and profile passages. */
  chunkId: string | null;
  documentId: string | null;
  faqIndex: number | null;
  /** A profile passage's field (hours, location, services, contact, description, goal). */
  profileField: string | null;
  title: string;
  text: string;
  category: string | null;
  sourceUrl: string | null;
  score: number;
}

/** The bindings of {@link RETRIEVAL_SQL}, in order; shared with the benchmark's raw run. */
export function retrievalBindings(options: RetrieveOptions, minScore = MIN_SCORE, expander: QueryExpander = NO_EXPANSION): unknown[] {
  const query = options.query.slice(0, MAX_QUERY_CHARS);
  const groups = JSON.stringify(withSynonyms(expander.expand(query), query, options.synonyms).map((g) => ({ w: g.word, x: g.related.join(' '), u: g.unmatchedWeight ?? 1 })));
  const limit = Math.max(1, Math.min(MAX_LIMIT, Math.floor(options.limit ?? 5)));
  const categories = JSON.stringify([...(options.categories ?? [])]);
  return [query, query, categories, groups, options.businessId, options.businessId, options.businessId, minScore, limit];
}

/** A short excerpt around the first word of the question found in the passage. */
export function snippetOf(text: string, query: string): string {
  const body = text.includes('\n') && !/[.!?]$/.test(text.split('\n')[0]) ? text.slice(text.indexOf('\n') + 1) : text;
  const words = query.toLowerCase().match(/[\p{L}\p{N}]{4,}/gu) ?? [];
  const lower = body.toLowerCase();
  let at = -1;
  for (const w of words) {
    const stem = w.slice(0, Math.max(4, w.length - 2));
    at = lower.indexOf(stem);
    if (at >= 0) break;
  }
  let start = at < 0 ? 0 : Math.max(0, at - 60);
  if (start > 0) {
    const space = body.indexOf(' ', start);
    start = space >= 0 && space < at ? space + 1 : start;
  }
  let snippet = body.slice(start, start + SNIPPET_CHARS);
  if (start + SNIPPET_CHARS < body.length) snippet = snippet.replace(/\s+\S*$/, '') + '…';
  return (start > 0 ? '…' : '') + snippet.replace(/\s+/g, ' ').trim();
}

export function toPassage(row: RetrievalRow, query: string, businessId: string): RetrievedPassage {
  return {
    documentId: row.documentId ?? (row.profileField ? `profile:${businessId}:${row.profileField}` : `faq:${businessId}:${row.faqIndex}`),
    title: row.title,
    text: row.text,
    snippet: snippetOf(row.text, query),
    score: Math.round(Number(row.score) * 10_000) / 10_000,
    category: row.category,
    sourceUrl: row.sourceUrl,
  };
}

/**
 * Postgres full-text retrieval for the chat turn and `searchKnowledge`: one SQL query on the
 * ORM's connection pool (no unit of work), the business's active generation only, its
 * enabled categories only (empty = all), its FAQs included. See {@link RETRIEVAL_SQL}.
 */
export class FullTextRetriever implements Retriever {
  private readonly knex: Knex;

  constructor(
    orm: Orm,
    private readonly metrics: Metrics,
    private readonly minScore = MIN_SCORE,
    private readonly expander: QueryExpander = NO_EXPANSION,
    private readonly sql: string = RETRIEVAL_SQL,
  ) {
    // knex sends the visitor's words as bound parameters; the ORM's execute() would inline them.
    this.knex = orm.em.getKnex();
  }

  async retrieve(options: RetrieveOptions): Promise<RetrievedPassage[]> {
    if (!isUuid(options.businessId) || !options.query.trim()) return [];
    const end = this.metrics.retrievalDuration.startTimer();
    try {
      return (await this.rows(options)).map((row) => toPassage(row, options.query, options.businessId));
    } finally {
      end();
    }
  }

  /** The query's rows, best first, those under the minimum score left out. */
  async rows(options: RetrieveOptions): Promise<RetrievalRow[]> {
    if (!isUuid(options.businessId) || !options.query.trim()) return [];
    const { rows } = await this.knex.raw<{ rows: RetrievalRow[] }>(this.sql, retrievalBindings(options, this.minScore, this.expander) as Knex.RawBinding[]);
    return rows;
  }
}
