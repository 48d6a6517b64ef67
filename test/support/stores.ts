import { MikroORM } from '@mikro-orm/core';
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Client } from 'pg';
import { MIGRATIONS_DIR, ormOptions } from '../../src/db/orm';

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

const TEMPLATE_PREFIX = 'concierge_tpl_';
const BUILD_PREFIX = 'concierge_tplbuild_';
const SPARE_PREFIX = 'concierge_spare_';
/**
 * One advisory lock for every template build on this Postgres (any worktree, any hash): whoever
 * holds it may also drop the half-built databases a killed build left behind, because no one
 * else can be building. 0x7e57_7e59 is an arbitrary constant ("test tpl").
 */
const TEMPLATE_BUILD_LOCK = 0x7e577e59;

/**
 * The template's name: a hash of every file in migrations/ (names and contents). The same
 * migrations reuse the template across runs and processes; any change to a migration gives a
 * new name, so the next run builds a fresh one.
 */
async function templateName(): Promise<string> {
  const hash = createHash('sha256');
  for (const file of (await readdir(MIGRATIONS_DIR)).sort()) {
    hash.update(file).update('\0').update(await readFile(path.join(MIGRATIONS_DIR, file))).update('\0');
  }
  return `${TEMPLATE_PREFIX}${hash.digest('hex').slice(0, 16)}`;
}

async function databaseExists(client: Client, name: string): Promise<boolean> {
  const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [name]);
  return rowCount === 1;
}

/**
 * Builds the template under a temporary name and renames it only once it is fully migrated,
 * so the template's name existing means it is complete. The template then refuses connections
 * (`allow_connections false`): `CREATE DATABASE … TEMPLATE` fails while anyone is connected to
 * its source, and this way no one can be.
 */
async function buildTemplate(client: Client, name: string): Promise<void> {
  const leftovers = await client.query<{ datname: string }>('select datname from pg_database where starts_with(datname, $1)', [BUILD_PREFIX]);
  for (const { datname } of leftovers.rows) await client.query(`drop database if exists "${datname}" with (force)`);

  const building = `${BUILD_PREFIX}${randomBytes(4).toString('hex')}`;
  await client.query(`create database "${building}"`);
  try {
    const orm = await MikroORM.init(ormOptions({ databaseUrl: `${PG_BASE}/${building}`, dbPool: { min: 0, max: 1, idleTimeoutMillis: 1000, acquireTimeoutMillis: 5000 } }));
    try {
      await orm.getMigrator().up();
    } finally {
      await orm.close(true);
    }
    // A closed pool's backends may still be exiting; RENAME refuses while one is.
    await client.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [building]);
    await client.query(`alter database "${building}" rename to "${name}"`);
    await client.query(`alter database "${name}" with is_template true allow_connections false`);
  } catch (err) {
    await client.query(`drop database if exists "${building}" with (force)`);
    throw err;
  }
}

let template: Promise<string> | undefined;

/**
 * The migrated template's name, built on first use. Two jest processes starting at once
 * serialise on the advisory lock; the second finds the template made and uses it.
 */
function migratedTemplate(): Promise<string> {
  template ??= admin(async (client) => {
    const name = await templateName();
    if (await databaseExists(client, name)) return name;
    await client.query('select pg_advisory_lock($1)', [TEMPLATE_BUILD_LOCK]);
    try {
      if (!(await databaseExists(client, name))) await buildTemplate(client, name);
    } finally {
      await client.query('select pg_advisory_unlock($1)', [TEMPLATE_BUILD_LOCK]);
    }
    return name;
  }).catch((err: unknown) => {
    template = undefined;
    throw err;
  });
  return template;
}

/** Copies of a template made ahead of need are named after it (`concierge_spare_<hash>_…`). */
function sparePrefix(template: string): string {
  return `${SPARE_PREFIX}${template.slice(TEMPLATE_PREFIX.length)}_`;
}

/**
 * Takes a spare copy of the template by renaming it to `name` (under a millisecond). Two
 * processes may race for one spare: the loser's rename finds no such database and it tries
 * the next. False when there is none left.
 */
async function claimSpare(client: Client, template: string, name: string): Promise<boolean> {
  const spares = await client.query<{ datname: string }>('select datname from pg_database where starts_with(datname, $1)', [sparePrefix(template)]);
  for (const { datname } of spares.rows) {
    try {
      await client.query(`alter database "${datname}" rename to "${name}"`);
      return true;
    } catch (err) {
      // 3D000: claimed by another process meanwhile.
      if ((err as { code?: string }).code !== '3D000') throw err;
    }
  }
  return false;
}

/**
 * Copies the template to a spare for the next test file, unless one is waiting already.
 * `CREATE DATABASE` costs 200-300 ms on this disk whatever the source (it writes the whole
 * ~8 MB copy through the WAL), so it is done while this file's tests run, not before the next.
 */
async function makeSpare(template: string): Promise<void> {
  await admin(async (client) => {
    const { rowCount } = await client.query('select 1 from pg_database where starts_with(datname, $1)', [sparePrefix(template)]);
    if (rowCount) return;
    await client.query(`create database "${sparePrefix(template)}${randomBytes(4).toString('hex')}" template "${template}"`);
  });
}

/**
 * A fresh database for one test file, migrated with the real migrations: a copy of the
 * migrated template (`CREATE DATABASE … TEMPLATE`), usually one made ahead while the previous
 * file ran, so getting it costs milliseconds; running the migrations cost most of a second.
 * `drop()` also waits for the spare this call started making.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const template = await migratedTemplate();
  const name = uniqueName('concierge_t');
  await admin(async (client) => {
    if (!(await claimSpare(client, template, name))) await client.query(`create database "${name}" template "${template}"`);
  });
  // A spare that cannot be made only costs the next file the plain CREATE DATABASE.
  const spare = makeSpare(template).catch(() => undefined);
  return {
    name,
    url: `${PG_BASE}/${name}`,
    drop: async () => {
      await spare;
      await admin((c) => c.query(`drop database if exists "${name}" with (force)`));
    },
  };
}
