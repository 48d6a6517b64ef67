import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import type { GraphQLArmorConfig } from '@escape.tech/graphql-armor-types';
import { LRUCache } from 'lru-cache';
import {
  BREAK,
  GraphQLError,
  parse,
  specifiedRules,
  validate,
  visit,
  type DocumentNode,
  type GraphQLSchema,
  type ParseOptions,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import { resolvePrincipal } from '../auth/auth-checker';
import type { ApiKeyAuthenticator } from '../common/principal';
import type { RequestContext } from '../common/request-context';

/**
 * Query limits (graphql-armor; tokens: graphql-js), hidden field suggestions and the introspection policy, for
 * HTTP (Apollo plugins + validation rules) and WebSocket (the same rules run by
 * `prepareWsOperation` before graphql-ws executes anything).
 */

export interface QueryLimits {
  /** Deepest selection (introspection ignored): Business.ctaTree.children is depth 3. */
  maxDepth: number;
  maxAliases: number;
  maxDirectives: number;
  /**
   * Lexical tokens in the document, counted while parsing. Enforced by graphql-js's own
   * `parse(…, { maxTokens })` (Apollo `parseOptions`): graphql-armor's max-tokens Apollo plugin
   * throws from `parsingDidStart`, which Apollo 5 answers with HTTP 500 instead of a 400.
   */
  maxTokens: number;
  /** graphql-armor cost: objects 2, scalars 1, ×1.5 per level. A `businesses` query with every field costs 63.5. */
  maxCost: number;
}

export const DEFAULT_QUERY_LIMITS: QueryLimits = { maxDepth: 8, maxAliases: 15, maxDirectives: 20, maxTokens: 2_000, maxCost: 5_000 };

/** What graphql-armor's Apollo plugin masks; the WebSocket path masks the same way. */
const SUGGESTION_RE = /Did you mean ".+"/g;
const SUGGESTION_MASK = '[Suggestion hidden]';

/** Reports an armor rejection as a validation error (BAD_USER_INPUT), never a throw. */
const report = (ctx: ValidationContext | null, error: GraphQLError): void => {
  ctx?.reportError(new GraphQLError(error.message, { extensions: { code: 'BAD_USER_INPUT' } }));
};

function armorConfig(limits: QueryLimits, isProduction: boolean): GraphQLArmorConfig {
  const common = () => ({ propagateOnRejection: false, onReject: [report], exposeLimits: true });
  return {
    maxDepth: { n: limits.maxDepth, ignoreIntrospection: true, flattenFragments: true, ...common() },
    maxAliases: { n: limits.maxAliases, ...common() },
    maxDirectives: { n: limits.maxDirectives, ...common() },
    maxTokens: { enabled: false },
    costLimit: { maxCost: limits.maxCost, ignoreIntrospection: true, flattenFragments: true, ...common() },
    blockFieldSuggestion: { enabled: isProduction, mask: SUGGESTION_MASK },
  };
}

/** True when the document selects `__schema` or `__type` (not `__typename`). */
export function isIntrospection(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    Field(node) {
      if (node.name.value === '__schema' || node.name.value === '__type') {
        found = true;
        return BREAK;
      }
      return undefined;
    },
  });
  return found;
}

function introspectionDenied(): GraphQLError {
  return new GraphQLError('Introspection is available in production only with an API key', {
    extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } },
  });
}

export interface GraphQLHardening {
  apolloPlugins: ApolloServerPlugin<RequestContext>[];
  validationRules: ValidationRule[];
  /** Apollo's `parseOptions`: the token limit. */
  parseOptions: ParseOptions;
  /** Parses and validates a WebSocket operation with the same limits and policy as HTTP. */
  prepareWsOperation(schema: GraphQLSchema, query: string, apiKey: string | null): Promise<DocumentNode | readonly GraphQLError[]>;
}

const validDocuments = new WeakMap<GraphQLSchema, LRUCache<string, DocumentNode>>();

export function createGraphQLHardening(options: {
  isProduction: boolean;
  authenticator: ApiKeyAuthenticator;
  limits?: Partial<QueryLimits>;
}): GraphQLHardening {
  const { isProduction, authenticator } = options;
  const limits = { ...DEFAULT_QUERY_LIMITS, ...options.limits };
  const config = armorConfig(limits, isProduction);
  const armor = new ApolloArmor(config).protect();

  const introspectionPolicy: ApolloServerPlugin<RequestContext> = {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, contextValue }) {
          if (!isProduction || !isIntrospection(document)) return;
          if (!(await resolvePrincipal(contextValue, authenticator))) throw introspectionDenied();
        },
      };
    },
  };

  // The same rules armor hands Apollo, built again for graphql-ws (which validates on its own).
  const wsRules: ValidationRule[] = [
    ...specifiedRules,
    maxDepthRule(config.maxDepth),
    maxAliasesRule(config.maxAliases),
    maxDirectivesRule(config.maxDirectives),
    costLimitRule(config.costLimit),
  ];

  return {
    apolloPlugins: [...(armor.plugins as ApolloServerPlugin<RequestContext>[]), introspectionPolicy],
    validationRules: armor.validationRules,
    parseOptions: { maxTokens: limits.maxTokens },
    async prepareWsOperation(schema, query, apiKey) {
      // Every widget subscribes with the same few documents: a valid one is parsed and
      // validated once per schema and shared (documents are never mutated), which saves the
      // work and a copy of the AST per subscription. The introspection check below still runs
      // per caller.
      const cache = validDocuments.get(schema) ?? new LRUCache<string, DocumentNode>({ max: 200 });
      validDocuments.set(schema, cache);
      let document = cache.get(query);
      if (!document) {
        try {
          document = parse(query, { maxTokens: limits.maxTokens });
        } catch (err) {
          if (err instanceof GraphQLError) return [err];
          throw err;
        }
        const errors = validate(schema, document, wsRules);
        if (errors.length) {
          if (!isProduction) return errors;
          return errors.map((e) => new GraphQLError(e.message.replace(SUGGESTION_RE, SUGGESTION_MASK), { nodes: e.nodes, extensions: e.extensions }));
        }
        if (query.length <= 10_000) cache.set(query, document);
      }
      if (isProduction && isIntrospection(document)) {
        const principal = apiKey ? await authenticator.authenticate(apiKey) : null;
        if (!principal) return [introspectionDenied()];
      }
      return document;
    },
  };
}
