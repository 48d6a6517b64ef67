import { MikroORM } from '@mikro-orm/core';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { loadConfig, type AppConfig } from '../src/config/config';
import { openOrm, ormOptions, type Orm } from '../src/db/orm';

/** The Postgres server benchmarks make their databases on (`BENCH_PG_URL`, no database name). */
export const PG_BASE = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';

export interface BenchDatabase {
  name: string;
  url: string;
  /** A production config naming the database (local Redis). */
  config: AppConfig;
  orm: Orm;
}

/**
 * Runs `run` against a new, migrated database of its own, then closes the ORM and drops the
 * database (kept when `BENCH_KEEP_DB` is set, to look at it afterwards) whatever `run` did.
 */
export async function withBenchDatabase(run: (db: BenchDatabase) => Promise<void>, out: (line: string) => void = () => undefined): Promise<void> {
  const name = `concierge_bench_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: `${PG_BASE}/postgres` });
  await admin.connect();
  await admin.query(`create database "${name}"`);
  const url = `${PG_BASE}/${name}`;
  try {
    const migrator = await MikroORM.init(ormOptions({ databaseUrl: url, dbPool: { min: 0, max: 1, idleTimeoutMillis: 1000, acquireTimeoutMillis: 5000 } }));
    await migrator.getMigrator().up();
    await migrator.close(true);
    const config = loadConfig({ NODE_ENV: 'production', DATABASE_URL: url, REDIS_URL: 'redis://127.0.0.1:6379', ALLOWED_ORIGINS: 'http://localhost' });
    const orm = await openOrm(config);
    try {
      await run({ name, url, config, orm });
    } finally {
      await orm.close(true);
    }
  } finally {
    if (process.env.BENCH_KEEP_DB) out(`kept database ${name}`);
    else {
      await admin.query(`drop database if exists "${name}" with (force)`);
      out(`dropped database ${name}`);
    }
    await admin.end();
  }
}
