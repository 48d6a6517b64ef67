import 'reflect-metadata';
import type { FastifyInstance } from 'fastify';
import type { ContainerType } from 'type-graphql';
import type { AppConfig } from './config/config';
import { openOrm, type Orm } from './db/orm';
import { createLogger, type Logger } from './observability/logger';
import { Metrics } from './observability/metrics';
import { closeRedis, connectRedis, createRedis, type RedisClient } from './redis/redis';
import { createAuthModule } from './auth/auth.module';
import type { ApiKeyService } from './auth/api-key.service';
import { BusinessCache } from './business/business.cache';
import { createBusinessModule } from './business/business.module';
import type { BusinessService } from './business/business.service';
import { createGraphQLHardening } from './server/graphql-hardening';
import { buildGraphQLSchema } from './schema/schema';
import { HealthService } from './server/health';
import { createHttpServer, type HttpServer } from './server/http-server';
import { ServerInfoResolver } from './server/server-info.resolver';
import { createChatModule, type ChatModule } from './chat/chat.module';
import type { Retriever } from './knowledge/retriever';
import type { SpeechRecognizer } from './llm/speech-recognizer';
import { createSpeechRecognizer, createVoiceModule, voiceJobQueue, type VoiceModule, type VoiceModuleDeps } from './voice/voice.module';
import { createJobQueue } from './jobs/create-queue';
import type { JobProcessors } from './jobs/job-queue';
import { createKnowledgeModule, type KnowledgeModule } from './knowledge/knowledge.module';

import { readPackageVersion } from './common/version';

const version = readPackageVersion();

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
  /** Knowledge retrieval for chat turns; defaults to the knowledge base (Postgres full-text search). */
  retriever?: Retriever;
  /** Local speech recognition for the offline provider's transcribe; default: voice's pocketsphinx. */
  speechRecognizer?: SpeechRecognizer;
  /**
   * Replaces voice's seams for tests that need to observe them: `turns` (default: the chat
   * service), `queue` (default: the jobs queue of JOB_DRIVER; `null`: every upload is
   * transcribed in the request), `transcriber` (default: the chat LlmProvider).
   */
  voice?: Partial<Pick<VoiceModuleDeps, 'turns' | 'queue' | 'transcriber'>>;
}

export interface App {
  config: AppConfig;
  logger: Logger;
  metrics: Metrics;
  redis: RedisClient;
  orm: Orm;
  /** Business rows for the chat hot path, invalidated across processes. */
  businesses: BusinessCache;
  /** API keys: authentication, creation, revocation. */
  apiKeys: ApiKeyService;
  /** Business admin; features register deleteBusiness cleanup with `onDelete`/`onDeleted`. */
  businessService: BusinessService;
  /** Chat sessions, turns, reply streams, the LLM provider and the chat rate limits. */
  chat: ChatModule;
  /** Documents, crawls, index jobs and the retriever for chat. */
  knowledge: KnowledgeModule;
  http: HttpServer;
  voice: VoiceModule;
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

  const closeAll = async (): Promise<void> => {
    for (const close of closers) {
      await close().catch((err: unknown) => logger.warn('error while closing', { error: String(err) }));
    }
  };

  // Whatever fails from here on, what is already open is closed before the error goes up.
  try {
    const health = new HealthService(redis, orm, metrics);

    const subscriber = createRedis(config, { name: 'concierge-sub', blocking: true });
    await connectRedis(subscriber, config.redisConnectTimeoutMs).catch((err: unknown) => {
      throw new StartupError('Redis', err);
    });
    closers.unshift(() => closeRedis(subscriber));
    subscriber.on('error', () => undefined); // the main connection logs outages
    const businesses = new BusinessCache(orm, redis, subscriber, config.redisKeyPrefix, logger);
    await businesses.start();

    const auth = await createAuthModule({ config, orm, redis, subscriber, logger });
    // Runs before the ORM and Redis close (closers run in order; unshift puts it first).
    closers.unshift(() => auth.close());
    const business = createBusinessModule({ orm, businesses, apiKeys: auth.apiKeys, logger });
    const hardening = createGraphQLHardening({ isProduction: config.isProduction, authenticator: auth.apiKeys });

    const knowledge = await createKnowledgeModule({ config, orm, redis, logger, metrics, businesses });
    closers.unshift(() => knowledge.close());

    const chat = await createChatModule({
      config,
      redis,
      businesses,
      retriever: overrides.retriever ?? knowledge.retriever,
      speechRecognizer: overrides.speechRecognizer ?? createSpeechRecognizer(config, logger),
      metrics,
      logger,
    });
    closers.unshift(() => chat.close());
    // A deleted business's visitors lose their transcripts now, not when the session TTL runs out.
    business.service.onDeleted(async (id) => void (await chat.sessions.deleteForBusiness(id)));

    // Voice transcribes with the chat provider, continues the turn through the chat service and
    // hands large files to the jobs queue (BullMQ: `npm run worker` runs them; inline: here, so
    // the processor is registered below once the module exists).
    const voiceProcessors: JobProcessors = {};
    const voiceJobs = createJobQueue(config, voiceProcessors, logger);
    const voice = await createVoiceModule({
      config,
      logger,
      metrics,
      redis,
      businesses,
      turns: chat.voiceTurns,
      transcriber: chat.provider,
      queue: voiceJobQueue(voiceJobs),
      ...overrides.voice,
    });
    Object.assign(voiceProcessors, voice.jobProcessors);
    // Closes before chat (unshift): no new voice turn starts while chat's generator drains, and
    // inline voice jobs finish before that.
    closers.unshift(() => voice.close());
    closers.unshift(() => voiceJobs.close());

    const container = new ResolverContainer().register(new ServerInfoResolver(version));
    for (const resolver of [...auth.resolvers, ...business.resolvers, ...chat.resolvers, ...voice.resolvers, ...knowledge.resolvers]) container.register(resolver);

    const schema = await buildGraphQLSchema({ container, authChecker: auth.authChecker });
    const http = await createHttpServer({
      config,
      schema,
      logger,
      metrics,
      health,
      extendContext: (ctx) => knowledge.extendContext(chat.extendContext(ctx)),
      apolloPlugins: hardening.apolloPlugins,
      validationRules: hardening.validationRules,
      parseOptions: hardening.parseOptions,
      prepareWsOperation: (schema, query, apiKey) => hardening.prepareWsOperation(schema, query, apiKey),
    });

    let closed: Promise<void> | undefined;
    return {
      config,
      logger,
      metrics,
      redis,
      orm,
      businesses,
      apiKeys: auth.apiKeys,
      businessService: business.service,
      chat,
      knowledge,
      http,
      voice,
      fastify: http.fastify,
      close() {
        closed ??= (async () => {
          await http.close();
          await closeAll();
        })();
        return closed;
      },
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
