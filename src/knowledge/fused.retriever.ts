import type { Knex } from '@mikro-orm/postgresql';
import { isUuid } from '../common/ids';
import type { Orm } from '../db/orm';
import type { Metrics } from '../observability/metrics';
import type { ConceptIndex } from './concepts';
import { MAX_LIMIT, toPassage, type FullTextRetriever, type RetrievalRow } from './fulltext.retriever';
import type { RetrieveOptions, RetrievedPassage, Retriever } from './retrieval';
import { POOL_SQL } from './retrieval.sql';

/** A passage of the business's pool (`POOL_SQL`): a retrieval row, with its stored embedding if any. */
export interface PoolPassage extends Omit<RetrievalRow, 'score'> {
  embedding: number[] | null;
  embeddingModel: string | null;
}

/**
 * One ranking of the pool besides full text. `rank` gives each passage a score (higher is
 * better) or null when the passage does not pass the signal's own bar; a signal that cannot
 * run (its service down) throws and the turn is ranked without it. The pool comes as a promise
 * (its read is in flight) so a signal starts what needs only the question — the question's
 * embedding — beside the read instead of after it.
 */
export interface RankingSignal {
  readonly name: string;
  rank(question: string, pool: Promise<readonly PoolPassage[]>): Promise<Array<number | null>>;
}

/**
 * WordNet concept coverage (`concepts.ts`). The question is this signal's to answer when its
 * best passage covers at least `min`; its hits are then the passages covering at least
 * `relative` × the best one's coverage (a paraphrase's answer is often not the best-covering
 * passage, but is close to it).
 */
export class ConceptSignal implements RankingSignal {
  readonly name = 'concepts';

  constructor(
    private readonly concepts: ConceptIndex,
    private readonly min: number,
    private readonly relative = 0.5,
  ) {}

  async rank(question: string, pool: Promise<readonly PoolPassage[]>): Promise<Array<number | null>> {
    const scores = this.concepts.score(
      question,
      (await pool).map((p) => ({ key: p.chunkId ?? `${p.faqIndex ?? p.profileField}\u0000${p.text}`, text: p.text })),
    );
    const best = Math.max(0, ...scores);
    if (best < this.min) return scores.map(() => null);
    return scores.map((s) => (s > 0 && s >= best * this.relative ? s : null));
  }
}

/** Reciprocal rank fusion's constant (Cormack et al. 2009): a rank r counts 1 / (K + r). */
export const RRF_K = 60;
/** How many hits of each ranking take part in the fusion. */
const PER_RANKING = MAX_LIMIT;

interface Logger {
  warn(message: string, meta?: object): void;
}

/**
 * Full text fused with meaning-based signals by reciprocal rank fusion: each ranking (the
 * full-text query's rows over its minimum score; each signal's hits over its own bar, best
 * first) gives a passage 1 / (RRF_K + rank), and passages are returned by the sum. A passage
 * none of the rankings has is not returned, so each ranking's bar is the honesty gate: a
 * question nothing answers still gets no passages. `score` is the fused sum divided by its
 * maximum (first in every ranking = 1).
 *
 * The full-text query and the pool read run in parallel on the ORM's pool. If the pool read or
 * a signal fails (Postgres, Gemini) the failure is logged and the rankings that worked are
 * fused; if the full-text query fails the retrieval fails (the turn answers without passages).
 */
export class FusedRetriever implements Retriever {
  private readonly knex: Knex;

  constructor(
    orm: Orm,
    private readonly metrics: Metrics,
    private readonly fulltext: FullTextRetriever,
    private readonly signals: readonly RankingSignal[],
    private readonly logger?: Logger,
  ) {
    this.knex = orm.em.getKnex();
  }

  async retrieve(options: RetrieveOptions): Promise<RetrievedPassage[]> {
    if (!isUuid(options.businessId) || !options.query.trim()) return [];
    const end = this.metrics.retrievalDuration.startTimer();
    try {
      const limit = Math.max(1, Math.min(MAX_LIMIT, Math.floor(options.limit ?? 5)));
      const [lexical, ranked] = await Promise.all([this.fulltext.rows({ ...options, limit: PER_RANKING }), this.signals.length ? this.rankPool(options) : []]);
      const rankings: Array<Array<Omit<RetrievalRow, 'score'>>> = [lexical, ...ranked];
      const fused = new Map<string, { row: Omit<RetrievalRow, 'score'>; sum: number; lexical: number }>();
      for (const ranking of rankings) {
        ranking.forEach((row, i) => {
          const key = passageKey(row);
          const entry = fused.get(key) ?? { row, sum: 0, lexical: 0 };
          entry.sum += 1 / (RRF_K + i + 1);
          fused.set(key, entry);
        });
      }
      for (const row of lexical) {
        const entry = fused.get(passageKey(row));
        if (entry) entry.lexical = Number(row.score);
      }
      const best = rankings.length / (RRF_K + 1);
      return [...fused.values()]
        .sort((a, b) => b.sum - a.sum || b.lexical - a.lexical || passageKey(a.row).localeCompare(passageKey(b.row)))
        .slice(0, limit)
        .map(({ row, sum }) => toPassage({ ...row, score: sum / best }, options.query, options.businessId));
    } finally {
      end();
    }
  }

  /** Each signal's hits over the business's pool, best first; the signals run side by side. */
  private async rankPool(options: RetrieveOptions): Promise<Array<Array<Omit<RetrievalRow, 'score'>>>> {
    const categories = JSON.stringify([...(options.categories ?? [])]);
    const read = this.knex
      .raw<{ rows: PoolPassage[] }>(POOL_SQL, [categories, categories, options.businessId, options.businessId, options.businessId])
      .then(({ rows }) => rows);
    const ranked = await Promise.allSettled(this.signals.map((signal) => signal.rank(options.query, read)));
    let pool: PoolPassage[];
    try {
      pool = await read;
    } catch (err) {
      this.logger?.warn('passage pool read failed; full-text ranking only', { error: String(err) });
      return [];
    }
    const out: Array<Array<Omit<RetrievalRow, 'score'>>> = [];
    ranked.forEach((result, k) => {
      if (result.status === 'rejected') {
        this.logger?.warn('ranking signal failed; fused without it', { signal: this.signals[k].name, error: String(result.reason) });
        return;
      }
      const scores = result.value;
      out.push(
        pool
          .map((p, i) => ({ p, s: scores[i] }))
          .filter((x): x is { p: PoolPassage; s: number } => x.s !== null && x.s !== undefined)
          .sort((a, b) => b.s - a.s)
          .slice(0, PER_RANKING)
          .map(({ p }) => p),
      );
    });
    return out;
  }
}

function passageKey(row: Pick<RetrievalRow, 'chunkId' | 'faqIndex' | 'profileField'>): string {
  return row.chunkId ?? (row.profileField !== null ? `profile:${row.profileField}` : `faq:${row.faqIndex}`);
}
