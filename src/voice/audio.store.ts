import { randomUUID } from 'node:crypto';
import type { RedisClient } from '../redis/redis';

/**
 * Uploaded audio parked in Redis for the worker: every api and worker process reaches it
 * (a local path would not survive a second host). Keys carry the configured prefix and a TTL,
 * so audio the worker never picks up disappears on its own.
 */
export class VoiceAudioStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keyPrefix: string,
    private readonly ttlSeconds: number,
  ) {}

  /** Stores the bytes; returns the full (prefixed) key. */
  async put(audio: Buffer): Promise<string> {
    const key = `${this.keyPrefix}voice:audio:${randomUUID()}`;
    await this.redis.set(key, audio, 'EX', this.ttlSeconds);
    return key;
  }

  /** The bytes, or null when expired or already processed. */
  async get(key: string): Promise<Buffer | null> {
    this.assertOwnKey(key);
    return this.redis.getBuffer(key);
  }

  async delete(key: string): Promise<void> {
    this.assertOwnKey(key);
    await this.redis.del(key);
  }

  // A job payload is data: never let it name a key outside our namespace.
  private assertOwnKey(key: string): void {
    if (!key.startsWith(`${this.keyPrefix}voice:audio:`)) throw new Error(`Not a voice audio key: ${key}`);
  }
}
