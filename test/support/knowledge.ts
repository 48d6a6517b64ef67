import { createHash } from 'node:crypto';
import { BusinessEntity } from '../../src/business/business.entity';
import type { Core } from '../../src/core';
import { IndexJobDocument, IndexJobUpdatesDocument, type IndexJobQuery } from '../generated/graphql';
import { collect, gql, wsClient } from './client';

/** The platform admin secret the knowledge tests use; its sha256 goes in ADMIN_API_KEY_HASHES. */
export const ADMIN_SECRET = 'knowledge-test-admin-secret';
export const ADMIN_HASH = createHash('sha256').update(ADMIN_SECRET).digest('hex');
export const ADMIN = { headers: { 'x-api-key': ADMIN_SECRET } };

/** Seeds a business through the ORM (the createBusiness mutation lives on the admin branch). */
export async function seedBusiness(app: Pick<Core, 'orm'>, fields: Partial<BusinessEntity> = {}): Promise<BusinessEntity> {
  const em = app.orm.em.fork();
  const business = Object.assign(new BusinessEntity(), { name: 'Test business', ...fields });
  await em.persistAndFlush(business);
  return business;
}

type Job = NonNullable<IndexJobQuery['indexJob']>;

/**
 * Waits for the job to finish (SUCCEEDED or FAILED) by following `indexJobUpdates`, which
 * completes after the terminal state, then reads the job once with `indexJob`. Works for jobs
 * run by this server's inline queue and by another process's BullMQ worker alike.
 */
export async function waitForJob(url: string, id: string, timeoutMs = 20_000): Promise<Job> {
  const client = wsClient(url.replace(/^http/, 'ws'), { 'x-api-key': ADMIN_SECRET });
  let timer: NodeJS.Timeout | undefined;
  try {
    const followed = await Promise.race([
      collect(client, IndexJobUpdatesDocument, { jobId: id }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`job ${id} not finished after ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    if (followed.error) throw new Error(`indexJobUpdates(${id}) failed: ${JSON.stringify(followed.error)}`);
  } finally {
    clearTimeout(timer);
    await client.dispose();
  }
  const job = (await gql(url, IndexJobDocument, { id }, ADMIN)).data?.indexJob;
  if (!job || (job.state !== 'SUCCEEDED' && job.state !== 'FAILED')) throw new Error(`job ${id} ended its updates in state ${job?.state}`);
  return job;
}

/** Follows `indexJobUpdates` until the job reports `state` (say RUNNING); then stops following. */
export async function waitForJobState(url: string, id: string, state: Job['state'], timeoutMs = 10_000): Promise<void> {
  const client = wsClient(url.replace(/^http/, 'ws'), { 'x-api-key': ADMIN_SECRET });
  let timer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`job ${id} never reached ${state} in ${timeoutMs} ms`)), timeoutMs);
      void collect(client, IndexJobUpdatesDocument, { jobId: id }, (update) => {
        if (update.data?.indexJobUpdates.state === state) resolve();
      }).then(({ error }) => reject(new Error(`job ${id} updates ended before ${state}${error ? `: ${JSON.stringify(error)}` : ''}`)));
    });
  } finally {
    clearTimeout(timer);
    await client.dispose();
  }
}
