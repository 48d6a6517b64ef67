import 'reflect-metadata';
import { ConfigError, describeConfig, loadConfig } from './config/config';
import { openOrm } from './db/orm';
import { BullMqJobWorker } from './jobs/bullmq.queue';
import type { JobProcessors } from './jobs/job-queue';
import { BusinessCache } from './business/business.cache';
import { createChatModule } from './chat/chat.module';
import { createKnowledgeProcessors } from './knowledge/knowledge.module';
import { KnowledgeRetriever } from './knowledge/knowledge.retriever';
import { createSpeechRecognizer, createVoiceModule } from './voice/voice.module';
import { createLogger } from './observability/logger';
import { Metrics } from './observability/metrics';
import { closeRedis, connectRedis, createRedis } from './redis/redis';

/**
 * `npm run worker`: consumes the BullMQ queue. Features register their processors by job
 * name below; SIGTERM/SIGINT let running jobs finish, then exit 0.
 */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    createLogger('info', { process: 'worker' }).error(err instanceof ConfigError ? err.message : String(err));
    process.exit(1);
  }
  const logger = createLogger(config.logLevel, { process: 'worker' });
  const metrics = new Metrics();
  const redis = createRedis(config, { name: 'concierge-worker-pub' });
  try {
    await connectRedis(redis, config.redisConnectTimeoutMs);
  } catch (err) {
    logger.error(`cannot start: Redis is unreachable: ${String(err)}`);
    process.exit(1);
  }
  let orm;
  try {
    orm = await openOrm(config);
  } catch (err) {
    logger.error(`cannot start: Postgres is unreachable: ${String(err)}`);
    await closeRedis(redis);
    process.exit(1);
  }

  // Voice jobs end in a chat turn: the worker runs the chat service (sessions, reply streams,
  // the provider) against the same Redis, so the api's subscribers see the reply stream in.
  const subscriber = createRedis(config, { name: 'concierge-worker-sub', blocking: true });
  await connectRedis(subscriber, config.redisConnectTimeoutMs);
  subscriber.on('error', () => undefined);
  const businesses = new BusinessCache(orm, redis, subscriber, config.redisKeyPrefix, logger);
  await businesses.start();
  const chat = await createChatModule({
    config,
    redis,
    businesses,
    retriever: new KnowledgeRetriever(orm.em.getKnex(), metrics),
    speechRecognizer: createSpeechRecognizer(config, logger),
    metrics,
    logger,
  });
  const voice = await createVoiceModule({ config, logger, metrics, redis, businesses, turns: chat.voiceTurns, transcriber: chat.provider });

  const processors: JobProcessors = {
    ...createKnowledgeProcessors({ config, orm, redis, logger, metrics }).processors,
    ...voice.jobProcessors,
  };
  const worker = new BullMqJobWorker(config, processors, { concurrency: config.jobs.concurrency, logger });
  await worker.waitUntilReady();
  logger.info('worker started', { jobs: Object.keys(processors), concurrency: config.jobs.concurrency, ...describeConfig(config) });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('worker shutting down', { signal });
    worker
      .close()
      .then(() => voice.close())
      .then(() => chat.close())
      .then(() => closeRedis(subscriber))
      .then(() => orm.close(true))
      .then(() => closeRedis(redis))
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        logger.error('worker shutdown failed', { error: String(err) });
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  createLogger('error', { process: 'worker' }).error('worker crashed', { error: err instanceof Error ? err.stack : String(err) });
  process.exit(1);
});
