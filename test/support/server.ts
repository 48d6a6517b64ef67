import type { AddressInfo } from 'node:net';
import { buildApp, type App, type AppOverrides } from '../../src/app';
import { loadConfig, type AppConfig } from '../../src/config/config';
import { createSilentLogger, type Logger } from '../../src/observability/logger';
import { REDIS_URL, uniqueName, type TestDatabase } from './stores';

export interface TestServer {
  app: App;
  /** http://127.0.0.1:PORT/graphql */
  url: string;
  /** ws://127.0.0.1:PORT/graphql */
  wsUrl: string;
  /** http://127.0.0.1:PORT */
  base: string;
  close(): Promise<void>;
}

/**
 * The configuration a test server runs with: its own database, its own Redis key prefix,
 * no LLM key (offline provider) unless the test says otherwise. The limits on sessions,
 * navigation and wrong keys are off (tests start many sessions from one address); the tests of
 * those limits (test/security/limits.test.ts) set them. RATE_LIMIT_CHAT keeps its default.
 */
export function testConfig(db: TestDatabase, env: Record<string, string | undefined> = {}): AppConfig {
  return loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: db.url,
    REDIS_URL,
    REDIS_KEY_PREFIX: `${uniqueName('t')}:`,
    ALLOWED_ORIGINS: 'http://allowed.test',
    LOG_LEVEL: 'error',
    SHUTDOWN_GRACE_MS: '2000',
    RATE_LIMIT_SESSION: 'off',
    RATE_LIMIT_NAVIGATION: 'off',
    RATE_LIMIT_AUTH_FAILURES: 'off',
    ...env,
  });
}

/** Builds the real app with `buildApp` and listens on a free loopback port. */
export async function startTestServer(
  config: AppConfig,
  opts: { logger?: Logger; overrides?: AppOverrides } & Omit<AppOverrides, 'logger'> = {},
): Promise<TestServer> {
  const { overrides, logger, ...direct } = opts;
  const app = await buildApp(config, { ...direct, ...overrides, logger: logger ?? createSilentLogger() });
  await app.fastify.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.fastify.server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;
  return { app, base, url: `${base}/graphql`, wsUrl: `ws://127.0.0.1:${port}/graphql`, close: () => app.close() };
}
