import 'reflect-metadata';
import type { AppConfig } from './config/config';
import { buildCore, type Core, type CoreOverrides } from './core';
import { bullConnection, BullMqJobWorker } from './jobs/bullmq.queue';
import { closeRedis } from './redis/redis';
import { conversationTiming, ConversationWorker } from './analytics/conversation.worker';

/** A job worker process: the core plus the BullMQ consumer of its job registry. */
export interface WorkerApp extends Core {
  worker: BullMqJobWorker;
  /** Drains chat events into conversation records, ends idle conversations, applies retention. */
  conversationWorker: ConversationWorker;
  /** Lets running jobs finish, then closes the core. Idempotent. */
  close(): Promise<void>;
}

/**
 * `npm run worker`'s process, without signal handling: {@link buildCore} (the same services and
 * processors as an api process) plus a BullMQ worker running `concurrency` jobs at a time from
 * the core's job registry, and the webhook deliveries' poller. Tests build one to play the worker. Throws StartupError like buildCore.
 */
export async function buildWorker(config: AppConfig, overrides: CoreOverrides = {}): Promise<WorkerApp> {
  const core = await buildCore(config, overrides);
  // The consumer's own connection: BullMQ's blocking fetch must not queue behind the producer's.
  const connection = bullConnection(config, 'concierge-worker');
  const worker = new BullMqJobWorker(connection, config, core.jobRegistry, { concurrency: config.jobs.concurrency, logger: core.logger });
  try {
    await worker.waitUntilReady();
  } catch (err) {
    await worker.close().catch(() => undefined);
    await closeRedis(connection);
    await core.close();
    throw err;
  }
  // Webhook deliveries: the poller over the outbox table (stopped by core.close()).
  core.webhooks.start();
  const conversationWorker = new ConversationWorker(core.conversations.tasks, core.logger, conversationTiming(config.conversations.idleMs));
  conversationWorker.start();
  let closed: Promise<void> | undefined;
  return {
    ...core,
    worker,
    conversationWorker,
    close() {
      closed ??= (async () => {
        await conversationWorker.close();
        await worker.close();
        await closeRedis(connection);
        await core.close();
      })();
      return closed;
    },
  };
}
