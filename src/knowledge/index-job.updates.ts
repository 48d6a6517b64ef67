import type { RedisClient } from '../redis/redis';
import { decodeJob, TERMINAL_STATES, type IndexJobRecord, type IndexJobStore } from './index-job.store';

/** A minimal push queue for one subscriber (no `events.on()`: DESIGN.md, memory). */
class Listener {
  private readonly buffer: IndexJobRecord[] = [];
  private wake: (() => void) | null = null;

  push(record: IndexJobRecord): void {
    this.buffer.push(record);
    this.wake?.();
  }

  /** The next record, or null after `timeoutMs` without one. */
  async next(timeoutMs: number): Promise<IndexJobRecord | null> {
    if (this.buffer.length) return this.buffer.shift() ?? null;
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.wake = resolve;
      timer = setTimeout(resolve, timeoutMs);
    });
    clearTimeout(timer);
    this.wake = null;
    return this.buffer.shift() ?? null;
  }
}

/**
 * Fans index job updates out to the subscriptions of this process: one Redis subscriber
 * connection per process, listeners by job id. A subscription first yields the stored state,
 * then each newer version, and ends after a terminal state. When no message arrives for
 * `pollMs` (a missed publish while Redis was down) it re-reads the row, so it cannot hang.
 */
export class IndexJobUpdates {
  private readonly listeners = new Map<string, Set<Listener>>();

  constructor(
    private readonly subscriber: RedisClient,
    private readonly store: IndexJobStore,
    private readonly pollMs = 5_000,
  ) {}

  async start(): Promise<void> {
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.store.channel) return;
      let record: IndexJobRecord;
      try {
        record = decodeJob(message);
      } catch {
        return;
      }
      for (const listener of this.listeners.get(record.id) ?? []) listener.push(record);
    });
    await this.subscriber.subscribe(this.store.channel);
  }

  /**
   * Streams a job. `authorize` runs on the stored row before anything is yielded (it throws
   * to refuse); a missing job throws from `notFound`.
   */
  async *watch(jobId: string, authorize: (job: IndexJobRecord) => void, notFound: () => Error): AsyncGenerator<IndexJobRecord> {
    const listener = new Listener();
    // Listen before reading, so no update between the read and the subscription is lost.
    let set = this.listeners.get(jobId);
    if (!set) this.listeners.set(jobId, (set = new Set()));
    set.add(listener);
    try {
      let current = await this.store.get(jobId);
      if (!current) throw notFound();
      authorize(current);
      yield current;
      while (!TERMINAL_STATES.has(current.state)) {
        const next = (await listener.next(this.pollMs)) ?? (await this.store.get(jobId));
        if (!next) return;
        if (next.version <= current.version) continue;
        current = next;
        yield current;
      }
    } finally {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(jobId);
    }
  }
}
