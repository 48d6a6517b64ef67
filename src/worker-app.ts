import 'reflect-metadata';
import type { AppConfig } from './config/config';
import { buildCore, type Core, type CoreOverrides } from './core';
import { bullConnection, BullMqJobWorker } from './jobs/bullmq.queue';
import { closeRedis } from './redis/redis';
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Metrics } from './observability/metrics';
import { conversationTiming, ConversationWorker } from './analytics/conversation.worker';

/** How often the worker looks for due re-crawls. */
const RECRAWL_ROUND_MS = 5 * 60_000;

/** A job worker process: the core plus the BullMQ consumer of its job registry. */
export interface WorkerApp extends Core {
  worker: BullMqJobWorker;
  /** Drains chat events into conversation records, ends idle conversations, applies retention. */
  conversationWorker: ConversationWorker;
  /** The port of the worker's own /metrics (WORKER_METRICS_PORT; 0 picks a free one), or null when not served. */
  metricsPort: number | null;
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
  // Re-crawls of businesses with recrawlIntervalHours: a round every RECRAWL_ROUND_MS.
  const recrawls = setInterval(() => {
    core.knowledge.service.startDueRecrawls().catch((err: unknown) => core.logger.warn('re-crawl round failed', { error: String(err) }));
  }, RECRAWL_ROUND_MS);
  recrawls.unref();
  let metricsServer: Server | null = null;
  if (config.workerMetricsPort !== undefined) {
    try {
      metricsServer = await serveMetrics(core.metrics, config.host, config.workerMetricsPort, config.metricsToken);
    } catch (err) {
      core.logger.error('worker /metrics not served', { port: config.workerMetricsPort, error: err instanceof Error ? err.message : String(err) });
    }
  }
  let closed: Promise<void> | undefined;
  return {
    ...core,
    worker,
    conversationWorker,
    metricsPort: metricsServer ? (metricsServer.address() as AddressInfo).port : null,
    close() {
      closed ??= (async () => {
        if (metricsServer) {
          const server = metricsServer;
          server.closeAllConnections();
          await new Promise<void>((resolve) => server.close(() => resolve()));
        }
        clearInterval(recrawls);
        await conversationWorker.close();
        await worker.close();
        await closeRedis(connection);
        await core.close();
      })();
      return closed;
    },
  };
}

/**
 * The worker's own `GET /metrics` (WORKER_METRICS_PORT): what only the worker counts
 * (conversations ended, webhook deliveries, jobs) would otherwise never be scraped. The same
 * METRICS_TOKEN rule as the api's. A port already in use is logged; the worker runs without it.
 */
async function serveMetrics(metrics: Metrics, host: string, port: number, token: string | undefined): Promise<Server> {
  const digest = token ? createHash('sha256').update(token).digest() : null;
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
      return;
    }
    if (digest) {
      const given = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1]?.trim() ?? '';
      if (given === '' || !timingSafeEqual(createHash('sha256').update(given).digest(), digest)) {
        res.writeHead(401, { 'content-type': 'text/plain; charset=utf-8', 'www-authenticate': 'Bearer realm="metrics"' }).end('unauthorized\n');
        return;
      }
    }
    metrics.registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}
