import type { AppConfig } from '../config/config';
import type { Logger } from '../observability/logger';
import { BullMqJobQueue } from './bullmq.queue';
import { InlineJobQueue } from './inline.queue';
import type { JobProcessors, JobQueue } from './job-queue';

/**
 * The queue the config asks for. With `bullmq` the processors run in `npm run worker`;
 * with `inline` they run here (they are needed now, hence the argument).
 */
export function createJobQueue(config: AppConfig, processors: JobProcessors, logger: Logger): JobQueue {
  const retry = { attempts: config.jobs.attempts, backoffMs: config.jobs.backoffMs };
  return config.jobs.driver === 'inline' ? new InlineJobQueue(processors, retry, logger) : new BullMqJobQueue(config, retry);
}
