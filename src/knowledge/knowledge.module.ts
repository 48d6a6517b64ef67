import type { RequestContext } from '../common/request-context';
import type { BusinessCache } from '../business/business.cache';
import type { AppConfig } from '../config/config';
import type { Orm } from '../db/orm';
import { createJobQueue } from '../jobs/create-queue';
import type { JobProcessors, JobQueue } from '../jobs/job-queue';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { closeRedis, connectRedis, createRedis, type RedisClient } from '../redis/redis';
import { IndexJobStore } from './index-job.store';
import { IndexJobUpdates } from './index-job.updates';
import { KnowledgeIndexer } from './knowledge.indexer';
import { KnowledgeResolver, type KnowledgeContext } from './knowledge.resolver';
import { KnowledgeRetriever } from './knowledge.retriever';
import { KnowledgeService } from './knowledge.service';
import type { Retriever } from './retriever';
import { WebsiteCrawlRunner } from './website.crawl-job';

export interface KnowledgeDeps {
  config: AppConfig;
  orm: Orm;
  /** The app's (fail-fast) connection: publishes index job updates. */
  redis: RedisClient;
  logger: Logger;
  metrics: Metrics;
}

/** The job processors of the knowledge base, by job name (worker process, or inline in tests). */
export function createKnowledgeProcessors(deps: KnowledgeDeps): { processors: JobProcessors; jobs: IndexJobStore } {
  const knex = deps.orm.em.getKnex();
  const jobs = new IndexJobStore(knex, deps.redis, deps.config.redisKeyPrefix, deps.logger);
  const crawl = new WebsiteCrawlRunner(knex, deps.config, deps.metrics, deps.logger);
  const indexer = new KnowledgeIndexer(knex, jobs, deps.metrics, deps.logger, crawl);
  return { processors: indexer.processors(), jobs };
}

export interface KnowledgeModule {
  resolvers: object[];
  /** For the chat turn. */
  retriever: Retriever;
  service: KnowledgeService;
  queue: JobQueue;
  /** Adds the knowledge service to an operation's context (for the indexJobUpdates subscription). */
  extendContext<T extends RequestContext>(ctx: T): T & KnowledgeContext;
  close(): Promise<void>;
}

/**
 * The knowledge feature for an api process: resolvers, the retriever for chat, the job
 * queue (BullMQ producer, or the inline driver that also runs the processors here), and the
 * Redis subscriber that streams index job updates to subscriptions.
 */
export async function createKnowledgeModule(deps: KnowledgeDeps & { businesses: BusinessCache }): Promise<KnowledgeModule> {
  const knex = deps.orm.em.getKnex();
  const { processors, jobs } = createKnowledgeProcessors(deps);
  const queue = createJobQueue(deps.config, processors, deps.logger);
  const subscriber = createRedis(deps.config, { name: 'concierge-knowledge-sub', blocking: true });
  try {
    await connectRedis(subscriber, deps.config.redisConnectTimeoutMs);
  } catch (err) {
    await queue.close();
    throw err;
  }
  subscriber.on('error', () => undefined); // the main connection logs outages
  const updates = new IndexJobUpdates(subscriber, jobs);
  await updates.start();
  const retriever = new KnowledgeRetriever(knex, deps.metrics);
  const service = new KnowledgeService(knex, deps.config, queue, jobs, updates, retriever, deps.businesses, deps.logger);
  return {
    resolvers: [new KnowledgeResolver(service)],
    retriever,
    service,
    queue,
    extendContext: <T extends RequestContext>(ctx: T) => Object.assign(ctx, { knowledge: service }),
    async close() {
      // Inline jobs finish first: they write to Postgres, which closes after us.
      await queue.close();
      await closeRedis(subscriber);
    },
  };
}
