/**
 * The one retrieval query, shared by the retriever and the benchmark's raw run.
 *
 * Matching: `websearch_to_tsquery` ANDs every term, so "what are your opening hours?"
 * would miss a passage that says "We open at 9" without "hours". Candidates therefore match
 * ANY lexeme of the question (an OR query built from its `to_tsvector`), or resemble the
 * title by trigrams (fuzzy names). The score then rewards:
 *  - coverage: the share of the question's lexemes the passage contains (0..1, × 0.6),
 *  - ts_rank_cd on the OR query, normalised to 0..1 (× 0.4),
 *  - a full `websearch_to_tsquery` match (phrases, negations honoured) (+ 0.2),
 *  - trigram similarity between question and title (× 0.6: a misspelt name alone can pass),
 * and passages under `minScore` are dropped, so a question sharing one stray word with a
 * passage does not pull it in. FAQs (businesses.faqs) and the profile (hours, location,
 * services, contact, description, primary goal: one passage each, titled so its subject's
 * words count) are built from the business row at query time, so they are always the row's
 * current values: `updateBusiness` needs no re-index.
 * Bindings (knex `?` style, in order): query, query, categories (JSON array text), query,
 * businessId, businessId, businessId, minScore, limit.
 *
 * Cost: a question with common words matches most of a business's passages, so only a
 * shortlist (the SHORTLIST_SIZE passages matching the most question words) gets the full,
 * costlier score (ts_rank_cd, trigram similarity). Measured in bench/ (docs/benchmarks.md).
 */
export const SHORTLIST_SIZE = 50;

/** The weight of a question word found only through one of its expansions (its own: 1). */
/** The weights of the score; `npm run bench -- quality` compares settings (docs/answers.md). */
export interface RetrievalWeights {
  /** A question word found only through one of its expansions (found as written: 1). */
  expansion: number;
  /**
   * Scales the weight of a question word that no passage of the business contains (nor any
   * expansion of it) in the coverage denominator. Each word brings its own weight (the
   * expander's `unmatchedWeight`: a topic noun or an unknown word 1, a verb or an adverb
   * less), so "Can I bring my puppy along?" is not held back by "bring" and "along", while
   * "Can I hire a canoe?" still is by "canoe". 1 = as the expander says, 0 = not at all.
   */
  unmatched: number;
}

export const DEFAULT_WEIGHTS: RetrievalWeights = { expansion: 0.75, unmatched: 1 };

/**
 * The profile's passages of business row `b`: one per field (field, title, body), titled so
 * the field's subject counts. Shared by the full-text query and the passage pool.
 */
export const PROFILE_PASSAGES = `(values
    ('hours', 'Opening hours and times', b.hours),
    ('location', 'Where to find us: address and location', b.location),
    ('services', 'Services we offer', (select string_agg(s, ', ') from jsonb_array_elements_text(b.services) s)),
    ('contact', 'Contact us', concat_ws(' ', 'Email: ' || b.contact_email || '.', 'Phone: ' || b.contact_phone || '.')),
    ('description', 'About ' || b.name, b.description),
    ('goal', 'How to get started', b.primary_goal)
  ) pp(field, title, body)`;

export function retrievalSql(weights: RetrievalWeights = DEFAULT_WEIGHTS): string {
  /** How much of the question a passage covers: 1 per word found as written, `expansion` per word found through an expansion. */
  const MATCHED = (tsv: string) =>
    `(select coalesce(sum(case when ${tsv} @@ grp.wq then 1 when grp.xq is not null and ${tsv} @@ grp.xq then ${weights.expansion} else 0 end), 0) from grp)`;
  return `
with q as (
  select websearch_to_tsquery('english', ?::text) as strict, ?::text as raw, ?::jsonb as cats
),
-- One group per word of the question: its own lexemes (wq) and its expansions' (xq, may be null).
-- A word Postgres drops (a stop word) has no wq and no group.
grp as (
  select w.q as wq, x.q as xq, coalesce((g.item->>'u')::float8, 1) as u
  from jsonb_array_elements(?::jsonb) g(item)
  cross join lateral (select string_agg(quote_literal(t), ' | ')::tsquery as q
                      from unnest(tsvector_to_array(to_tsvector('english', g.item->>'w'))) t
                      where strpos(t, chr(92)) = 0 and strpos(t, chr(39)) = 0) w
  cross join lateral (select string_agg(quote_literal(t), ' | ')::tsquery as q
                      from unnest(tsvector_to_array(to_tsvector('english', g.item->>'x'))) t
                      where strpos(t, chr(92)) = 0 and strpos(t, chr(39)) = 0) x
  where w.q is not null
),
terms as (
  select count(*) as n,
         (string_agg(grp.wq::text || coalesce(' | ' || grp.xq::text, ''), ' | '))::tsquery as loose
  from grp
),
chunks as materialized (
  select c.id, c.document_id, c.title, c.text, c.category, c.tsv
  from knowledge_chunks c
  join knowledge_generations g on g.business_id = c.business_id and g.active = c.generation
  cross join q cross join terms
  where c.business_id = ?::uuid
    and (q.cats = '[]'::jsonb or c.category in (select jsonb_array_elements_text(q.cats)))
    -- "is true" keeps the planner from OR-ing the GIN indexes over every tenant's rows (it
    -- did at 100k chunks: 95k index hits to keep 1k); one business's rows are few.
    and ((c.tsv @@ terms.loose) is true or (c.title % q.raw) is true)
),
shortlist as (
  select ch.*, ${MATCHED('ch.tsv')} as matched
  from chunks ch cross join q
  order by matched desc, ch.id
  limit ${SHORTLIST_SIZE}
),
candidates as (
  select s.id as chunk_id, s.document_id, s.title, s.text, s.category, s.tsv, s.matched, null::int as faq_index, null::text as profile_field from shortlist s
  union all
  select null::bigint, null::uuid, f.item->>'question', (f.item->>'question') || chr(10) || (f.item->>'answer'), 'faq',
         fv.tsv, ${MATCHED('fv.tsv')}, f.ord::int - 1, null
  from businesses b
  cross join lateral jsonb_array_elements(b.faqs) with ordinality f(item, ord)
  cross join lateral (select to_tsvector('english', (f.item->>'question') || ' ' || (f.item->>'answer')) as tsv) fv
  cross join q
  where b.id = ?::uuid
  union all
  select null::bigint, null::uuid, pp.title, pp.title || chr(10) || pp.body, 'profile',
         pv.tsv, ${MATCHED('pv.tsv')}, null, pp.field
  from businesses b
  cross join lateral ${PROFILE_PASSAGES}
  cross join lateral (select to_tsvector('english', pp.title || ' ' || pp.body) as tsv) pv
  cross join q
  where b.id = ?::uuid and nullif(btrim(pp.body), '') is not null
),
-- The question's words that some candidate contains (as written or expanded).
answerable as (
  select coalesce(sum(case when exists (select 1 from candidates cd where cd.tsv @@ grp.wq or (grp.xq is not null and cd.tsv @@ grp.xq)) then 1
                           else ${weights.unmatched} * grp.u end), 0) as weight
  from grp
),
scored as materialized (
  select cd.*,
         (case when terms.n = 0 then 0
               else cd.matched::float8 / greatest(1, answerable.weight) end) * 0.6
         + coalesce(ts_rank_cd(cd.tsv, terms.loose, 32), 0) * 0.4
         + (case when cd.tsv @@ q.strict then 0.2 else 0 end)
         + similarity(cd.title, q.raw) * 0.6 as score
  from candidates cd cross join q cross join terms cross join answerable
),
top as (
  select s.chunk_id, s.document_id, s.faq_index, s.profile_field, s.title, s.text, s.category, s.score
  from scored s
  where s.score >= ?
  order by s.score desc, s.document_id, s.faq_index, s.profile_field
  limit ?
)
select top.chunk_id::text as "chunkId", top.document_id::text as "documentId", top.faq_index as "faqIndex", top.profile_field as "profileField", top.title, top.text, top.category, d.source_url as "sourceUrl", top.score
from top left join knowledge_documents d on d.id = top.document_id
order by top.score desc, top.document_id, top.faq_index, top.profile_field`;
}

export const RETRIEVAL_SQL = retrievalSql();

/** The most chunks of one business the passage pool (`POOL_SQL`) returns. */
export const POOL_MAX_CHUNKS = 400;

/**
 * Every passage of a business the meaning-based signals (WordNet concepts, embeddings) rank:
 * its active generation's chunks in its enabled categories (at most {@link POOL_MAX_CHUNKS},
 * the first indexed first), its FAQs and its profile, with the same ids and texts as
 * {@link retrievalSql}'s rows. Bindings: categories (JSON array text) twice, businessId three
 * times.
 */
export const POOL_SQL = `
(select c.id::text as "chunkId", c.document_id::text as "documentId", null::int as "faqIndex", null::text as "profileField",
        c.title, c.text, c.category, d.source_url as "sourceUrl", c.embedding as "embedding", c.embedding_model as "embeddingModel"
 from knowledge_chunks c
 join knowledge_generations g on g.business_id = c.business_id and g.active = c.generation
 join knowledge_documents d on d.id = c.document_id
 where (?::jsonb = '[]'::jsonb or c.category in (select jsonb_array_elements_text(?::jsonb)))
   and c.business_id = ?::uuid
 order by c.id
 limit ${POOL_MAX_CHUNKS})
union all
select null, null, f.ord::int - 1, null, f.item->>'question', (f.item->>'question') || chr(10) || (f.item->>'answer'), 'faq', null, null, null
from businesses b cross join lateral jsonb_array_elements(b.faqs) with ordinality f(item, ord)
where b.id = ?::uuid
union all
select null, null, null, pp.field, pp.title, pp.title || chr(10) || pp.body, 'profile', null, null, null
from businesses b cross join lateral ${PROFILE_PASSAGES}
where b.id = ?::uuid and nullif(btrim(pp.body), '') is not null`;
