import { NotFoundError } from '../common/errors';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { RedisClient } from '../redis/redis';
import type { MessageRecord, ReplyChunkRecord, ReplyErrorRecord } from './chat.records';
import { PushIterator } from '../common/push-iterator';
import { replyKeys } from './reply-stream.writer';
import { isOpaqueId } from './session.store';

type StreamEntry = [id: string, fields: string[]];

/** One reply this process follows: what was read so far and who is listening. */
interface Feed {
  replyId: string;
  key: string;
  heartbeat: string;
  lastId: string;
  chunks: ReplyChunkRecord[];
  done: boolean;
  subscribers: Set<PushIterator<ReplyChunkRecord>>;
  /** Consecutive checks that found no heartbeat and no final entry. */
  missedHeartbeats: number;
  /** The first read (XRANGE) is in flight: the blocking loop leaves this feed alone until then. */
  loading: Promise<void> | null;
}

const INTERRUPTED: ReplyErrorRecord = {
  code: 'INTERRUPTED',
  message: 'The reply stopped because the server generating it went away; please send your message again.',
};

function fieldsOf(raw: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) out[raw[i]] = raw[i + 1];
  return out;
}

/**
 * Follows reply streams for every subscriber of this process. One blocking connection runs
 * one `XREAD BLOCK` over all replies that have subscribers here, so each reply has one Redis
 * reader per process however many sockets watch it. A reply's first subscriber here reads
 * what the stream holds with one XRANGE (which also tells whether it exists), then the
 * reply joins the blocking read, woken with `CLIENT UNBLOCK`. Each subscriber gets the chunks read so far from `fromSeq`, then the
 * live ones, then completes after `done`. A reply whose generator stops heartbeating (the
 * process died) ends with `done` and error INTERRUPTED.
 */
export class ReplyStreamHub {
  private readonly feeds = new Map<string, Feed>();
  /** Each subscriber's `fromSeq`, for live chunks. */
  private readonly fromSeqs = new WeakMap<PushIterator<ReplyChunkRecord>, number>();
  private blockingClientId: number | null = null;
  private blocked = false;
  private closed = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private lastHeartbeatCheck = 0;

  constructor(
    private readonly redis: RedisClient,
    private readonly blocking: RedisClient,
    private readonly prefix: string,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
    private readonly blockMs = 1_000,
  ) {}

  async start(): Promise<void> {
    this.blockingClientId = Number(await this.blocking.client('ID'));
    this.loop = this.run().catch((err: unknown) => {
      this.logger.error('reply stream reader stopped', { error: String(err) });
    });
  }

  /**
   * The chunks of reply `replyId` from `fromSeq` on, live until done. Throws NOT_FOUND when
   * the reply is unknown or has expired.
   */
  async subscribe(replyId: string, fromSeq = 0): Promise<AsyncIterableIterator<ReplyChunkRecord>> {
    if (!isOpaqueId(replyId)) throw new NotFoundError('Reply');
    let feed = this.feeds.get(replyId);
    if (!feed) {
      const keys = replyKeys(this.prefix, replyId);
      const created: Feed = {
        replyId,
        key: keys.stream,
        heartbeat: keys.heartbeat,
        lastId: '0-0',
        chunks: [],
        done: false,
        subscribers: new Set(),
        missedHeartbeats: 0,
        loading: null,
      };
      // One read gives both: whether the reply exists (every stream holds its start entry)
      // and what it holds so far, so a subscriber to a reply already under way gets its
      // chunks after one round trip; the blocking loop takes over from the last entry read.
      created.loading = this.firstRead(created);
      this.feeds.set(replyId, created);
      this.metrics.replyStreamReaders.set(this.feeds.size);
      feed = created;
    }
    const current = feed;
    if (current.loading) {
      try {
        await current.loading;
      } catch (err) {
        if (this.feeds.get(replyId) === current) this.dropFeed(current);
        throw err;
      }
    }
    const iterator: PushIterator<ReplyChunkRecord> = new PushIterator(() => {
      current.subscribers.delete(iterator);
      if (current.subscribers.size === 0 && this.feeds.get(replyId) === current) this.dropFeed(current);
    });
    for (const chunk of current.chunks) if (chunk.seq >= fromSeq || chunk.done) iterator.push(chunk);
    current.subscribers.add(iterator);
    this.fromSeqs.set(iterator, fromSeq);
    if (current.done) iterator.end();
    return iterator;
  }

  private dropFeed(feed: Feed): void {
    this.feeds.delete(feed.replyId);
    this.metrics.replyStreamReaders.set(this.feeds.size);
  }

  /**
   * The reply's entries so far (XRANGE on the command connection); NOT_FOUND when the stream
   * does not exist (unknown, expired or erased). Then the blocking loop is woken to follow it.
   * Redis failing here rejects the subscription (the caller sees the error and may retry).
   */
  private async firstRead(feed: Feed): Promise<void> {
    const entries = (await this.redis.xrange(feed.key, '-', '+', 'COUNT', 1000)) as StreamEntry[];
    if (entries.length === 0) throw new NotFoundError('Reply');
    this.ingest(feed, entries);
    feed.loading = null;
    if (!feed.done) this.interrupt();
  }

  /** Stops the reader; open subscribers complete (their clients resubscribe elsewhere). */
  async close(): Promise<void> {
    this.closed = true;
    this.interrupt();
    for (const feed of this.feeds.values()) for (const s of feed.subscribers) s.end();
    this.feeds.clear();
    this.metrics.replyStreamReaders.set(0);
    await this.loop;
  }

  /** Wakes the loop: from its idle wait, or from a running XREAD BLOCK. */
  private interrupt(): void {
    if (this.wake) {
      const wake = this.wake;
      this.wake = null;
      wake();
    }
    if (this.blocked && this.blockingClientId !== null) {
      this.redis.client('UNBLOCK', this.blockingClientId).catch(() => undefined);
    }
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      const feeds = [...this.feeds.values()].filter((f) => !f.done && !f.loading);
      if (feeds.length === 0) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
        continue;
      }
      let result: Array<[key: string, entries: StreamEntry[]]> | null = null;
      try {
        this.blocked = true;
        result = (await this.blocking.xread(
          'COUNT',
          1000,
          'BLOCK',
          this.blockMs,
          'STREAMS',
          ...feeds.map((f) => f.key),
          ...feeds.map((f) => f.lastId),
        ));
      } catch (err) {
        if (this.closed) return;
        this.logger.warn('reply stream read failed; retrying', { error: String(err) });
        await new Promise((r) => setTimeout(r, 500));
        continue;
      } finally {
        this.blocked = false;
      }
      const byKey = new Map(feeds.map((f) => [f.key, f]));
      for (const [key, entries] of result ?? []) {
        const feed = byKey.get(key);
        if (feed) this.ingest(feed, entries);
      }
      await this.checkHeartbeats(feeds.filter((f) => !f.done)).catch((err: unknown) =>
        this.logger.warn('reply heartbeat check failed', { error: String(err) }),
      );
    }
  }

  private ingest(feed: Feed, entries: StreamEntry[]): void {
    for (const [id, raw] of entries) {
      feed.lastId = id;
      feed.missedHeartbeats = 0;
      const f = fieldsOf(raw);
      if (f.k === 'd') {
        const seq = Number(f.seq);
        // An entry written twice (a command resent after a reconnect) is delivered once.
        if (feed.chunks.length && seq <= feed.chunks[feed.chunks.length - 1].seq) continue;
        this.deliver(feed, { replyId: feed.replyId, seq, delta: f.d ?? '', done: false, message: null, error: null });
      } else if (f.k === 'f') {
        this.finish(feed, Number(f.seq), f.m ? (JSON.parse(f.m) as MessageRecord) : null, f.e ? (JSON.parse(f.e) as ReplyErrorRecord) : null);
        return;
      }
    }
  }

  private deliver(feed: Feed, chunk: ReplyChunkRecord): void {
    feed.chunks.push(chunk);
    for (const s of feed.subscribers) if (chunk.done || chunk.seq >= (this.fromSeqs.get(s) ?? 0)) s.push(chunk);
  }

  private finish(feed: Feed, seq: number, message: MessageRecord | null, error: ReplyErrorRecord | null): void {
    this.deliver(feed, { replyId: feed.replyId, seq, delta: '', done: true, message, error });
    feed.done = true;
    for (const s of feed.subscribers) s.end();
    // A later subscriber starts a fresh feed that replays from Redis.
    if (this.feeds.get(feed.replyId) === feed) this.feeds.delete(feed.replyId);
    this.metrics.replyStreamReaders.set(this.feeds.size);
  }

  /**
   * At most once a second: a reply with neither a heartbeat nor new entries across two
   * checks (an XREAD in between) has lost its generator. The final entry and the heartbeat
   * deletion are one MULTI, so a finished reply is always read before its heartbeat is missed.
   */
  private async checkHeartbeats(feeds: Feed[]): Promise<void> {
    if (feeds.length === 0 || Date.now() - this.lastHeartbeatCheck < 1_000) return;
    this.lastHeartbeatCheck = Date.now();
    const pipeline = this.redis.pipeline();
    for (const feed of feeds) pipeline.exists(feed.heartbeat);
    const results = (await pipeline.exec()) ?? [];
    feeds.forEach((feed, i) => {
      const [err, exists] = results[i] ?? [];
      if (err) return;
      if (exists === 1) {
        feed.missedHeartbeats = 0;
        return;
      }
      feed.missedHeartbeats++;
      if (feed.missedHeartbeats >= 2) {
        this.logger.warn('reply interrupted: generator heartbeat lost', { replyId: feed.replyId });
        const seq = feed.chunks.length ? feed.chunks[feed.chunks.length - 1].seq + 1 : 0;
        this.finish(feed, seq, null, INTERRUPTED);
      }
    });
  }
}
