import type { Knex } from '@mikro-orm/postgresql';
import type { Orm } from '../db/orm';
import type { Embedder } from '../llm/gemini.embedder';
import type { Logger } from '../observability/logger';

/**
 * Stores a vector beside each chunk (`knowledge_chunks.embedding`, float4[], with the model's
 * name in `embedding_model`), run by the worker after a document's chunks are written: the
 * chunks of the document without a vector of the current model are embedded in batches
 * (`Embedder`, 100 texts a request) and updated by id.
 *
 * Failure: the chunks are already committed and searchable by full text and WordNet concepts;
 * if Gemini fails (or Postgres fails on the update) the error is logged and those chunks stay
 * without a vector until the document is indexed again (re-add, re-crawl or rebuild). The
 * index job does not fail for it: a passage without a vector is a ranking less, not a loss.
 */
export class ChunkEmbeddings {
  private readonly knex: Knex;

  constructor(
    orm: Orm,
    private readonly embedder: Embedder,
    private readonly logger: Pick<Logger, 'warn'>,
  ) {
    this.knex = orm.em.getKnex();
  }

  async embedDocument(documentId: string): Promise<number> {
    try {
      const { rows } = await this.knex.raw<{ rows: Array<{ id: string; title: string; text: string }> }>(
        'select id::text as id, title, text from knowledge_chunks where document_id = ?::uuid and (embedding is null or embedding_model is distinct from ?) order by id',
        [documentId, this.embedder.model],
      );
      if (!rows.length) return 0;
      const vectors = await this.embedder.embed(
        rows.map((r) => r.text),
        'document',
      );
      await this.knex.transaction(async (trx) => {
        for (let i = 0; i < rows.length; i++) {
          await trx.raw('update knowledge_chunks set embedding = ?::real[], embedding_model = ? where id = ?::bigint', [vectors[i], this.embedder.model, rows[i].id]);
        }
      });
      return rows.length;
    } catch (err) {
      this.logger.warn('chunk embedding failed; the chunks stay searchable by full text', { documentId, error: String(err) });
      return 0;
    }
  }
}
