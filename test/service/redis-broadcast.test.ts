import type { Logger } from '../../src/observability/logger';
import { RedisBroadcast, type BroadcastListener } from '../../src/redis/broadcast';
import { closeRedis, connectRedis, createRedis, type RedisClient } from '../../src/redis/redis';
import { REDIS_URL, uniqueName } from '../support/stores';

/**
 * The one pub/sub helper of a process, on real Redis: features listen to their own channels on
 * one subscriber connection, a reconnect tells each listener to start over, and a publish that
 * Redis does not take is a logged `false`, never an exception.
 */

const config = { redisUrl: REDIS_URL, redisConnectTimeoutMs: 500, redisCommandTimeoutMs: 2_000 };
const opened: RedisClient[] = [];

async function connection(): Promise<RedisClient> {
  const client = createRedis(config, { blocking: true });
  client.on('error', () => undefined);
  await connectRedis(client, 2_000);
  opened.push(client);
  return client;
}

const quietLogger = () => ({ warn: jest.fn() }) as unknown as Logger & { warn: jest.Mock };

/** A listener whose messages and resets can be awaited. */
function recorder(): BroadcastListener & { messages: string[]; resets: number; next(): Promise<void> } {
  let wake: (() => void) | null = null;
  const self = {
    messages: [] as string[],
    resets: 0,
    message(payload: string) {
      self.messages.push(payload);
      wake?.();
    },
    reset() {
      self.resets++;
      wake?.();
    },
    next: () => new Promise<void>((resolve) => (wake = resolve)),
  };
  return self;
}

afterAll(async () => {
  for (const client of opened) await closeRedis(client);
});

describe('RedisBroadcast', () => {
  it('delivers each channel to its own listeners only, from any process', async () => {
    const prefix = `${uniqueName('bc')}:`;
    const here = new RedisBroadcast(await connection(), await connection(), prefix, quietLogger());
    const there = new RedisBroadcast(await connection(), await connection(), prefix, quietLogger());
    const first = recorder();
    const second = recorder();
    const other = recorder();
    await here.listen('cache', first);
    await here.listen('cache', second);
    await here.listen('jobs', other);
    await here.start();

    const arrived = Promise.all([first.next(), second.next()]);
    expect(await there.publish('cache', 'id-1')).toBe(true);
    await arrived;
    expect(first.messages).toEqual(['id-1']);
    expect(second.messages).toEqual(['id-1']);
    expect(other.messages).toEqual([]);
  });

  it('subscribes a channel listened to after start', async () => {
    const prefix = `${uniqueName('bc')}:`;
    const broadcast = new RedisBroadcast(await connection(), await connection(), prefix, quietLogger());
    await broadcast.start();
    const late = recorder();
    await broadcast.listen('late', late);
    const arrived = late.next();
    expect(await broadcast.publish('late', 'hello')).toBe(true);
    await arrived;
    expect(late.messages).toEqual(['hello']);
  });

  it('calls every listener\'s reset when the subscriber reconnects, and keeps delivering after', async () => {
    const prefix = `${uniqueName('bc')}:`;
    const subscriber = await connection();
    const broadcast = new RedisBroadcast(await connection(), subscriber, prefix, quietLogger());
    const a = recorder();
    const b = recorder();
    await broadcast.listen('a', a);
    await broadcast.listen('b', b);
    await broadcast.start();
    expect([a.resets, b.resets]).toEqual([0, 0]);

    const reset = Promise.all([a.next(), b.next()]);
    subscriber.disconnect(true); // drops the socket; ioredis reconnects and re-subscribes
    await reset;
    expect([a.resets, b.resets]).toEqual([1, 1]);

    const arrived = a.next();
    expect(await broadcast.publish('a', 'after')).toBe(true);
    await arrived;
    expect(a.messages).toEqual(['after']);
  });

  it('reports a publish Redis did not take as false with a warning, without throwing', async () => {
    // A commands connection whose Redis is gone: ioredis rejects every command at once.
    const publisher = createRedis({ ...config, redisUrl: 'redis://127.0.0.1:1' });
    publisher.on('error', () => undefined);
    const logger = quietLogger();
    const broadcast = new RedisBroadcast(publisher, await connection(), `${uniqueName('bc')}:`, logger);
    await expect(broadcast.publish('cache', 'id-2')).resolves.toBe(false);
    expect(logger.warn).toHaveBeenCalledWith('broadcast not published', expect.objectContaining({ channel: 'cache' }));
    publisher.disconnect(false);
  });
});
