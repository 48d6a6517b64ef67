import { randomBytes, randomUUID } from 'node:crypto';
import { withBenchDatabase } from './bench-database';
import { performance } from 'node:perf_hooks';
import { RedisConversationLog } from '../src/analytics/conversation.log';
import type { ChatEvent } from '../src/chat/chat.events';
import { sessionKeys } from '../src/chat/session.store';
import { createSilentLogger } from '../src/observability/logger';
import { Metrics } from '../src/observability/metrics';
import { closeRedis, connectRedis, createRedis } from '../src/redis/redis';

/**
 * `npm run bench -- conversation-log`: what recording a chat event costs the api, the two ways
 * issue 12 allows. (a) the built path: one Lua call on the api's Redis connection (RPUSH on the
 * session's queue + SADD), the worker stores it later; (b) an async insert from the api: the
 * event's row and its conversation upsert in one Postgres transaction on the api's pool
 * (DB_POOL_MAX connections, 10 by default). Both awaited here so their latency is seen (the api
 * does not await either). Events come in bursts of BURST concurrent turns, as a busy api sees
 * them; p50/p95 per event, the total time, and the ratio insert/queue from the same run.
 */
const EVENTS = Number(process.env.BENCH_EVENTS ?? 4_000);
const BURST = Number(process.env.BENCH_BURST ?? 50);

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const fmt = (ms: number) => `${ms.toFixed(2)} ms`;

interface RecordCommand {
  conversationRecord(hash: string, list: string, dirty: string, json: string, sessionId: string, ttl: number): Promise<number>;
}

export async function runConversationLogBench(): Promise<void> {
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const prefix = `bench-${randomBytes(3).toString('hex')}:`;
  await withBenchDatabase(async ({ config, orm }) => {
    const redis = createRedis(config, { name: 'bench' });
    await connectRedis(redis, 5_000);
    try {
      const businessId = randomUUID();
      await orm.em.getKnex().raw(
        `insert into businesses (id, name, services, faqs, suggested_questions, cta_tree, enabled_categories, allowed_origins, created_at, updated_at)
         values (?, 'Bench', '[]', '[]', '[]', '[]', '[]', '[]', now(), now())`,
        [businessId],
      );
      const sessions = Array.from({ length: BURST }, () => randomUUID());
      for (const s of sessions) await redis.hset(sessionKeys(prefix, s).hash, 'businessId', businessId);
      const event = (i: number): ChatEvent => {
        const now = new Date().toISOString();
        return {
          kind: 'visitor_message',
          sessionId: sessions[i % BURST],
          businessId,
          at: now,
          input: 'typed',
          messages: [{ id: randomUUID(), role: 'USER', text: `Do you offer payment plans for implants? (${i})`, createdAt: now, sources: [], ctas: [] }],
        };
      };
      // The log defines the Lua command on the connection; the bench calls it awaited.
      new RedisConversationLog(redis, prefix, 3600, new Metrics(), createSilentLogger());
      const lua = redis as unknown as RecordCommand;
      const viaQueue = async (e: ChatEvent) => {
        const { hash } = sessionKeys(prefix, e.sessionId);
        await lua.conversationRecord(hash, `${prefix}conversations:pending:${e.sessionId}`, `${prefix}conversations:dirty`, JSON.stringify(e), e.sessionId, 3600);
      };
      const knex = orm.em.getKnex();
      const viaInsert = async (e: ChatEvent) => {
        const m = e.messages[0];
        await knex.transaction(async (trx) => {
          await trx.raw(
            `insert into conversations (id, business_id, started_at, last_message_at, message_count) values (?, ?, ?, ?, 1)
             on conflict (id) do update set last_message_at = greatest(conversations.last_message_at, excluded.last_message_at), message_count = conversations.message_count + 1`,
            [e.sessionId, businessId, e.at, e.at],
          );
          await trx.raw('insert into conversation_messages (id, conversation_id, role, text, created_at, idx, sources, ctas) values (?, ?, ?, ?, ?, 0, ?, ?)', [
            m.id, e.sessionId, m.role, m.text, m.createdAt, '[]', '[]',
          ]);
          await trx.raw("insert into analytics_events (id, business_id, session_id, kind, at, text) values (?, ?, ?, 'visitor_message', ?, ?)", [m.id, businessId, e.sessionId, e.at, m.text]);
        });
      };
      const run = async (record: (e: ChatEvent) => Promise<void>) => {
        const latencies: number[] = [];
        const t0 = performance.now();
        for (let i = 0; i < EVENTS; i += BURST) {
          await Promise.all(
            Array.from({ length: Math.min(BURST, EVENTS - i) }, async (_, j) => {
              const e = event(i + j);
              const s = performance.now();
              await record(e);
              latencies.push(performance.now() - s);
            }),
          );
        }
        const total = performance.now() - t0;
        const sorted = latencies.sort((a, b) => a - b);
        return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), total };
      };
      await run(viaQueue); // warm-up of both paths
      await run(viaInsert);
      const queue = await run(viaQueue);
      const insert = await run(viaInsert);
      out(`${EVENTS} events in bursts of ${BURST} concurrent turns (DB pool max ${config.dbPool.max})`);
      out(`(a) Redis queue (built)      p50 ${fmt(queue.p50)}  p95 ${fmt(queue.p95)}  total ${fmt(queue.total)}`);
      out(`(b) async Postgres insert    p50 ${fmt(insert.p50)}  p95 ${fmt(insert.p95)}  total ${fmt(insert.total)}`);
      out(`ratio insert/queue           p50 ${(insert.p50 / queue.p50).toFixed(1)}x  p95 ${(insert.p95 / queue.p95).toFixed(1)}x  total ${(insert.total / queue.total).toFixed(1)}x`);
    } finally {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length) await redis.del(...keys);
      await closeRedis(redis);
    }
  }, out);
}
