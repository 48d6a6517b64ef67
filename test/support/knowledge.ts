import { createHash } from 'node:crypto';
import { BusinessEntity } from '../../src/business/business.entity';
import type { App } from '../../src/app';
import { IndexJobDocument, type IndexJobQuery } from '../generated/graphql';
import { gql } from './client';

/** The platform admin secret the knowledge tests use; its sha256 goes in ADMIN_API_KEY_HASHES. */
export const ADMIN_SECRET = 'knowledge-test-admin-secret';
export const ADMIN_HASH = createHash('sha256').update(ADMIN_SECRET).digest('hex');
export const ADMIN = { headers: { 'x-api-key': ADMIN_SECRET } };

/** Seeds a business through the ORM (the createBusiness mutation lives on the admin branch). */
export async function seedBusiness(app: App, fields: Partial<BusinessEntity> = {}): Promise<BusinessEntity> {
  const em = app.orm.em.fork();
  const business = Object.assign(new BusinessEntity(), { name: 'Test business', ...fields });
  await em.persistAndFlush(business);
  return business;
}

type Job = NonNullable<IndexJobQuery['indexJob']>;

/** Polls indexJob until the job is SUCCEEDED or FAILED (or the timeout passes). */
export async function waitForJob(url: string, id: string, timeoutMs = 20_000): Promise<Job> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await gql(url, IndexJobDocument, { id }, ADMIN);
    const job = res.data?.indexJob;
    if (job && (job.state === 'SUCCEEDED' || job.state === 'FAILED')) return job;
    if (Date.now() > deadline) throw new Error(`job ${id} still ${job?.state} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
