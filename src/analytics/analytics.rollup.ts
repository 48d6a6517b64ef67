import type { Knex } from '@mikro-orm/postgresql';
import type { Orm } from '../db/orm';

/**
 * The per-day rollup of analytics_events (measured necessary: `npm run bench -- analytics`,
 * docs/analytics.md). A cache, never the truth: `analytics_rollup_days` marks each (business,
 * UTC day) with events as rolled (`rolled_at` set; `analytics_rollup` holds its counts) or not
 * (null). Whoever changes events marks their days not rolled, in the same transaction
 * ({@link MARK_DAYS_FROM}: the recorder's inserts and engaged flags, erasure, retention); the
 * worker recomputes closed days (before today, UTC) one transaction per day; `analytics` reads
 * rolled days from the rollup and everything else (today, partial days at the range's ends, days
 * not yet rolled) from the events. A rollup that is missing or stale is never read: it only
 * costs speed.
 *
 * Race with the recorder: the worker locks the day's row (`FOR UPDATE SKIP LOCKED`) while it
 * recomputes; a batch inserting a late event for that day blocks on the row until the rollup
 * commits and then marks the day not rolled again, so a late event is never lost in a rollup.
 * Postgres down mid-rollup: the transaction rolls back, the day stays not rolled, the next tick
 * retries.
 */

/**
 * SQL that marks the days of the rows of `source` (a CTE with `business_id` and `at`) as not
 * rolled. Sorted, so two writers lock day rows in one order (no deadlock).
 */
export const MARK_DAYS_FROM = (source: string) => `
insert into analytics_rollup_days (business_id, day)
select distinct business_id, (at at time zone 'UTC')::date from ${source} order by 1, 2
on conflict (business_id, day) do update set rolled_at = null where analytics_rollup_days.rolled_at is not null`;

// One day's counts from its events (the same definitions as the raw queries of analytics.service.ts).
const ROLLUP_SQL = `
with ev as (select * from analytics_events where business_id = ? and at >= (?::date)::timestamp at time zone 'UTC' and at < (?::date + 1)::timestamp at time zone 'UTC')
insert into analytics_rollup (business_id, day, metric, dim, label, n)
select ?, ?::date, m.metric, m.dim, m.label, m.n from (
  select 'sessions' as metric, '' as dim, '' as label, count(*) filter (where kind = 'session_started') as n from ev
  union all select 'engaged', '', '', count(*) filter (where kind = 'session_started' and engaged) from ev
  union all select 'visitor_messages', '', '', count(*) filter (where kind = 'visitor_message') from ev
  union all select 'voice_messages', '', '', count(*) filter (where kind = 'visitor_message' and voice) from ev
  union all select 'cta', coalesce(cta_id, ''), coalesce(max(cta_label), ''), count(*) from ev where kind = 'cta_click' group by 2
  union all select 'q:' || kind, question_key, question_norm, count(*) from ev
             where kind in ('visitor_message', 'unanswered') and question_key is not null and question_key <> '' group by kind, question_key, question_norm
  union all select 'ftt', first_token_ms::text, '', count(*) from ev where kind = 'reply_sent' and first_token_ms is not null group by first_token_ms
) m where m.n > 0`;

/** Days one call of {@link rollUpDays} computes at most (each its own short transaction). */
const DAYS_PER_CALL = 50;

/** Recomputes closed days that are not rolled; resolves with how many it rolled up. */
export async function rollUpDays(orm: Orm, now: Date, limit = DAYS_PER_CALL): Promise<number> {
  const today = now.toISOString().slice(0, 10);
  let done = 0;
  while (done < limit) {
    const rolled = await orm.em.fork().transactional(async (em) => {
      const trx = em.getTransactionContext<Knex.Transaction>()!;
      const { rows } = await trx.raw<{ rows: Array<{ business_id: string; day: string }> }>(
        `select business_id, to_char(day, 'YYYY-MM-DD') as day from analytics_rollup_days
          where rolled_at is null and day < ?::date order by day limit 1 for update skip locked`,
        [today],
      );
      const [row] = rows;
      if (!row) return false;
      await trx.raw('delete from analytics_rollup where business_id = ? and day = ?::date', [row.business_id, row.day]);
      await trx.raw(ROLLUP_SQL, [row.business_id, row.day, row.day, row.business_id, row.day]);
      await trx.raw('update analytics_rollup_days set rolled_at = now() where business_id = ? and day = ?::date', [row.business_id, row.day]);
      return true;
    });
    if (!rolled) break;
    done++;
  }
  return done;
}

/** The part of [from, to) that is read from the rollup (whole rolled days) and the rest, read from the events. */
export interface RangeSplit {
  /** Whole UTC days inside the range whose rollup is current ('YYYY-MM-DD'). */
  rolledDays: string[];
  /** The time intervals not covered by those days, read from analytics_events. */
  raw: Array<[Date, Date]>;
}

export async function splitRange(knex: Knex, businessId: string, from: Date, to: Date): Promise<RangeSplit> {
  const DAY = 86_400_000;
  const firstWhole = Math.ceil(from.getTime() / DAY) * DAY;
  const endWhole = Math.floor(to.getTime() / DAY) * DAY;
  let rolled: string[] = [];
  if (endWhole > firstWhole) {
    const res = await knex.raw<{ rows: Array<{ day: string }> }>(
      `select to_char(day, 'YYYY-MM-DD') as day from analytics_rollup_days
        where business_id = ? and day >= ?::date and day < ?::date and rolled_at is not null order by day`,
      [businessId, new Date(firstWhole).toISOString().slice(0, 10), new Date(endWhole).toISOString().slice(0, 10)],
    );
    rolled = res.rows.map((r) => r.day);
  }
  const raw: Array<[Date, Date]> = [];
  let cursor = from.getTime();
  for (const day of rolled) {
    const start = Date.parse(`${day}T00:00:00Z`);
    if (start > cursor) raw.push([new Date(cursor), new Date(start)]);
    cursor = start + DAY;
  }
  if (to.getTime() > cursor) raw.push([new Date(cursor), to]);
  return { rolledDays: rolled, raw };
}

/** `(at >= ? and at < ?) or …` for the raw intervals (`false` when none), with its bindings. */
export function rawCondition(split: RangeSplit): { sql: string; bindings: Date[] } {
  if (!split.raw.length) return { sql: 'false', bindings: [] };
  return { sql: `(${split.raw.map(() => '(at >= ? and at < ?)').join(' or ')})`, bindings: split.raw.flat() };
}
