import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/config';
import { openOrm } from '../db/orm';
import { createLogger } from '../observability/logger';
import { closeRedis, connectRedis, createRedis, type RedisClient } from '../redis/redis';
import { hashSecret } from './api-key.secret';
import { BusinessEntity } from '../business/business.entity';
import { RedisBroadcast } from '../redis/broadcast';
import { ApiKeyService } from './api-key.service';
import { toApiKey } from './api-key.types';
import type { Principal } from '../common/principal';

/**
 * `npm run apikey -- create --name NAME [--business ID]` prints the new secret alone on the
 * last line of stdout (everything else is a JSON log line); `list`; `revoke ID`;
 * `hash SECRET` prints the sha256 hex digest for ADMIN_API_KEY_HASHES (`hash -` reads the
 * secret from stdin, keeping it out of shell history and the process list).
 * The CLI acts with platform rights: whoever can run it can read DATABASE_URL anyway.
 */
const USAGE = 'usage: apikey create --name NAME [--business ID] | list | revoke ID | hash SECRET|-';
const PLATFORM: Principal = { kind: 'platform', keyId: null };

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    args: process.argv.slice(2),
    allowPositionals: true,
    options: { name: { type: 'string' }, business: { type: 'string' } },
  });
  const [command, arg] = positionals;

  if (command === 'hash') {
    if (!arg) throw new Error(USAGE);
    const secret = arg === '-' ? (await readStdin()).trim() : arg;
    if (!secret) throw new Error('hash: empty secret');
    process.stdout.write(`${hashSecret(secret)}\n`);
    return;
  }
  if (!['create', 'list', 'revoke'].includes(command ?? '')) throw new Error(USAGE);

  const config = loadConfig();
  // The CLI reports through log lines (list prints one per key): never quieter than info.
  const logger = createLogger(['error', 'warn'].includes(config.logLevel) ? 'info' : config.logLevel, { process: 'apikey' });
  const orm = await openOrm(config);
  // Redis only carries revocations to running servers; without it they stop honouring the
  // key when their short lookup cache expires (seconds).
  let redis: RedisClient | undefined = createRedis(config, { name: 'concierge-apikey-cli' });
  if (command === 'revoke') {
    await connectRedis(redis, config.redisConnectTimeoutMs).catch((err: unknown) => {
      logger.warn('redis unreachable: running servers drop the revoked key within their cache TTL', { error: String(err) });
      redis = undefined;
    });
  } else {
    redis.disconnect(false);
    redis = undefined;
  }
  // Publishes the revocation only; the CLI never listens.
  const broadcast = redis ? new RedisBroadcast(redis, redis, config.redisKeyPrefix, logger) : undefined;
  const businessExists = async (id: string) => (await orm.em.fork().count(BusinessEntity, { id })) > 0;
  const keys = new ApiKeyService({ orm, logger, configuredHashes: [], broadcast, businessExists });
  try {
    if (command === 'create') {
      if (!values.name) throw new Error(USAGE);
      const { key, secret } = await keys.create(PLATFORM, { name: values.name, businessId: values.business ?? null });
      logger.info('api key created; the secret on the next line is shown only once', {
        id: key.id,
        name: key.name,
        businessId: key.businessId ?? null,
        prefix: key.prefix,
      });
      process.stdout.write(`${secret}\n`);
    } else if (command === 'list') {
      for (const key of await keys.list(PLATFORM)) {
        logger.info('api key', { ...toApiKey(key) });
      }
    } else {
      if (!arg) throw new Error(USAGE);
      await keys.revoke(PLATFORM, arg);
      logger.info('api key revoked', { id: arg });
    }
  } finally {
    await keys.close();
    await orm.close(true);
    if (redis) await closeRedis(redis);
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

main().catch((err: unknown) => {
  createLogger('error', { process: 'apikey' }).error('apikey command failed', { error: err instanceof Error ? err.message : String(err) });
  process.exitCode = 1;
});
