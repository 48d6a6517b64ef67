import 'reflect-metadata';
import { MikroORM, ReflectMetadataProvider, type Options } from '@mikro-orm/core';
import { Migrator } from '@mikro-orm/migrations';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import path from 'node:path';
import type { AppConfig } from '../config/config';
import { ENTITIES } from './entities';

export type Orm = MikroORM<PostgreSqlDriver>;

/** The repo's migrations/ folder, both from src/ (ts-jest) and from dist/src/ (node). */
export const MIGRATIONS_DIR = path.resolve(__dirname, __dirname.includes(`${path.sep}dist${path.sep}`) ? '../../../migrations' : '../../migrations');

export interface OrmOpenOptions {
  /**
   * Create the database when it does not exist (MikroORM's `ensureDatabase`). Off for the
   * server: a mistyped DATABASE_URL must stop it, not give it a new empty database. On for
   * `npm run migrate` outside production, so a fresh machine needs no `createdb`.
   */
  createDatabase?: boolean;
  /** Receives MikroORM's own log messages; without it they are dropped (never the console). */
  log?: (message: string) => void;
}

export function ormOptions(config: Pick<AppConfig, 'databaseUrl' | 'dbPool'>, opts: OrmOpenOptions = {}): Options<PostgreSqlDriver> {
  return {
    logger: opts.log ?? (() => undefined),
    colors: false,
    driver: PostgreSqlDriver,
    clientUrl: config.databaseUrl,
    entities: ENTITIES,
    metadataProvider: ReflectMetadataProvider,
    discovery: { disableDynamicFileAccess: true },
    pool: { ...config.dbPool },
    ensureDatabase: opts.createDatabase ?? false,
    // The ORM's own debug output stays off; our logger reports queries that fail.
    debug: false,
    allowGlobalContext: false,
    extensions: [Migrator],
    migrations: {
      path: MIGRATIONS_DIR,
      pathTs: MIGRATIONS_DIR,
      glob: '!(*.d).js',
      emit: 'js',
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      tableName: 'mikro_orm_migrations',
      // MikroORM prints progress with console.log (not JSON); migrate.cli logs the result itself.
      silent: true,
    },
  };
}

/** Opens the pool and proves Postgres answers; throws when it does not. */
export async function openOrm(config: Pick<AppConfig, 'databaseUrl' | 'dbPool'>, opts: OrmOpenOptions = {}): Promise<Orm> {
  const orm = await MikroORM.init<PostgreSqlDriver>(ormOptions(config, opts));
  try {
    await orm.em.getConnection().execute('select 1');
  } catch (err) {
    await orm.close(true);
    throw err;
  }
  return orm;
}
