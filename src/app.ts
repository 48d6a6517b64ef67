import 'reflect-metadata';
import type { FastifyInstance } from 'fastify';
import type { AppConfig } from './config/config';
import { conversationTiming, ConversationWorker } from './analytics/conversation.worker';
import { createAuthChecker } from './auth/auth-checker';
import { buildCore, type Core, type CoreOverrides } from './core';
import { buildGraphQLSchema, createResolvers } from './schema/schema';
import { createGraphQLHardening } from './server/graphql-hardening';
import { HealthService } from './server/health';
import { createHttpServer, type HttpServer } from './server/http-server';

export { StartupError } from './core';

export type AppOverrides = CoreOverrides;

/** An api process: the core plus HTTP, GraphQL and WebSocket on one port. */
export interface App extends Core {
  http: HttpServer;
  fastify: FastifyInstance;
  /** Stops accepting, drains requests and sockets, then closes the core. Idempotent. */
  close(): Promise<void>;
}

/**
 * The api process: {@link buildCore} plus the schema (every resolver built once with its
 * service) and the HTTP/WebSocket server, without listening. `main.ts` listens; tests call
 * `app.fastify.listen({ port: 0 })`. Throws StartupError when Redis or Postgres does not answer.
 */
export async function buildApp(config: AppConfig, overrides: AppOverrides = {}): Promise<App> {
  const core = await buildCore(config, overrides);
  try {
    const hardening = createGraphQLHardening({ isProduction: config.isProduction, authenticator: core.apiKeys });
    const schema = await buildGraphQLSchema(createResolvers(core), createAuthChecker(core.apiKeys));
    const http = await createHttpServer({
      config,
      schema,
      logger: core.logger,
      metrics: core.metrics,
      health: new HealthService(core.redis, core.orm, core.metrics),
      origins: core.origins,
      businesses: core.businesses,
      apolloPlugins: hardening.apolloPlugins,
      validationRules: hardening.validationRules,
      parseOptions: hardening.parseOptions,
      prepareWsOperation: (schema, query, apiKey) => hardening.prepareWsOperation(schema, query, apiKey),
      watchKey: (secret, onRevoked) => core.apiKeys.watch(secret, onRevoked),
    });
    // With the inline job driver there is no worker process: this one sends the webhooks and
    // keeps the conversation records (drain, ending idle conversations, retention) too.
    let conversationWorker: ConversationWorker | undefined;
    if (config.jobs.driver === 'inline') {
      core.webhooks.start();
      conversationWorker = new ConversationWorker(core.conversations.tasks, core.logger, conversationTiming(config.conversations.idleMs));
      conversationWorker.start();
    }
    let closed: Promise<void> | undefined;
    return {
      ...core,
      http,
      fastify: http.fastify,
      close() {
        closed ??= (async () => {
          await http.close();
          await conversationWorker?.close();
          await core.close();
        })();
        return closed;
      },
    };
  } catch (err) {
    await core.close();
    throw err;
  }
}
