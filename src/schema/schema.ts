import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import { DateTimeResolver } from 'graphql-scalars';
import { buildSchema, type AuthChecker, type NonEmptyArray, type PubSub } from 'type-graphql';
import { ApiKeyResolver } from '../auth/api-key.resolver';
import { BusinessResolver } from '../business/business.resolver';
import { ChatResolver } from '../chat/chat.resolver';
import { rateLimitMiddlewares } from '../common/rate-limit';
import type { RequestContext } from '../common/request-context';
import { bindContainer, ResolverContainer } from '../common/resolver-container';
import { readPackageVersion } from '../common/version';
import type { Core } from '../core';
import { KnowledgeResolver } from '../knowledge/knowledge.resolver';
import { LeadResolver, SessionContactResolver } from '../leads/lead.resolver';
import { AnalyticsResolver } from '../analytics/analytics.resolver';
import { ServerInfoResolver } from '../server/server-info.resolver';
import { VoiceResolver } from '../voice/voice.resolver';
import { WebhookResolver } from '../webhooks/webhook.resolver';

/** What the resolvers are built from: the core's services. */
export type ResolverServices = Pick<Core, 'apiKeys' | 'businessService' | 'chat' | 'knowledge' | 'voice' | 'webhookService' | 'leads' | 'businesses' | 'conversations'>;

export interface ApiResolvers {
  resolvers: object[];
  /** Class middlewares (rate limits), built by type-graphql through the same container. */
  middlewares: object[];
}

/**
 * Every resolver of the API, each built once with its service. Features add theirs here;
 * `schema.graphql` is emitted from this list (npm run schema:emit) and CI fails when the
 * committed file drifts.
 */
export function createResolvers(services: ResolverServices): ApiResolvers {
  return {
    resolvers: [
      new ServerInfoResolver(readPackageVersion()),
      new BusinessResolver(services.businessService),
      new ApiKeyResolver(services.apiKeys),
      new ChatResolver(services.chat.service),
      new VoiceResolver(services.voice.turns),
      new KnowledgeResolver(services.knowledge.service),
      new WebhookResolver(services.webhookService),
      new LeadResolver({
        leads: services.leads.service,
        openSession: (sessionId, caller) => services.chat.service.openTurn(sessionId, caller),
        business: (id) => services.businesses.get(id),
      }),
      new SessionContactResolver(services.leads.service),
      new AnalyticsResolver(services.conversations.analytics),
    ],
    middlewares: rateLimitMiddlewares(services.chat.rateLimits),
  };
}

/**
 * type-graphql insists on a pubSub once any subscription exists. Ours all use `subscribe`
 * functions over Redis (works across processes); topic-based publishing is not used.
 */
const NO_TOPICS: PubSub = {
  publish() {
    throw new Error('Topic subscriptions are not used; subscriptions pass `subscribe`');
  },
  subscribe() {
    throw new Error('Topic subscriptions are not used; subscriptions pass `subscribe`');
  },
};

export async function buildGraphQLSchema(api: ApiResolvers, authChecker: AuthChecker<RequestContext> = () => false): Promise<GraphQLSchema> {
  const container = new ResolverContainer([...api.resolvers, ...api.middlewares]);
  const schema = await buildSchema({
    resolvers: api.resolvers.map((r) => r.constructor) as NonEmptyArray<() => unknown>,
    container,
    authChecker,
    authMode: 'error',
    // API.md names the scalar `DateTime` (ISO 8601 strings); type-graphql's default is `DateTimeISO`.
    scalarsMap: [{ type: Date, scalar: DateTimeResolver }],
    validate: false,
    emitSchemaFile: false,
    pubSub: NO_TOPICS,
  });
  bindContainer(schema, container);
  return schema;
}
