import { PushIterator } from '../common/push-iterator';
import type { RedisBroadcast } from '../redis/broadcast';
import { decodeJob, INDEX_JOB_CHANNEL, TERMINAL_STATES, type IndexJobStore } from './index-job.store';
import type { IndexJobEntity } from './knowledge.entity';

/** Pushed by a subscription's poll timer: "nothing arrived for a while, re-read the row". */
const POLL = null;

/**
 * Fans index job updates out to the subscriptions of this process: the one broadcast
 * subscriber of the process, listeners by job id. A subscription first yields the stored state,
 * then each newer version, and ends after a terminal state. It listens before it reads the
 * row, so no update between the read and the subscription is lost. Every `pollMs` without a
 * message (a publish missed while Redis was down) it re-reads the row, so it cannot hang.
 */
export class IndexJobUpdates {
  private readonly listeners = new Map<string, Set<PushIterator<IndexJobEntity | null>>>();

  constructor(
    private readonly broadcast: RedisBroadcast,
    private readonly store: IndexJobStore,
    private readonly pollMs = 5_000,
  ) {}

  async start(): Promise<void> {
    await this.broadcast.listen(INDEX_JOB_CHANNEL, {
      message: (payload) => {
        let job: IndexJobEntity;
        try {
          job = decodeJob(payload);
        } catch {
          return;
        }
        for (const listener of this.listeners.get(job.id) ?? []) listener.push(job);
      },
      // Missed updates are found by the next poll of each subscription.
    });
  }

  /**
   * Streams a job. `authorize` runs on the stored row before anything is yielded (it throws
   * to refuse); a missing job throws from `notFound`.
   *
   * The consumer stopping (graphql-ws calls `return()` when the client unsubscribes) ends the
   * stream at once, even while it waits for the next update: an async generator would queue
   * that `return()` until its next `yield`, and for a job that never changes again it kept
   * re-reading the row from Postgres every `pollMs` for as long as the process lived.
   */
  watch(jobId: string, authorize: (job: IndexJobEntity) => void, notFound: () => Error): AsyncIterableIterator<IndexJobEntity> {
    const listener = new PushIterator<IndexJobEntity | null>();
    const inner = this.follow(jobId, listener, authorize, notFound);
    return {
      next: () => inner.next(),
      return: () => {
        void listener.return(); // wakes the loop waiting on it, which then ends and cleans up
        return inner.return(undefined);
      },
      throw: (err?: unknown) => {
        void listener.return();
        return inner.throw(err);
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }

  /** The number of open streams of a job on this process (tests, diagnostics). */
  watching(jobId: string): number {
    return this.listeners.get(jobId)?.size ?? 0;
  }

  private async *follow(
    jobId: string,
    listener: PushIterator<IndexJobEntity | null>,
    authorize: (job: IndexJobEntity) => void,
    notFound: () => Error,
  ): AsyncGenerator<IndexJobEntity> {
    // Listen before reading, so no update between the read and the subscription is lost.
    let set = this.listeners.get(jobId);
    if (!set) this.listeners.set(jobId, (set = new Set()));
    set.add(listener);
    const poll = setInterval(() => listener.push(POLL), this.pollMs);
    try {
      let current = await this.store.get(jobId);
      if (!current) throw notFound();
      authorize(current);
      yield current;
      while (!TERMINAL_STATES.has(current.state)) {
        const { value, done } = await listener.next();
        if (done) return;
        const next = value ?? (await this.store.get(jobId));
        if (!next) return;
        if (next.version <= current.version) continue;
        current = next;
        yield current;
      }
    } finally {
      clearInterval(poll);
      void listener.return();
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(jobId);
    }
  }
}
