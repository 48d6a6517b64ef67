import 'reflect-metadata';
import type { FastifyInstance } from 'fastify';
import type { ContainerType } from 'type-graphql';
import type { AppConfig } from './config/config';
import { openOrm, type Orm } from './db/orm';
import { createLogger, type Logger } from './observability/logger';
import { Metrics } from './observability/metrics';
import { closeRedis, connectRedis, createRedis, type RedisClient } from './redis/redis';
import { BusinessCache } from './business/business.cache';
import { buildGraphQLSchema } from './schema/schema';
import { HealthService } from './server/health';
import { createHttpServer, type HttpServer } from './server/http-server';
import { ServerInfoResolver } from './server/server-info.resolver';
import { createKnowledgeModule, type KnowledgeModule } from './knowledge/knowledge.module';
import { devPlatformKeyAuthChecker } from './knowledge/dev-auth';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { version } = require('../package.json') as { version: string };

/** A store the server cannot run without did not answer at start-up. */
export class StartupError extends Error {
  constructor(
    readonly service: 'Redis' | 'Postgres',
    cause: unknown,
  ) {
    super(`${service} is unreachable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'StartupError';
  }
}

export interface AppOverrides {
  logger?: Logger;
}

export interface App {
  config: AppConfig;
  logger: Logger;
  metrics: Metrics;
  redis: RedisClient;
  orm: Orm;
  /** Business rows for the chat hot path, invalidated across processes. */
  businesses: BusinessCache;
  /** Documents, crawls, index jobs and the retriever for chat. */
  knowledge: KnowledgeModule;
  http: HttpServer;
  fastify: FastifyInstance;
  /** Stops accepting, drains requests and sockets, closes Redis and Postgres. Idempotent. */
  close(): Promise<void>;
}

/** Resolver instances built by hand with their collaborators, handed to type-graphql. */
class ResolverContainer implements ContainerType {
  private readonly instances = new Map<unknown, unknown>();

  register<T extends object>(instance: T): this {
    this.instances.set(instance.constructor, instance);
    return this;
  }

  get(someClass: { name: string }): unknown {
    const instance = this.instances.get(someClass);
    if (!instance) throw new Error(`No resolver instance registered for ${someClass.name}`);
    return instance;
  }
}

/**
 * The composition root: wires every collaborator by hand and returns the app without
 * listening. `main.ts` listens; tests call `app.fastify.listen({ port: 0 })`.
 * Throws {@link StartupError} when Redis or Postgres does not answer.
 */
export async function buildApp(config: AppConfig, overrides: AppOverrides = {}): Promise<App> {
  const logger = overrides.logger ?? createLogger(config.logLevel);
  const metrics = new Metrics();
  const closers: Array<() => Promise<void>> = [];

  const redis = createRedis(config, { name: 'concierge' });
  try {
    await connectRedis(redis, Math.max(config.redisConnectTimeoutMs, 1_000));
  } catch (err) {
    throw new StartupError('Redis', err);
  }
  closers.unshift(() => closeRedis(redis));
  let redisWasReady = true;
  metrics.redisUp.set(1);
  redis.on('ready', () => {
    metrics.redisUp.set(1);
    if (!redisWasReady) logger.info('redis connection restored');
    redisWasReady = true;
  });
  redis.on('error', (err: Error) => {
    metrics.redisUp.set(0);
    if (redisWasReady) logger.error('redis connection lost', { error: err.message });
    redisWasReady = false;
  });

  let orm: Orm;
  try {
    orm = await openOrm(config);
  } catch (err) {
    await closeRedis(redis);
    throw new StartupError('Postgres', err);
  }
  closers.unshift(() => orm.close(true));
  metrics.postgresUp.set(1);

  const health = new HealthService(redis, orm, metrics);

  const subscriber = createRedis(config, { name: 'concierge-sub', blocking: true });
  await connectRedis(subscriber, config.redisConnectTimeoutMs).catch((err: unknown) => {
    throw new StartupError('Redis', err);
  });
  closers.unshift(() => closeRedis(subscriber));
  subscriber.on('error', () => undefined); // the main connection logs outages
  const businesses = new BusinessCache(orm, redis, subscriber, config.redisKeyPrefix, logger);
  await businesses.start();

  const knowledge = await createKnowledgeModule({ config, orm, redis, logger, metrics, businesses });
  closers.unshift(() => knowledge.close());

  const container = new ResolverContainer().register(new ServerInfoResolver(version));
  for (const resolver of knowledge.resolvers) container.register(resolver);

  const authChecker = devPlatformKeyAuthChecker(config.adminApiKeyHashes); // TEMP until admin branch
  const schema = await buildGraphQLSchema({ container, authChecker });
  const http = await createHttpServer({ config, schema, logger, metrics, health });

  let closed: Promise<void> | undefined;
  return {
    config,
    logger,
    metrics,
    redis,
    orm,
    businesses,
    knowledge,
    http,
    fastify: http.fastify,
    close() {
      closed ??= (async () => {
        await http.close();
        for (const close of closers) {
          await close().catch((err: unknown) => logger.warn('error while closing', { error: String(err) }));
        }
      })();
      return closed;
    },
  };
}
