import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import { buildSchema, type AuthChecker, type ContainerType, type PubSub } from 'type-graphql';
import { KnowledgeResolver } from '../knowledge/knowledge.resolver';
import { ServerInfoResolver } from '../server/server-info.resolver';
import type { RequestContext } from '../server/context';

/**
 * Every resolver class of the API. Features add theirs here; `schema.graphql` is emitted
 * from this list (npm run schema:emit) and CI fails when the committed file drifts.
 */
export const RESOLVERS = [ServerInfoResolver, KnowledgeResolver] as const;

/**
 * type-graphql refuses subscriptions without a PubSub, even when every subscription brings
 * its own `subscribe` function (ours do: they read Redis). This one is never used.
 */
const UNUSED_PUBSUB: PubSub = {
  publish: () => undefined,
  subscribe: () => {
    throw new Error('subscriptions bring their own subscribe function; topics are not used');
  },
};

export interface SchemaOptions {
  /** Resolves resolver instances (built by hand in app.ts with their collaborators). */
  container?: ContainerType;
  authChecker?: AuthChecker<RequestContext>;
}

export async function buildGraphQLSchema(options: SchemaOptions = {}): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: RESOLVERS,
    container: options.container,
    authChecker: options.authChecker ?? (() => false),
    authMode: 'error',
    pubSub: UNUSED_PUBSUB,
    validate: false,
    emitSchemaFile: false,
  });
}
