import type { AuthChecker } from 'type-graphql';
import type { AppConfig } from '../config/config';
import type { Orm } from '../db/orm';
import type { Logger } from '../observability/logger';
import type { RedisClient } from '../redis/redis';
import type { RequestContext } from '../common/request-context';
import { ApiKeyResolver } from './api-key.resolver';
import { ApiKeyService } from './api-key.service';
import { createAuthChecker } from './auth-checker';

export interface AuthModule {
  apiKeys: ApiKeyService;
  authChecker: AuthChecker<RequestContext>;
  resolvers: object[];
  /** Flushes buffered last-use times; the Redis connections belong to app.ts. */
  close(): Promise<void>;
}

/** API keys, the one auth checker and the key resolvers, wired for app.ts. */
export async function createAuthModule(deps: {
  config: AppConfig;
  orm: Orm;
  redis: RedisClient;
  subscriber: RedisClient;
  logger: Logger;
}): Promise<AuthModule> {
  const apiKeys = new ApiKeyService({
    orm: deps.orm,
    logger: deps.logger,
    configuredHashes: deps.config.adminApiKeyHashes,
    publisher: deps.redis,
    subscriber: deps.subscriber,
    keyPrefix: deps.config.redisKeyPrefix,
  });
  await apiKeys.start();
  return {
    apiKeys,
    authChecker: createAuthChecker(apiKeys),
    resolvers: [new ApiKeyResolver(apiKeys)],
    close: () => apiKeys.close(),
  };
}
