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
    "fragment ChatMessageFields on ChatMessage {\n  id\n  role\n  text\n  createdAt\n  sources {\n    documentId\n    title\n    snippet\n  }\n  ctas {\n    id\n    label\n    action\n    url\n    message\n  }\n}\n\nmutation StartSession($businessId: ID!) {\n  startSession(businessId: $businessId) {\n    id\n    businessId\n    expiresAt\n    messages {\n      ...ChatMessageFields\n    }\n  }\n}\n\nquery Session($id: ID!) {\n  session(id: $id) {\n    id\n    businessId\n    expiresAt\n    messages {\n      ...ChatMessageFields\n    }\n  }\n}\n\nmutation SendMessage($input: SendMessageInput!) {\n  sendMessage(input: $input) {\n    replyId\n    userMessage {\n      ...ChatMessageFields\n    }\n  }\n}\n\nmutation Chat($input: SendMessageInput!) {\n  chat(input: $input) {\n    ...ChatMessageFields\n  }\n}\n\nmutation ChatTwice($input: SendMessageInput!) {\n  first: chat(input: $input) {\n    id\n  }\n  second: chat(input: $input) {\n    id\n  }\n}\n\nmutation EndSession($id: ID!) {\n  endSession(id: $id)\n}\n\nsubscription ReplyStream($replyId: ID!, $fromSeq: Int) {\n  replyStream(replyId: $replyId, fromSeq: $fromSeq) {\n    replyId\n    seq\n    delta\n    done\n    message {\n      ...ChatMessageFields\n    }\n    error {\n      code\n      message\n    }\n  }\n}": typeof types.ChatMessageFieldsFragmentDoc,
    "query ServerInfo {\n  serverInfo {\n    name\n    version\n  }\n}": typeof types.ServerInfoDocument,
};
const documents: Documents = {
    "fragment ChatMessageFields on ChatMessage {\n  id\n  role\n  text\n  createdAt\n  sources {\n    documentId\n    title\n    snippet\n  }\n  ctas {\n    id\n    label\n    action\n    url\n    message\n  }\n}\n\nmutation StartSession($businessId: ID!) {\n  startSession(businessId: $businessId) {\n    id\n    businessId\n    expiresAt\n    messages {\n      ...ChatMessageFields\n    }\n  }\n}\n\nquery Session($id: ID!) {\n  session(id: $id) {\n    id\n    businessId\n    expiresAt\n    messages {\n      ...ChatMessageFields\n    }\n  }\n}\n\nmutation SendMessage($input: SendMessageInput!) {\n  sendMessage(input: $input) {\n    replyId\n    userMessage {\n      ...ChatMessageFields\n    }\n  }\n}\n\nmutation Chat($input: SendMessageInput!) {\n  chat(input: $input) {\n    ...ChatMessageFields\n  }\n}\n\nmutation ChatTwice($input: SendMessageInput!) {\n  first: chat(input: $input) {\n    id\n  }\n  second: chat(input: $input) {\n    id\n  }\n}\n\nmutation EndSession($id: ID!) {\n  endSession(id: $id)\n}\n\nsubscription ReplyStream($replyId: ID!, $fromSeq: Int) {\n  replyStream(replyId: $replyId, fromSeq: $fromSeq) {\n    replyId\n    seq\n    delta\n    done\n    message {\n      ...ChatMessageFields\n    }\n    error {\n      code\n      message\n    }\n  }\n}": types.ChatMessageFieldsFragmentDoc,
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
export function graphql(source: "fragment ChatMessageFields on ChatMessage {\n  id\n  role\n  text\n  createdAt\n  sources {\n    documentId\n    title\n    snippet\n  }\n  ctas {\n    id\n    label\n    action\n    url\n    message\n  }\n}\n\nmutation StartSession($businessId: ID!) {\n  startSession(businessId: $businessId) {\n    id\n    businessId\n    expiresAt\n    messages {\n      ...ChatMessageFields\n    }\n  }\n}\n\nquery Session($id: ID!) {\n  session(id: $id) {\n    id\n    businessId\n    expiresAt\n    messages {\n      ...ChatMessageFields\n    }\n  }\n}\n\nmutation SendMessage($input: SendMessageInput!) {\n  sendMessage(input: $input) {\n    replyId\n    userMessage {\n      ...ChatMessageFields\n    }\n  }\n}\n\nmutation Chat($input: SendMessageInput!) {\n  chat(input: $input) {\n    ...ChatMessageFields\n  }\n}\n\nmutation ChatTwice($input: SendMessageInput!) {\n  first: chat(input: $input) {\n    id\n  }\n  second: chat(input: $input) {\n    id\n  }\n}\n\nmutation EndSession($id: ID!) {\n  endSession(id: $id)\n}\n\nsubscription ReplyStream($replyId: ID!, $fromSeq: Int) {\n  replyStream(replyId: $replyId, fromSeq: $fromSeq) {\n    replyId\n    seq\n    delta\n    done\n    message {\n      ...ChatMessageFields\n    }\n    error {\n      code\n      message\n    }\n  }\n}"): (typeof documents)["fragment ChatMessageFields on ChatMessage {\n  id\n  role\n  text\n  createdAt\n  sources {\n    documentId\n    title\n    snippet\n  }\n  ctas {\n    id\n    label\n    action\n    url\n    message\n  }\n}\n\nmutation StartSession($businessId: ID!) {\n  startSession(businessId: $businessId) {\n    id\n    businessId\n    expiresAt\n    messages {\n      ...ChatMessageFields\n    }\n  }\n}\n\nquery Session($id: ID!) {\n  session(id: $id) {\n    id\n    businessId\n    expiresAt\n    messages {\n      ...ChatMessageFields\n    }\n  }\n}\n\nmutation SendMessage($input: SendMessageInput!) {\n  sendMessage(input: $input) {\n    replyId\n    userMessage {\n      ...ChatMessageFields\n    }\n  }\n}\n\nmutation Chat($input: SendMessageInput!) {\n  chat(input: $input) {\n    ...ChatMessageFields\n  }\n}\n\nmutation ChatTwice($input: SendMessageInput!) {\n  first: chat(input: $input) {\n    id\n  }\n  second: chat(input: $input) {\n    id\n  }\n}\n\nmutation EndSession($id: ID!) {\n  endSession(id: $id)\n}\n\nsubscription ReplyStream($replyId: ID!, $fromSeq: Int) {\n  replyStream(replyId: $replyId, fromSeq: $fromSeq) {\n    replyId\n    seq\n    delta\n    done\n    message {\n      ...ChatMessageFields\n    }\n    error {\n      code\n      message\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query ServerInfo {\n  serverInfo {\n    name\n    version\n  }\n}"): (typeof documents)["query ServerInfo {\n  serverInfo {\n    name\n    version\n  }\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;