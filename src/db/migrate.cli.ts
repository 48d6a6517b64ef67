import 'reflect-metadata';
import { loadConfig } from '../config/config';
import { createLogger } from '../observability/logger';
import { openOrm } from './orm';

/**
 * `npm run migrate` (up; idempotent, what deploys run) and `npm run migration:create`
 * (writes a new migration for the difference between the entities and the database).
 */
async function main(): Promise<void> {
  const command = process.argv[2] ?? 'up';
  const config = loadConfig();
  const logger = createLogger(config.logLevel, { process: 'migrate' });
  // Outside production a missing database is created, so `npm run migrate` is all a fresh
  // machine needs; in production the database is provisioned and a missing one is an error.
  const orm = await openOrm(config, { createDatabase: !config.isProduction });
  try {
    const migrator = orm.getMigrator();
    if (command === 'up') {
      const applied = await migrator.up();
      logger.info('migrations applied', { applied: applied.map((m) => m.name), count: applied.length });
    } else if (command === 'down') {
      const reverted = await migrator.down();
      logger.info('migration reverted', { reverted: reverted.map((m) => m.name) });
    } else if (command === 'create') {
      const result = await migrator.createMigration(undefined, false, process.argv[3] === '--initial');
      logger.info(result.fileName ? 'migration created' : 'no schema changes', { file: result.fileName });
    } else if (command === 'pending') {
      const pending = await migrator.getPendingMigrations();
      logger.info('pending migrations', { pending: pending.map((m) => m.name) });
    } else {
      throw new Error(`unknown command "${command}" (use up, down, create or pending)`);
    }
  } finally {
    await orm.close(true);
  }
}

main().catch((err: unknown) => {
  createLogger('error', { process: 'migrate' }).error('migration failed', {
    error: err instanceof Error ? err.message : String(err),
  });
  process.exitCode = 1;
});
