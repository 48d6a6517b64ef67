/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "fragment BusinessFields on Business {\n  id\n  name\n  description\n  primaryGoal\n  personality\n  instructions\n  greeting\n  secondaryGreeting\n  privacyStatement\n  services\n  hours\n  location\n  contactEmail\n  contactPhone\n  websiteUrl\n  faqs {\n    question\n    answer\n  }\n  suggestedQuestions\n  ctaTree {\n    id\n    label\n    action\n    children\n    message\n    url\n  }\n  enabledCategories\n  themeColor\n  widgetPosition\n  buttonText\n  logoUrl\n  voiceEnabled\n  allowedOrigins\n  createdAt\n  updatedAt\n}\n\nfragment ApiKeyFields on ApiKey {\n  id\n  name\n  businessId\n  prefix\n  createdAt\n  lastUsedAt\n  revokedAt\n}\n\nquery Businesses {\n  businesses {\n    ...BusinessFields\n  }\n}\n\nquery Business($id: ID!) {\n  business(id: $id) {\n    ...BusinessFields\n  }\n}\n\nquery PublicBusiness($id: ID!) {\n  publicBusiness(id: $id) {\n    id\n    name\n    greeting\n    secondaryGreeting\n    privacyStatement\n    themeColor\n    widgetPosition\n    buttonText\n    logoUrl\n    voiceEnabled\n    entryCtas {\n      id\n      label\n      action\n      url\n      message\n    }\n    suggestedQuestions\n  }\n}\n\nmutation CreateBusiness($input: CreateBusinessInput!) {\n  createBusiness(input: $input) {\n    ...BusinessFields\n  }\n}\n\nmutation UpdateBusiness($id: ID!, $input: UpdateBusinessInput!) {\n  updateBusiness(id: $id, input: $input) {\n    ...BusinessFields\n  }\n}\n\nmutation DeleteBusiness($id: ID!) {\n  deleteBusiness(id: $id)\n}\n\nquery ApiKeys {\n  apiKeys {\n    ...ApiKeyFields\n  }\n}\n\nmutation CreateApiKey($input: CreateApiKeyInput!) {\n  createApiKey(input: $input) {\n    apiKey {\n      ...ApiKeyFields\n    }\n    secret\n  }\n}\n\nmutation RevokeApiKey($id: ID!) {\n  revokeApiKey(id: $id)\n}": typeof types.BusinessFieldsFragmentDoc,
    "query ServerInfo {\n  serverInfo {\n    name\n    version\n  }\n}": typeof types.ServerInfoDocument,
};
const documents: Documents = {
    "fragment BusinessFields on Business {\n  id\n  name\n  description\n  primaryGoal\n  personality\n  instructions\n  greeting\n  secondaryGreeting\n  privacyStatement\n  services\n  hours\n  location\n  contactEmail\n  contactPhone\n  websiteUrl\n  faqs {\n    question\n    answer\n  }\n  suggestedQuestions\n  ctaTree {\n    id\n    label\n    action\n    children\n    message\n    url\n  }\n  enabledCategories\n  themeColor\n  widgetPosition\n  buttonText\n  logoUrl\n  voiceEnabled\n  allowedOrigins\n  createdAt\n  updatedAt\n}\n\nfragment ApiKeyFields on ApiKey {\n  id\n  name\n  businessId\n  prefix\n  createdAt\n  lastUsedAt\n  revokedAt\n}\n\nquery Businesses {\n  businesses {\n    ...BusinessFields\n  }\n}\n\nquery Business($id: ID!) {\n  business(id: $id) {\n    ...BusinessFields\n  }\n}\n\nquery PublicBusiness($id: ID!) {\n  publicBusiness(id: $id) {\n    id\n    name\n    greeting\n    secondaryGreeting\n    privacyStatement\n    themeColor\n    widgetPosition\n    buttonText\n    logoUrl\n    voiceEnabled\n    entryCtas {\n      id\n      label\n      action\n      url\n      message\n    }\n    suggestedQuestions\n  }\n}\n\nmutation CreateBusiness($input: CreateBusinessInput!) {\n  createBusiness(input: $input) {\n    ...BusinessFields\n  }\n}\n\nmutation UpdateBusiness($id: ID!, $input: UpdateBusinessInput!) {\n  updateBusiness(id: $id, input: $input) {\n    ...BusinessFields\n  }\n}\n\nmutation DeleteBusiness($id: ID!) {\n  deleteBusiness(id: $id)\n}\n\nquery ApiKeys {\n  apiKeys {\n    ...ApiKeyFields\n  }\n}\n\nmutation CreateApiKey($input: CreateApiKeyInput!) {\n  createApiKey(input: $input) {\n    apiKey {\n      ...ApiKeyFields\n    }\n    secret\n  }\n}\n\nmutation RevokeApiKey($id: ID!) {\n  revokeApiKey(id: $id)\n}": types.BusinessFieldsFragmentDoc,
    "query ServerInfo {\n  serverInfo {\n    name\n    version\n  }\n}": types.ServerInfoDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "fragment BusinessFields on Business {\n  id\n  name\n  description\n  primaryGoal\n  personality\n  instructions\n  greeting\n  secondaryGreeting\n  privacyStatement\n  services\n  hours\n  location\n  contactEmail\n  contactPhone\n  websiteUrl\n  faqs {\n    question\n    answer\n  }\n  suggestedQuestions\n  ctaTree {\n    id\n    label\n    action\n    children\n    message\n    url\n  }\n  enabledCategories\n  themeColor\n  widgetPosition\n  buttonText\n  logoUrl\n  voiceEnabled\n  allowedOrigins\n  createdAt\n  updatedAt\n}\n\nfragment ApiKeyFields on ApiKey {\n  id\n  name\n  businessId\n  prefix\n  createdAt\n  lastUsedAt\n  revokedAt\n}\n\nquery Businesses {\n  businesses {\n    ...BusinessFields\n  }\n}\n\nquery Business($id: ID!) {\n  business(id: $id) {\n    ...BusinessFields\n  }\n}\n\nquery PublicBusiness($id: ID!) {\n  publicBusiness(id: $id) {\n    id\n    name\n    greeting\n    secondaryGreeting\n    privacyStatement\n    themeColor\n    widgetPosition\n    buttonText\n    logoUrl\n    voiceEnabled\n    entryCtas {\n      id\n      label\n      action\n      url\n      message\n    }\n    suggestedQuestions\n  }\n}\n\nmutation CreateBusiness($input: CreateBusinessInput!) {\n  createBusiness(input: $input) {\n    ...BusinessFields\n  }\n}\n\nmutation UpdateBusiness($id: ID!, $input: UpdateBusinessInput!) {\n  updateBusiness(id: $id, input: $input) {\n    ...BusinessFields\n  }\n}\n\nmutation DeleteBusiness($id: ID!) {\n  deleteBusiness(id: $id)\n}\n\nquery ApiKeys {\n  apiKeys {\n    ...ApiKeyFields\n  }\n}\n\nmutation CreateApiKey($input: CreateApiKeyInput!) {\n  createApiKey(input: $input) {\n    apiKey {\n      ...ApiKeyFields\n    }\n    secret\n  }\n}\n\nmutation RevokeApiKey($id: ID!) {\n  revokeApiKey(id: $id)\n}"): (typeof documents)["fragment BusinessFields on Business {\n  id\n  name\n  description\n  primaryGoal\n  personality\n  instructions\n  greeting\n  secondaryGreeting\n  privacyStatement\n  services\n  hours\n  location\n  contactEmail\n  contactPhone\n  websiteUrl\n  faqs {\n    question\n    answer\n  }\n  suggestedQuestions\n  ctaTree {\n    id\n    label\n    action\n    children\n    message\n    url\n  }\n  enabledCategories\n  themeColor\n  widgetPosition\n  buttonText\n  logoUrl\n  voiceEnabled\n  allowedOrigins\n  createdAt\n  updatedAt\n}\n\nfragment ApiKeyFields on ApiKey {\n  id\n  name\n  businessId\n  prefix\n  createdAt\n  lastUsedAt\n  revokedAt\n}\n\nquery Businesses {\n  businesses {\n    ...BusinessFields\n  }\n}\n\nquery Business($id: ID!) {\n  business(id: $id) {\n    ...BusinessFields\n  }\n}\n\nquery PublicBusiness($id: ID!) {\n  publicBusiness(id: $id) {\n    id\n    name\n    greeting\n    secondaryGreeting\n    privacyStatement\n    themeColor\n    widgetPosition\n    buttonText\n    logoUrl\n    voiceEnabled\n    entryCtas {\n      id\n      label\n      action\n      url\n      message\n    }\n    suggestedQuestions\n  }\n}\n\nmutation CreateBusiness($input: CreateBusinessInput!) {\n  createBusiness(input: $input) {\n    ...BusinessFields\n  }\n}\n\nmutation UpdateBusiness($id: ID!, $input: UpdateBusinessInput!) {\n  updateBusiness(id: $id, input: $input) {\n    ...BusinessFields\n  }\n}\n\nmutation DeleteBusiness($id: ID!) {\n  deleteBusiness(id: $id)\n}\n\nquery ApiKeys {\n  apiKeys {\n    ...ApiKeyFields\n  }\n}\n\nmutation CreateApiKey($input: CreateApiKeyInput!) {\n  createApiKey(input: $input) {\n    apiKey {\n      ...ApiKeyFields\n    }\n    secret\n  }\n}\n\nmutation RevokeApiKey($id: ID!) {\n  revokeApiKey(id: $id)\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query ServerInfo {\n  serverInfo {\n    name\n    version\n  }\n}"): (typeof documents)["query ServerInfo {\n  serverInfo {\n    name\n    version\n  }\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;