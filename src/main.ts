import 'reflect-metadata';
import cluster from 'node:cluster';
import { buildApp, StartupError } from './app';
import { ConfigError, describeConfig, loadConfig, type AppConfig } from './config/config';
import { createLogger } from './observability/logger';

/**
 * `npm start`: the API process. With WEB_CONCURRENCY > 1 the primary forks that many cluster workers
 * (Node cluster, sharing the port) and restarts any that crash; each worker is a full,
 * stateless API process. SIGTERM/SIGINT drain and exit 0.
 */
async function runApiProcess(config: AppConfig): Promise<void> {
  const logger = createLogger(config.logLevel, { process: 'api' });
  let app;
  try {
    app = await buildApp(config, { logger });
  } catch (err) {
    if (err instanceof StartupError) {
      logger.error(`cannot start: ${err.message}`, { store: err.service });
    } else {
      logger.error('cannot start', { error: err instanceof Error ? err.message : String(err) });
    }
    process.exit(1);
  }
  // Handlers go in before listening: a signal that arrives right after the 'listening' line
  // must drain, not kill the process with the default action.
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal, graceMs: config.shutdownGraceMs });
    app
      .close()
      .then(() => {
        logger.info('stopped');
        process.exit(0);
      })
      .catch((err: unknown) => {
        logger.error('shutdown failed', { error: err instanceof Error ? err.message : String(err) });
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  let address: string;
  try {
    address = await app.fastify.listen({ port: config.port, host: config.host });
  } catch (err) {
    // EADDRINUSE, EACCES on a low port, an unknown HOST: one line, stores closed, exit 1.
    logger.error(`cannot listen on ${config.host}:${config.port}: ${err instanceof Error ? err.message : String(err)}`, {
      code: (err as NodeJS.ErrnoException).code,
    });
    // Closing the stores is bounded: nothing was served, so a store that does not answer its
    // quit (or a pool still connecting under load) must not keep a failed start alive.
    let bound: NodeJS.Timeout | undefined;
    await Promise.race([
      app.close().catch(() => undefined),
      new Promise<void>((resolve) => {
        bound = setTimeout(resolve, Math.min(config.shutdownGraceMs, 5_000));
      }),
    ]);
    clearTimeout(bound);
    process.exit(1);
  }
  logger.info('listening', { address, graphql: `${address}/graphql`, ...(cluster.isWorker ? {} : describeConfig(config)) });
}

function runPrimary(config: AppConfig): void {
  const logger = createLogger(config.logLevel, { process: 'primary' });
  logger.info('starting cluster', { workers: config.webConcurrency, ...describeConfig(config) });
  let stopping = false;
  const restarts: number[] = [];
  for (let i = 0; i < config.webConcurrency; i++) cluster.fork();

  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    const now = Date.now();
    restarts.push(now);
    while (restarts.length && restarts[0] < now - 60_000) restarts.shift();
    // A worker that cannot start (config, Redis, Postgres) exits 1 at once: don't spin.
    if (restarts.length > config.webConcurrency * 5) {
      logger.error('workers keep crashing; giving up', { code, signal });
      process.exit(1);
    }
    logger.warn('worker exited; starting a new one', { workerPid: worker.process.pid, code, signal });
    cluster.fork();
  });

  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down cluster', { signal });
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal);
    const timer = setTimeout(() => process.exit(1), config.shutdownGraceMs + 5_000);
    timer.unref();
    cluster.on('exit', () => {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

function main(): void {
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (err) {
    createLogger('error', { process: 'api' }).error(err instanceof ConfigError ? err.message : `Invalid configuration: ${String(err)}`, {
      variable: err instanceof ConfigError ? err.variable : undefined,
    });
    process.exit(1);
  }
  if (cluster.isPrimary && config.webConcurrency > 1) {
    runPrimary(config);
  } else {
    void runApiProcess(config);
  }
}

main();
