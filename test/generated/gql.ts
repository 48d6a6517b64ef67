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
    "fragment DocumentFields on KnowledgeDocument {\n  id\n  businessId\n  title\n  format\n  category\n  sourceUrl\n  chunkCount\n  indexedAt\n  indexJobId\n  createdAt\n}\n\nfragment JobFields on IndexJob {\n  id\n  businessId\n  kind\n  state\n  progress\n  error\n  attempts\n  createdAt\n  finishedAt\n}\n\nmutation AddKnowledgeDocument($input: AddKnowledgeDocumentInput!) {\n  addKnowledgeDocument(input: $input) {\n    ...DocumentFields\n  }\n}\n\nmutation DeleteKnowledgeDocument($id: ID!) {\n  deleteKnowledgeDocument(id: $id)\n}\n\nquery KnowledgeDocuments($businessId: ID!) {\n  knowledgeDocuments(businessId: $businessId) {\n    ...DocumentFields\n  }\n}\n\nquery IndexJob($id: ID!) {\n  indexJob(id: $id) {\n    ...JobFields\n  }\n}\n\nsubscription IndexJobUpdates($jobId: ID!) {\n  indexJobUpdates(jobId: $jobId) {\n    ...JobFields\n  }\n}\n\nmutation RebuildIndex($businessId: ID!) {\n  rebuildIndex(businessId: $businessId) {\n    ...JobFields\n  }\n}\n\nmutation CrawlWebsite($businessId: ID!, $url: String, $maxPages: Int) {\n  crawlWebsite(businessId: $businessId, url: $url, maxPages: $maxPages) {\n    ...JobFields\n  }\n}\n\nquery SearchKnowledge($businessId: ID!, $query: String!, $limit: Int) {\n  searchKnowledge(businessId: $businessId, query: $query, limit: $limit) {\n    documentId\n    title\n    snippet\n    score\n    category\n    sourceUrl\n    text\n  }\n}": typeof types.DocumentFieldsFragmentDoc,
    "query ServerInfo {\n  serverInfo {\n    name\n    version\n  }\n}": typeof types.ServerInfoDocument,
};
const documents: Documents = {
    "fragment DocumentFields on KnowledgeDocument {\n  id\n  businessId\n  title\n  format\n  category\n  sourceUrl\n  chunkCount\n  indexedAt\n  indexJobId\n  createdAt\n}\n\nfragment JobFields on IndexJob {\n  id\n  businessId\n  kind\n  state\n  progress\n  error\n  attempts\n  createdAt\n  finishedAt\n}\n\nmutation AddKnowledgeDocument($input: AddKnowledgeDocumentInput!) {\n  addKnowledgeDocument(input: $input) {\n    ...DocumentFields\n  }\n}\n\nmutation DeleteKnowledgeDocument($id: ID!) {\n  deleteKnowledgeDocument(id: $id)\n}\n\nquery KnowledgeDocuments($businessId: ID!) {\n  knowledgeDocuments(businessId: $businessId) {\n    ...DocumentFields\n  }\n}\n\nquery IndexJob($id: ID!) {\n  indexJob(id: $id) {\n    ...JobFields\n  }\n}\n\nsubscription IndexJobUpdates($jobId: ID!) {\n  indexJobUpdates(jobId: $jobId) {\n    ...JobFields\n  }\n}\n\nmutation RebuildIndex($businessId: ID!) {\n  rebuildIndex(businessId: $businessId) {\n    ...JobFields\n  }\n}\n\nmutation CrawlWebsite($businessId: ID!, $url: String, $maxPages: Int) {\n  crawlWebsite(businessId: $businessId, url: $url, maxPages: $maxPages) {\n    ...JobFields\n  }\n}\n\nquery SearchKnowledge($businessId: ID!, $query: String!, $limit: Int) {\n  searchKnowledge(businessId: $businessId, query: $query, limit: $limit) {\n    documentId\n    title\n    snippet\n    score\n    category\n    sourceUrl\n    text\n  }\n}": types.DocumentFieldsFragmentDoc,
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
export function graphql(source: "fragment DocumentFields on KnowledgeDocument {\n  id\n  businessId\n  title\n  format\n  category\n  sourceUrl\n  chunkCount\n  indexedAt\n  indexJobId\n  createdAt\n}\n\nfragment JobFields on IndexJob {\n  id\n  businessId\n  kind\n  state\n  progress\n  error\n  attempts\n  createdAt\n  finishedAt\n}\n\nmutation AddKnowledgeDocument($input: AddKnowledgeDocumentInput!) {\n  addKnowledgeDocument(input: $input) {\n    ...DocumentFields\n  }\n}\n\nmutation DeleteKnowledgeDocument($id: ID!) {\n  deleteKnowledgeDocument(id: $id)\n}\n\nquery KnowledgeDocuments($businessId: ID!) {\n  knowledgeDocuments(businessId: $businessId) {\n    ...DocumentFields\n  }\n}\n\nquery IndexJob($id: ID!) {\n  indexJob(id: $id) {\n    ...JobFields\n  }\n}\n\nsubscription IndexJobUpdates($jobId: ID!) {\n  indexJobUpdates(jobId: $jobId) {\n    ...JobFields\n  }\n}\n\nmutation RebuildIndex($businessId: ID!) {\n  rebuildIndex(businessId: $businessId) {\n    ...JobFields\n  }\n}\n\nmutation CrawlWebsite($businessId: ID!, $url: String, $maxPages: Int) {\n  crawlWebsite(businessId: $businessId, url: $url, maxPages: $maxPages) {\n    ...JobFields\n  }\n}\n\nquery SearchKnowledge($businessId: ID!, $query: String!, $limit: Int) {\n  searchKnowledge(businessId: $businessId, query: $query, limit: $limit) {\n    documentId\n    title\n    snippet\n    score\n    category\n    sourceUrl\n    text\n  }\n}"): (typeof documents)["fragment DocumentFields on KnowledgeDocument {\n  id\n  businessId\n  title\n  format\n  category\n  sourceUrl\n  chunkCount\n  indexedAt\n  indexJobId\n  createdAt\n}\n\nfragment JobFields on IndexJob {\n  id\n  businessId\n  kind\n  state\n  progress\n  error\n  attempts\n  createdAt\n  finishedAt\n}\n\nmutation AddKnowledgeDocument($input: AddKnowledgeDocumentInput!) {\n  addKnowledgeDocument(input: $input) {\n    ...DocumentFields\n  }\n}\n\nmutation DeleteKnowledgeDocument($id: ID!) {\n  deleteKnowledgeDocument(id: $id)\n}\n\nquery KnowledgeDocuments($businessId: ID!) {\n  knowledgeDocuments(businessId: $businessId) {\n    ...DocumentFields\n  }\n}\n\nquery IndexJob($id: ID!) {\n  indexJob(id: $id) {\n    ...JobFields\n  }\n}\n\nsubscription IndexJobUpdates($jobId: ID!) {\n  indexJobUpdates(jobId: $jobId) {\n    ...JobFields\n  }\n}\n\nmutation RebuildIndex($businessId: ID!) {\n  rebuildIndex(businessId: $businessId) {\n    ...JobFields\n  }\n}\n\nmutation CrawlWebsite($businessId: ID!, $url: String, $maxPages: Int) {\n  crawlWebsite(businessId: $businessId, url: $url, maxPages: $maxPages) {\n    ...JobFields\n  }\n}\n\nquery SearchKnowledge($businessId: ID!, $query: String!, $limit: Int) {\n  searchKnowledge(businessId: $businessId, query: $query, limit: $limit) {\n    documentId\n    title\n    snippet\n    score\n    category\n    sourceUrl\n    text\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query ServerInfo {\n  serverInfo {\n    name\n    version\n  }\n}"): (typeof documents)["query ServerInfo {\n  serverInfo {\n    name\n    version\n  }\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;