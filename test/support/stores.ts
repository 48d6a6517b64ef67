import { MikroORM } from '@mikro-orm/core';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { ormOptions } from '../../src/db/orm';

/** Where the tests find Postgres and Redis; CI's .ci/run starts both when they are down. */
export const PG_BASE = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

async function admin<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: `${PG_BASE}/postgres` });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** A fresh database for one test file, migrated with the real migrations. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = uniqueName('concierge_t');
  await admin((c) => c.query(`create database "${name}"`));
  const url = `${PG_BASE}/${name}`;
  const orm = await MikroORM.init(ormOptions({ databaseUrl: url, dbPool: { min: 0, max: 2, idleTimeoutMillis: 1000, acquireTimeoutMillis: 5000 } }));
  try {
    await orm.getMigrator().up();
  } finally {
    await orm.close(true);
  }
  return {
    name,
    url,
    drop: () => admin((c) => c.query(`drop database if exists "${name}" with (force)`)).then(() => undefined),
  };
}
