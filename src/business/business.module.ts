import type { ApiKeyService } from '../auth/api-key.service';
import type { Orm } from '../db/orm';
import type { Logger } from '../observability/logger';
import type { BusinessCache } from './business.cache';
import { BusinessResolver } from './business.resolver';
import { BusinessService } from './business.service';

export interface BusinessModule {
  service: BusinessService;
  resolvers: object[];
}

/**
 * Business admin + publicBusiness. deleteBusiness removes the business's API keys in its
 * transaction and drops them from every process's key cache after it commits.
 */
export function createBusinessModule(deps: { orm: Orm; businesses: BusinessCache; apiKeys: ApiKeyService; logger: Logger }): BusinessModule {
  const service = new BusinessService(deps.orm, deps.businesses, deps.logger);
  service.onDelete((em, businessId) => deps.apiKeys.deleteForBusiness(em, businessId));
  // Deleted keys may sit in key caches on any process: drop those caches after the commit.
  service.onDeleted(() => deps.apiKeys.forgetAll());
  return { service, resolvers: [new BusinessResolver(service)] };
}
