import 'reflect-metadata';
import { lexicographicSortSchema, printSchema } from 'graphql';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createLogger } from '../observability/logger';
import { buildGraphQLSchema, createResolvers, type ResolverServices } from './schema';

/**
 * Writes schema.graphql from the code (`npm run schema:emit`), or with `--check` exits 1
 * when the committed file differs (`npm run schema:check`, run by CI).
 */
export const SCHEMA_FILE = path.resolve(__dirname, __dirname.includes(`${path.sep}dist${path.sep}`) ? '../../../schema.graphql' : '../../schema.graphql');

/**
 * Emission needs the resolver classes, not working services: the resolvers are built on a
 * placeholder that answers every property with itself, and no operation ever runs on them.
 */
const PLACEHOLDER: ResolverServices = new Proxy(() => PLACEHOLDER, { get: () => PLACEHOLDER }) as unknown as ResolverServices;

export async function printCurrentSchema(): Promise<string> {
  const schema = await buildGraphQLSchema(createResolvers(PLACEHOLDER));
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}

async function main(): Promise<void> {
  const logger = createLogger('info', { process: 'schema' });
  const current = await printCurrentSchema();
  if (process.argv.includes('--check')) {
    const committed = await readFile(SCHEMA_FILE, 'utf8').catch(() => '');
    if (committed !== current) {
      logger.error('schema.graphql is out of date: run `npm run schema:emit` and commit it');
      process.exitCode = 1;
      return;
    }
    logger.info('schema.graphql is up to date');
    return;
  }
  await writeFile(SCHEMA_FILE, current);
  logger.info('schema.graphql written', { file: SCHEMA_FILE });
}

if (require.main === module) {
  main().catch((err: unknown) => {
    createLogger('error').error('schema emission failed', { error: err instanceof Error ? err.stack : String(err) });
    process.exitCode = 1;
  });
}
