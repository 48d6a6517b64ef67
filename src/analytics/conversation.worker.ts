import type { Knex } from '@mikro-orm/postgresql';
import type { Orm } from '../db/orm';
import type { Logger } from '../observability/logger';
import { MARK_DAYS_FROM } from './analytics.rollup';
import type { ConversationRecorder } from './conversation.recorder';

/** Rows one retention statement touches: short transactions, no long lock on a busy table. */
const RETENTION_BATCH = 1_000;

/**
 * Erases conversation records whose last message is older than `cutoff` (CONVERSATION_RETENTION_DAYS):
 * the conversations and their messages are deleted, and the visitor texts of older analytics
 * events and feedback are nulled; every count stays. Batched and idempotent: a worker that
 * stops (or loses Postgres) half-way leaves a consistent state and the next run continues.
 * Returns the number of conversations deleted.
 */
export async function purgeConversations(orm: Orm, cutoff: Date): Promise<number> {
  const knex: Knex = orm.em.getKnex();
  let deleted = 0;
  for (;;) {
    const res = await knex.raw<{ rowCount: number }>(
      'delete from conversations where id in (select id from conversations where last_message_at < ? limit ?)',
      [cutoff, RETENTION_BATCH],
    );
    deleted += res.rowCount;
    if (res.rowCount < RETENTION_BATCH) break;
  }
  for (;;) {
    // Texts nulled in one statement with the marking of their days (rolled up again: analytics.rollup.ts).
    const res = await knex.raw<{ rows: Array<{ n: number }> }>(
      `with batch as (update analytics_events set text = null, question_norm = null, question_key = null
                       where id in (select id from analytics_events where at < ? and question_key is not null limit ?) returning business_id, at),
            marked as (${MARK_DAYS_FROM('batch')})
       select count(*)::int as n from batch`,
      [cutoff, RETENTION_BATCH],
    );
    if ((res.rows[0]?.n ?? 0) < RETENTION_BATCH) break;
  }
  await knex.raw('update message_feedback set comment = null where updated_at < ? and comment is not null', [cutoff]);
  await knex.raw('delete from erased_conversations where erased_at < ?', [cutoff]);
  return deleted;
}

export interface ConversationTasks {
  /** Drains the chat event stream into Postgres; resolves with the entries handled. */
  drain(): Promise<number>;
  /** Ends conversations idle since before `now - CONVERSATION_IDLE_MINUTES`; resolves with how many. */
  endIdle(now: Date): Promise<number>;
  /** Erases conversation records older than CONVERSATION_RETENTION_DAYS before `now`. */
  purge(now: Date): Promise<number>;
  /** Rolls up closed days of analytics events that are not rolled up (analytics.rollup.ts). */
  rollup(now: Date): Promise<number>;
}

/**
 * The worker's periodic conversation work (`npm run worker` only; api processes only record):
 * draining the event stream continuously (a short pause when it is empty), ending idle
 * conversations every `endEveryMs`, retention every `purgeEveryMs`. Every task is safe with
 * several workers (consumer group; row locks with SKIP LOCKED; idempotent deletes). A failing
 * task (Redis or Postgres down) is logged once per outage and retried on its next tick.
 */
export class ConversationWorker {
  private stopped = false;
  private loop: Promise<void> | null = null;
  /** The sweep of idle conversations in progress: it waits for the model, so it runs beside the drain, not in its way. */
  private ending: Promise<unknown> | null = null;
  private wake: (() => void) | null = null;
  private readonly failing = new Set<string>();

  constructor(
    private readonly tasks: ConversationTasks,
    private readonly logger: Logger,
    private readonly timing: { idlePollMs: number; endEveryMs: number; purgeEveryMs: number; rollupEveryMs: number } = conversationTiming(30 * 60_000),
  ) {}

  start(): void {
    this.loop ??= this.run();
  }

  async close(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
    await this.ending;
  }

  private async run(): Promise<void> {
    let nextEnd = 0;
    let nextPurge = 0;
    let nextRollup = 0;
    while (!this.stopped) {
      const handled = await this.attempt('drain', () => this.tasks.drain());
      const now = Date.now();
      if (now >= nextEnd && !this.ending) {
        nextEnd = now + this.timing.endEveryMs;
        this.ending = this.attempt('end idle conversations', () => this.tasks.endIdle(new Date(now))).finally(() => (this.ending = null));
      }
      if (now >= nextRollup) {
        nextRollup = now + this.timing.rollupEveryMs;
        await this.attempt('analytics rollup', () => this.tasks.rollup(new Date(now)));
      }
      if (now >= nextPurge) {
        nextPurge = now + this.timing.purgeEveryMs;
        await this.attempt('conversation retention', () => this.tasks.purge(new Date(now)));
      }
      if (!handled) await this.pause(this.timing.idlePollMs);
    }
  }

  private async attempt(name: string, task: () => Promise<number>): Promise<number> {
    try {
      const n = await task();
      if (this.failing.delete(name)) this.logger.info('conversation task recovered', { task: name });
      return n;
    } catch (err) {
      if (!this.failing.has(name)) this.logger.error('conversation task failed; retrying', { task: name, error: err instanceof Error ? err.message : String(err) });
      this.failing.add(name);
      return 0;
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}

/**
 * How often the worker looks for idle conversations: four times per CONVERSATION_IDLE_MINUTES
 * (at most every 15 s, at least every 100 ms), so one ends at most a quarter of the idle time late.
 */
export function conversationTiming(idleMs: number): { idlePollMs: number; endEveryMs: number; purgeEveryMs: number; rollupEveryMs: number } {
  // The rollup runs every minute: a day closes once a day, erasures re-mark a few days.
  return { idlePollMs: 250, endEveryMs: Math.min(15_000, Math.max(100, Math.round(idleMs / 4))), purgeEveryMs: 3_600_000, rollupEveryMs: 60_000 };
}

export type { ConversationRecorder };
