import { randomUUID } from 'node:crypto';
import { withBenchDatabase } from './bench-database';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { FullTextRetriever, retrievalBindings } from '../src/knowledge/fulltext.retriever';
import { RETRIEVAL_SQL } from '../src/knowledge/retrieval.sql';
import { Metrics } from '../src/observability/metrics';

/**
 * Retrieval latency through the server's retriever (MikroORM's knex pool, the production
 * code path) against the same SQL sent raw with a `pg` client, at 10k and then 100k chunks.
 * The corpus grows by tenants: every business has CHUNKS_PER_BUSINESS passages (a site of
 * ~200 pages), so 10k = 10 businesses and 100k = 100; each query targets one random
 * business, as a chat turn does. Queries run one at a time, retriever and raw interleaved.
 */
const CHUNKS_PER_BUSINESS = 1_000;
const QUERIES_PER_SIZE = 400;
const WARMUP = 60;

// A deterministic pseudo-random generator, so every run builds the same corpus.
let seed = 42;
const rand = () => ((seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff) / 0x7fffffff);
const pick = <T>(list: readonly T[]) => list[Math.floor(rand() * list.length)];

const TOPICS = [
  'opening hours', 'teeth whitening', 'dental implants', 'free parking', 'gift cards', 'birthday cakes', 'sourdough bread', 'yoga classes',
  'personal training', 'tax returns', 'wedding photography', 'roof repairs', 'boiler service', 'dog grooming', 'car rental', 'guided tours',
  'refund policy', 'delivery times', 'student discount', 'emergency appointments', 'payment plans', 'insurance claims', 'online booking',
  'gluten free menu', 'private events', 'loyalty program', 'warranty terms', 'home visits', 'group bookings', 'late checkout',
];
const FILLER =
  'our team friendly service customers quality experience local family professional helpful advice detailed support modern equipment clean comfortable welcoming staff years trusted community flexible schedule weekend weekday morning afternoon evening price package offer consultation session visit appointment booking contact phone email address location town centre building floor room'.split(
    ' ',
  );
// Rare words that make each business's text its own.
const rareWord = () => `${pick(['zor', 'quel', 'brin', 'taf', 'mol', 'vex', 'dru', 'pim'])}${pick(['ax', 'ine', 'ora', 'ud', 'ek', 'ish'])}${Math.floor(rand() * 50)}`;

function passage(): { title: string; text: string } {
  const topic = pick(TOPICS);
  const words: string[] = [];
  while (words.join(' ').length < 900) {
    const r = rand();
    words.push(r < 0.08 ? topic : r < 0.1 ? rareWord() : pick(FILLER));
  }
  return { title: `${topic[0].toUpperCase()}${topic.slice(1)} ${Math.floor(rand() * 100)}`, text: `${words.join(' ')}.` };
}

const QUESTIONS = [
  ...TOPICS.map((t) => `what about your ${t}?`),
  ...TOPICS.map((t) => `do you offer ${t} on weekends`),
  'how much does a consultation cost',
  'where is your location',
  'can I book an appointment online',
  'is there a student discount for yoga classes',
];

async function addTenants(client: Client, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let b = 0; b < count; b++) {
    const id = randomUUID();
    ids.push(id);
    const faqs = JSON.stringify(TOPICS.slice(0, 5).map((t) => ({ question: `Do you have ${t}?`, answer: `Yes, ask our staff about ${t}.` })));
    await client.query(
      `insert into businesses (id, name, services, faqs, suggested_questions, cta_tree, enabled_categories, allowed_origins, created_at, updated_at)
       values ($1, $2, '[]', $3, '[]', '[]', '[]', '[]', now(), now())`,
      [id, `Bench ${b}`, faqs],
    );
    await client.query('insert into knowledge_generations (business_id, active, building, last_allocated) values ($1, 1, null, 1)', [id]);
    // One statement per business: documents, then their chunks, from arrays (fast bulk load).
    const docs = Array.from({ length: CHUNKS_PER_BUSINESS / 5 }, (_, d) => ({ id: randomUUID(), d, first: passage() }));
    await client.query(
      `insert into knowledge_documents (id, business_id, title, format, category, source_url, content, chunk_count, created_at, updated_at)
       select unnest($2::uuid[]), $1, unnest($3::text[]), 'HTML', unnest($4::text[]), unnest($5::text[]), '', 5, now(), now()`,
      [id, docs.map((x) => x.id), docs.map((x) => x.first.title), docs.map(() => pick(['services', 'about', 'blog', 'pricing'])), docs.map((x) => `https://bench-${b}.test/page-${x.d}`)],
    );
    const chunks = docs.flatMap((x) => Array.from({ length: 5 }, (_, seq) => ({ doc: x.id, seq, title: x.first.title, text: seq === 0 ? x.first.text : passage().text })));
    await client.query(
      `insert into knowledge_chunks (business_id, document_id, generation, seq, title, category, text)
       select $1, unnest($2::uuid[]), 1, unnest($3::int[]), unnest($4::text[]), 'services', unnest($5::text[])`,
      [id, chunks.map((c) => c.doc), chunks.map((c) => c.seq), chunks.map((c) => c.title), chunks.map((c) => c.text)],
    );
  }
  await client.query('analyze');
  return ids;
}

/** `?` placeholders (knex) → `$n` (pg). The SQL has no other `?`. */
const PG_SQL = (() => {
  let n = 0;
  return RETRIEVAL_SQL.replace(/\?/g, () => `$${++n}`);
})();

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

interface Sample {
  p50: number;
  p95: number;
}

async function measure(retriever: FullTextRetriever, raw: Client, businesses: string[]): Promise<{ retriever: Sample; raw: Sample; hits: number }> {
  const viaRetriever: number[] = [];
  const viaRaw: number[] = [];
  let hits = 0;
  for (let i = 0; i < WARMUP + QUERIES_PER_SIZE; i++) {
    const options = { businessId: pick(businesses), query: pick(QUESTIONS), limit: 5, categories: [] };
    const order = i % 2 === 0;
    for (const which of order ? ['retriever', 'raw'] : ['raw', 'retriever']) {
      const start = performance.now();
      if (which === 'retriever') hits += (await retriever.retrieve(options)).length;
      else await raw.query(PG_SQL, retrievalBindings(options));
      const ms = performance.now() - start;
      if (i >= WARMUP) (which === 'retriever' ? viaRetriever : viaRaw).push(ms);
    }
  }
  const sample = (xs: number[]): Sample => {
    const sorted = [...xs].sort((a, b) => a - b);
    return { p50: percentile(sorted, 50), p95: percentile(sorted, 95) };
  };
  return { retriever: sample(viaRetriever), raw: sample(viaRaw), hits };
}

const fmt = (ms: number) => `${ms.toFixed(2)} ms`;

export async function runRetrievalBench(): Promise<void> {
  const started = performance.now();
  const out = (line: string) => process.stdout.write(`${line}\n`);
  await withBenchDatabase(async ({ url, orm }) => {
    const retriever = new FullTextRetriever(orm, new Metrics());
    const loader = new Client({ connectionString: url });
    const raw = new Client({ connectionString: url });
    await loader.connect();
    await raw.connect();
    try {
      const results: Array<{ chunks: number; r: Awaited<ReturnType<typeof measure>> }> = [];
      const businesses: string[] = [];
      const sizes = (process.env.BENCH_TENANTS ?? '10,100').split(',').map(Number);
      for (const tenants of sizes) {
        const t0 = performance.now();
        businesses.push(...(await addTenants(loader, tenants - businesses.length)));
        const chunks = Number((await loader.query('select count(*)::int as n from knowledge_chunks')).rows[0].n);
        out(`loaded ${chunks} chunks (${businesses.length} businesses) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
        const r = await measure(retriever, raw, businesses);
        results.push({ chunks, r });
        out(
          `${chunks} chunks: retriever p50 ${fmt(r.retriever.p50)} p95 ${fmt(r.retriever.p95)} | raw pg p50 ${fmt(r.raw.p50)} p95 ${fmt(r.raw.p95)} | ` +
            `ratio p50 ${(r.retriever.p50 / r.raw.p50).toFixed(2)}x p95 ${(r.retriever.p95 / r.raw.p95).toFixed(2)}x | avg hits ${(r.hits / (WARMUP + QUERIES_PER_SIZE)).toFixed(1)}`,
        );
      }
      const [small, large] = results;
      if (large) out(
        `growth 10k→100k: retriever p95 ${(large.r.retriever.p95 / small.r.retriever.p95).toFixed(2)}x, p50 ${(large.r.retriever.p50 / small.r.retriever.p50).toFixed(2)}x ` +
          `(raw p95 ${(large.r.raw.p95 / small.r.raw.p95).toFixed(2)}x); targets: ratio ≤ 1.3x, growth ≤ 1.5x`,
      );
    } finally {
      await loader.end();
      await raw.end();
    }
  }, out);
  out(`total ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
