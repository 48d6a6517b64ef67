import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import { buildSchema, type AuthChecker, type ContainerType, type PubSub } from 'type-graphql';
import { ApiKeyResolver } from '../auth/api-key.resolver';
import { BusinessResolver } from '../business/business.resolver';
import { DateTimeResolver } from 'graphql-scalars';
import { KnowledgeResolver } from '../knowledge/knowledge.resolver';
import { ServerInfoResolver } from '../server/server-info.resolver';
import { ChatResolver } from '../chat/chat.resolver';
import { VoiceResolver } from '../voice/voice.resolver';
import type { RequestContext } from '../common/request-context';

/**
 * Every resolver class of the API. Features add theirs here; `schema.graphql` is emitted
 * from this list (npm run schema:emit) and CI fails when the committed file drifts.
 */
export const RESOLVERS = [ServerInfoResolver, BusinessResolver, ApiKeyResolver, ChatResolver, VoiceResolver, KnowledgeResolver] as const;

export interface SchemaOptions {
  /** Resolves resolver instances (built by hand in app.ts with their collaborators). */
  container?: ContainerType;
  authChecker?: AuthChecker<RequestContext>;
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

export async function buildGraphQLSchema(options: SchemaOptions = {}): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: RESOLVERS,
    container: options.container,
    authChecker: options.authChecker ?? (() => false),
    authMode: 'error',
    // API.md names the scalar `DateTime` (ISO 8601 strings); type-graphql's default is `DateTimeISO`.
    scalarsMap: [{ type: Date, scalar: DateTimeResolver }],
    validate: false,
    emitSchemaFile: false,
    pubSub: NO_TOPICS,
  });
}
