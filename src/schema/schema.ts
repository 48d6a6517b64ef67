import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import { buildSchema, type AuthChecker, type ContainerType } from 'type-graphql';
import { ServerInfoResolver } from '../server/server-info.resolver';
import { VoiceResolver } from '../voice/voice.resolver';
import type { RequestContext } from '../server/context';

/**
 * Every resolver class of the API. Features add theirs here; `schema.graphql` is emitted
 * from this list (npm run schema:emit) and CI fails when the committed file drifts.
 */
export const RESOLVERS = [ServerInfoResolver, VoiceResolver] as const;

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
    validate: false,
    emitSchemaFile: false,
  });
}
