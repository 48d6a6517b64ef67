import { randomUUID } from 'node:crypto';
import { withBenchDatabase } from './bench-database';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { rollUpDays } from '../src/analytics/analytics.rollup';
import { AnalyticsService } from '../src/analytics/analytics.service';
import { normalizeQuestion, questionKey } from '../src/analytics/questions';
import { Metrics } from '../src/observability/metrics';

/**
 * `npm run bench -- analytics`: the `analytics` query (AnalyticsService, the production code
 * path: seven statements in parallel over MikroORM's pool) for a 30-day range, over
 * BENCH_EVENTS (default 1,000,000) events of ONE business spread over 90 days (so the range
 * holds about a third of them), next to a baseline measured in the same run: a plain indexed
 * `count(*)` of that business's events in the same range (one statement, raw `pg`). Target:
 * p95 ≤ 200 ms. Events per session as a chat makes them: session_started, ~3 visitor messages
 * and their replies, a CTA click in every other session, an unanswered reply in one of eight,
 * questions drawn from 600 wordings of 200 questions. A second business with 100k events
 * shares the table (its rows must not cost the first).
 */
const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const DAYS = 90;
const RANGE_DAYS = 30;
const RUNS = Number(process.env.BENCH_RUNS ?? 40);
const WARMUP = 5;

let seed = 7;
const rand = () => ((seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff) / 0x7fffffff);
const pick = <T>(list: readonly T[]) => list[Math.floor(rand() * list.length)];

const TOPICS = ['opening hours', 'teeth whitening', 'implants', 'parking', 'gift cards', 'payment plans', 'insurance', 'emergency appointments', 'student discount', 'home visits'];
const FORMS = [(t: string) => `Do you offer ${t}?`, (t: string) => `do you offer ${t}`, (t: string) => `What about ${t}??`];
const WORDINGS = Array.from({ length: 200 }, (_, i) => `${pick(TOPICS)} ${['today', 'on weekends', 'for kids', 'near me', 'this month'][i % 5]} ${i}`).flatMap((q) => FORMS.map((f) => f(q)));
const CTAS = [['services', 'Our services'], ['ask_hours', 'Opening hours'], ['book', 'Book a visit'], ['contact', 'Contact us']] as const;

interface Row {
  id: string;
  session: string;
  kind: string;
  at: Date;
  text: string | null;
  norm: string | null;
  key: string | null;
  cta: string | null;
  label: string | null;
  ftt: number | null;
  engaged: boolean;
}

/** Loads `count` events of `businessId` in batches of 20k rows (one `unnest` insert each). */
async function load(client: Client, businessId: string, count: number, now: number): Promise<void> {
  const keys = new Map(WORDINGS.map((w) => [w, { norm: normalizeQuestion(w), key: questionKey(w) }]));
  let rows: Row[] = [];
  let loaded = 0;
  const flush = async () => {
    if (!rows.length) return;
    await client.query(
      `insert into analytics_events (id, business_id, session_id, kind, at, text, question_norm, question_key, cta_id, cta_label, provider, first_token_ms, engaged)
       select unnest($2::uuid[]), $1, unnest($3::text[]), unnest($4::text[]), unnest($5::timestamptz[]), unnest($6::text[]), unnest($7::text[]), unnest($8::text[]),
              unnest($9::text[]), unnest($10::text[]), 'offline', unnest($11::int[]), unnest($12::bool[])`,
      [
        businessId,
        rows.map((r) => r.id),
        rows.map((r) => r.session),
        rows.map((r) => r.kind),
        rows.map((r) => r.at),
        rows.map((r) => r.text),
        rows.map((r) => r.norm),
        rows.map((r) => r.key),
        rows.map((r) => r.cta),
        rows.map((r) => r.label),
        rows.map((r) => r.ftt),
        rows.map((r) => r.engaged),
      ],
    );
    loaded += rows.length;
    rows = [];
  };
  while (loaded + rows.length < count) {
    const session = randomUUID();
    let at = now - rand() * DAYS * 86_400_000;
    const messages = Math.floor(rand() * 6);
    const click = rand() < 0.5;
    const base = { session, text: null, norm: null, key: null, cta: null, label: null, ftt: null, engaged: false };
    rows.push({ ...base, id: randomUUID(), kind: 'session_started', at: new Date(at), engaged: messages > 0 || click });
    if (click) {
      const [cta, label] = pick(CTAS);
      rows.push({ ...base, id: randomUUID(), kind: 'cta_click', at: new Date((at += 5_000)), cta, label });
    }
    for (let m = 0; m < messages; m++) {
      const text = pick(WORDINGS);
      const q = keys.get(text)!;
      rows.push({ ...base, id: randomUUID(), kind: 'visitor_message', at: new Date((at += 20_000)), text, norm: q.norm, key: q.key });
      rows.push({ ...base, id: randomUUID(), kind: 'reply_sent', at: new Date((at += 1_500)), ftt: 200 + Math.floor(rand() * 800) });
      if (rand() < 0.125) rows.push({ ...base, id: randomUUID(), kind: 'unanswered', at: new Date(at), text, norm: q.norm, key: q.key });
    }
    if (rows.length >= 20_000) await flush();
  }
  await flush();
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

export async function runAnalyticsBench(): Promise<void> {
  const started = performance.now();
  const out = (line: string) => process.stdout.write(`${line}\n`);
  await withBenchDatabase(async ({ url, orm }) => {
    const raw = new Client({ connectionString: url });
    await raw.connect();
    try {
      const business = randomUUID();
      const other = randomUUID();
      for (const [id, n] of [[business, 'Bench'], [other, 'Other']])
        await raw.query(
          `insert into businesses (id, name, services, faqs, suggested_questions, cta_tree, enabled_categories, allowed_origins, created_at, updated_at)
           values ($1, $2, '[]', '[]', '[]', '[]', '[]', '[]', now(), now())`,
          [id, n],
        );
      const now = Date.now();
      const t0 = performance.now();
      await load(raw, business, EVENTS, now);
      await load(raw, other, Math.round(EVENTS / 10), now);
      await raw.query('vacuum analyze analytics_events');
      const total = Number((await raw.query('select count(*)::int as n from analytics_events')).rows[0].n);
      out(`loaded ${total} events (${EVENTS} of the measured business, over ${DAYS} days) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

      const service = new AnalyticsService({ orm, metrics: new Metrics(), chat: { getSession: () => Promise.reject(new Error('unused')) } });
      const principal = { kind: 'platform' as const, keyId: null };
      const to = new Date(now);
      const from = new Date(now - RANGE_DAYS * 86_400_000);
      const inRange = Number((await raw.query('select count(*)::int as n from analytics_events where business_id = $1 and at >= $2 and at < $3', [business, from, to])).rows[0].n);
      const measure = async (runs: number) => {
        const viaService: number[] = [];
        const viaBaseline: number[] = [];
        let sessions = 0;
        for (let i = 0; i < WARMUP + runs; i++) {
          for (const which of i % 2 === 0 ? ['service', 'baseline'] : ['baseline', 'service']) {
            const s = performance.now();
            if (which === 'service') sessions = (await service.analytics(principal, business, from, to)).sessions;
            // The baseline: one indexed count of the same rows (the (business_id, kind, at) index).
            else await raw.query('select count(*) from analytics_events where business_id = $1 and at >= $2 and at < $3', [business, from, to]);
            const ms = performance.now() - s;
            if (i >= WARMUP) (which === 'service' ? viaService : viaBaseline).push(ms);
          }
        }
        const stats = (xs: number[]) => {
          const sorted = [...xs].sort((x, y) => x - y);
          return { p50: percentile(sorted, 50), p95: percentile(sorted, 95) };
        };
        return { a: stats(viaService), b: stats(viaBaseline), sessions };
      };
      const report = (label: string, r: Awaited<ReturnType<typeof measure>>, runs: number) => {
        out(`${label} (${runs} runs each, interleaved; ${r.sessions} sessions in range)`);
        out(`  analytics (AnalyticsService)   p50 ${fmt(r.a.p50)}  p95 ${fmt(r.a.p95)}`);
        out(`  baseline (indexed count(*))    p50 ${fmt(r.b.p50)}  p95 ${fmt(r.b.p95)}`);
        out(`  ratio analytics/baseline       p50 ${(r.a.p50 / r.b.p50).toFixed(2)}x  p95 ${(r.a.p95 / r.b.p95).toFixed(2)}x`);
        out(`  target p95 <= 200 ms: ${r.a.p95 <= 200 ? 'met' : 'NOT met'}`);
      };
      out(`${RANGE_DAYS}-day range: ${inRange} events of the business in range`);
      // 1. Every day read from the events (no rollup yet: what a fresh install or a worker that is behind answers with).
      const rawRuns = Math.max(5, Math.round(RUNS / 4));
      const before = await measure(rawRuns);
      report('from the events only (no day rolled up)', before, rawRuns);
      // 2. The worker's rollup of every closed day (the recorder marks the days it writes; the bench loaded rows directly, so it marks them here).
      await raw.query(`insert into analytics_rollup_days (business_id, day) select distinct business_id, (at at time zone 'UTC')::date from analytics_events on conflict do nothing`);
      const r0 = performance.now();
      let rolledDays = 0;
      for (let n; (n = await rollUpDays(orm, new Date(now), 1_000)) > 0; ) rolledDays += n;
      const rollupMs = performance.now() - r0;
      await raw.query('vacuum analyze analytics_rollup');
      const rollupRows = Number((await raw.query('select count(*)::int as n from analytics_rollup')).rows[0].n);
      out(`rollup: ${rolledDays} days rolled up in ${(rollupMs / 1000).toFixed(1)} s (${fmt(rollupMs / rolledDays)} per day), ${rollupRows} rollup rows`);
      const after = await measure(RUNS);
      report('closed days rolled up (today and the partial first day from the events)', after, RUNS);
      if (JSON.stringify(await service.analytics(principal, business, from, to)) !== JSON.stringify(await (async () => {
        await raw.query('update analytics_rollup_days set rolled_at = null');
        return service.analytics(principal, business, from, to);
      })())) throw new Error('the rolled-up answer differs from the answer from the events');
      out('check: the rolled-up answer equals the answer from the events');
    } finally {
      await raw.end();
    }
  }, out);
  out(`total ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
