import Redis, { type RedisOptions } from 'ioredis';
import type { AppConfig } from '../config/config';

export type RedisClient = Redis;

/**
 * Options shared by every connection. `enableOfflineQueue: false` makes a command fail at
 * once while Redis is unreachable (no unbounded queue, no hang); `commandTimeout` bounds a
 * command on a connection that is up but stuck; the retry strategy reconnects forever with
 * a capped backoff, so the process recovers by itself when Redis returns.
 */
export function redisOptions(config: Pick<AppConfig, 'redisConnectTimeoutMs' | 'redisCommandTimeoutMs'>, blocking = false): RedisOptions {
  return {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: config.redisConnectTimeoutMs,
    // Blocking readers (XREAD BLOCK) and BullMQ set their own waits.
    commandTimeout: blocking ? undefined : config.redisCommandTimeoutMs,
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 5), 2_000),
    enableReadyCheck: true,
  };
}

export function createRedis(
  config: Pick<AppConfig, 'redisUrl' | 'redisConnectTimeoutMs' | 'redisCommandTimeoutMs'>,
  opts: { blocking?: boolean; name?: string } = {},
): RedisClient {
  return new Redis(config.redisUrl, { ...redisOptions(config, opts.blocking), connectionName: opts.name });
}

/**
 * Connects and pings within `timeoutMs`, or throws. Used at start-up: the server refuses to
 * run without Redis (there is no in-memory fallback).
 */
export async function connectRedis(client: RedisClient, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  // Without a listener ioredis prints "[ioredis] Unhandled error event" to stderr; keep the
  // first socket error instead, as it says more than "Connection is closed".
  let socketError: Error | undefined;
  const onError = (err: Error) => {
    socketError ??= err;
  };
  client.on('error', onError);
  try {
    await Promise.race([
      (async () => {
        if (client.status === 'wait') await client.connect();
        await client.ping();
      })(),
      timeout,
    ]);
  } catch (err) {
    client.disconnect(false);
    throw socketError ?? err;
  } finally {
    clearTimeout(timer);
    client.off('error', onError);
  }
}

/** Closes a connection politely, or drops it when it is not up. */
export async function closeRedis(client: RedisClient): Promise<void> {
  if (client.status === 'ready') {
    try {
      await client.quit();
      return;
    } catch {
      // fall through to a hard disconnect
    }
  }
  client.disconnect(false);
}
