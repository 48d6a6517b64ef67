import type { Orm } from '../db/orm';
import type { Logger } from '../observability/logger';

/**
 * Keeps `api_keys.last_used_at` current without a database write per request: uses are
 * buffered in memory and written in one UPDATE every `flushMs` and on close. If the process
 * dies, at most `flushMs` of last-use times are lost; if Postgres is down at a flush, the
 * times are kept and retried at the next one.
 */
export class LastUsedTracker {
  private pending = new Map<string, Date>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly orm: Orm,
    private readonly logger: Logger,
    private readonly flushMs: number,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.flush(), this.flushMs);
    this.timer.unref();
  }

  /** Records a use of a stored key (configured keys have no row: keyId null). */
  touch(keyId: string | null): void {
    if (keyId) this.pending.set(keyId, new Date());
  }

  /** Writes every buffered time in one statement; never throws. */
  async flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    this.flushing = (async () => {
      const rows = [...batch].map(([id, at]) => ({ id, t: at.toISOString() }));
      try {
        await this.orm.em.getConnection().execute(
          `update api_keys as k set last_used_at = v.t
             from jsonb_to_recordset(?::jsonb) as v(id uuid, t timestamptz)
            where k.id = v.id and (k.last_used_at is null or k.last_used_at < v.t)`,
          [JSON.stringify(rows)],
        );
      } catch (err) {
        // Put the times back unless a newer use arrived meanwhile.
        for (const [id, at] of batch) if (!this.pending.has(id)) this.pending.set(id, at);
        this.logger.warn('api key last-use times not written; retrying at the next flush', { keys: rows.length, error: String(err) });
      } finally {
        this.flushing = undefined;
      }
    })();
    return this.flushing;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.flushing;
    await this.flush();
  }
}
