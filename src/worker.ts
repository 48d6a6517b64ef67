import 'reflect-metadata';
import { StartupError } from './core';
import { ConfigError, describeConfig, loadConfig } from './config/config';
import { createLogger } from './observability/logger';
import { buildWorker } from './worker-app';

/**
 * `npm run worker`: consumes the job queue with every processor the core registered.
 * SIGTERM/SIGINT let running jobs finish, then exit 0.
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
  let worker;
  try {
    worker = await buildWorker(config, { logger });
  } catch (err) {
    logger.error(`cannot start: ${err instanceof StartupError ? err.message : String(err)}`);
    process.exit(1);
  }
  logger.info('worker started', { jobs: worker.jobRegistry.names(), concurrency: config.jobs.concurrency, ...describeConfig(config) });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('worker shutting down', { signal });
    worker
      .close()
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
