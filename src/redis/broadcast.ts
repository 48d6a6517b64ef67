import type { Logger } from '../observability/logger';
import type { RedisClient } from './redis';

export interface BroadcastListener {
  /** A message published on the channel by any process (this one included). */
  message(payload: string): void;
  /**
   * The subscriber reconnected: messages published meanwhile are lost, so whatever the
   * listener keeps from them (a cache) should start over.
   */
  reset?(): void;
}

/**
 * Pub/sub for every feature of a process on ONE subscriber connection: each feature listens
 * to its own channel (under the key prefix) and publishes to it on the commands connection.
 * A failed publish is logged and reported as `false`, never thrown: the caller's write has
 * already committed, and the other processes' copies expire by their own TTL.
 */
export class RedisBroadcast {
  private readonly listeners = new Map<string, BroadcastListener[]>();
  private started = false;

  constructor(
    private readonly publisher: RedisClient,
    private readonly subscriber: RedisClient,
    private readonly keyPrefix: string,
    private readonly logger: Logger,
  ) {
    this.subscriber.on('message', (channel: string, payload: string) => {
      for (const listener of this.listeners.get(channel) ?? []) listener.message(payload);
    });
    // 'ready' after the first connection is a reconnect: ioredis re-subscribes by itself.
    this.subscriber.on('ready', () => {
      if (!this.started) return;
      for (const list of this.listeners.values()) for (const listener of list) listener.reset?.();
    });
  }

  /** Listens to `name` (prefixed here); subscribes at once when the broadcast has started. */
  async listen(name: string, listener: BroadcastListener): Promise<void> {
    const channel = this.keyPrefix + name;
    const list = this.listeners.get(channel);
    if (list) {
      list.push(listener);
      return;
    }
    this.listeners.set(channel, [listener]);
    if (this.started) await this.subscriber.subscribe(channel);
  }

  /** Subscribes every channel listened to so far (once, at start-up). */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    if (this.listeners.size) await this.subscriber.subscribe(...this.listeners.keys());
  }

  /** Publishes `payload` on `name`; false (and a warning) when Redis did not take it. */
  async publish(name: string, payload: string): Promise<boolean> {
    try {
      await this.publisher.publish(this.keyPrefix + name, payload);
      return true;
    } catch (err) {
      this.logger.warn('broadcast not published', { channel: name, error: String(err) });
      return false;
    }
  }
}
