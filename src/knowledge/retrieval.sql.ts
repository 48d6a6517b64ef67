/**
 * The one retrieval query, shared by the retriever and the benchmark's raw run.
 * Bindings (knex `?` style, in order): query, query, categories (JSON array text), query,
 * businessId, businessId, minScore, limit.
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
 * passage does not pull it in. FAQs are matched from businesses.faqs at query time.
 *
 * Cost: a question with common words matches most of a business's passages, so only a
 * shortlist (the SHORTLIST_SIZE passages matching the most question words) gets the full,
 * costlier score (ts_rank_cd, trigram similarity). Measured in bench/ (README).
 */
export const SHORTLIST_SIZE = 50;

export const RETRIEVAL_SQL = `
with q as (
  select websearch_to_tsquery('english', ?::text) as strict,
         lex.terms,
         (select array_agg(quote_literal(t)::tsquery) from unnest(lex.terms) t) as term_queries,
         (select string_agg(quote_literal(t), ' | ')::tsquery from unnest(lex.terms) t) as loose,
         ?::text as raw,
         ?::jsonb as cats
  from (select coalesce(array_agg(t), '{}') as terms
        from unnest(tsvector_to_array(to_tsvector('english', ?::text))) t
        where strpos(t, chr(92)) = 0 and strpos(t, chr(39)) = 0) lex
),
chunks as materialized (
  select c.id, c.document_id, c.title, c.text, c.category, c.tsv
  from knowledge_chunks c
  join knowledge_generations g on g.business_id = c.business_id and g.active = c.generation
  cross join q
  where c.business_id = ?::uuid
    and (q.cats = '[]'::jsonb or c.category in (select jsonb_array_elements_text(q.cats)))
    -- "is true" keeps the planner from OR-ing the GIN indexes over every tenant's rows (it
    -- did at 100k chunks: 95k index hits to keep 1k); one business's rows are few.
    and ((c.tsv @@ q.loose) is true or (c.title % q.raw) is true)
),
shortlist as (
  select ch.*, (select count(*) from unnest(q.term_queries) t where ch.tsv @@ t) as matched
  from chunks ch cross join q
  order by matched desc, ch.id
  limit ${SHORTLIST_SIZE}
),
candidates as (
  select s.document_id, s.title, s.text, s.category, s.tsv, s.matched, null::int as faq_index from shortlist s
  union all
  select null::uuid, f.item->>'question', (f.item->>'question') || chr(10) || (f.item->>'answer'), 'faq',
         fv.tsv, (select count(*) from unnest(q.term_queries) t where fv.tsv @@ t), f.ord::int - 1
  from businesses b
  cross join lateral jsonb_array_elements(b.faqs) with ordinality f(item, ord)
  cross join lateral (select to_tsvector('english', (f.item->>'question') || ' ' || (f.item->>'answer')) as tsv) fv
  cross join q
  where b.id = ?::uuid
),
scored as materialized (
  select cd.*,
         (case when cardinality(q.terms) = 0 then 0 else cd.matched::float8 / cardinality(q.terms) end) * 0.6
         + coalesce(ts_rank_cd(cd.tsv, q.loose, 32), 0) * 0.4
         + (case when cd.tsv @@ q.strict then 0.2 else 0 end)
         + similarity(cd.title, q.raw) * 0.6 as score
  from candidates cd cross join q
),
top as (
  select s.document_id, s.faq_index, s.title, s.text, s.category, s.score
  from scored s
  where s.score >= ?
  order by s.score desc, s.document_id, s.faq_index
  limit ?
)
select top.document_id::text as "documentId", top.faq_index as "faqIndex", top.title, top.text, top.category, d.source_url as "sourceUrl", top.score
from top left join knowledge_documents d on d.id = top.document_id
order by top.score desc, top.document_id, top.faq_index`;
