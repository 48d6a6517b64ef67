/* eslint-disable */
import * as types from './graphql';



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
    "fragment WidgetCta on Cta {\n  id\n  label\n  action\n  url\n  message\n}\n\nfragment WidgetMessage on ChatMessage {\n  id\n  role\n  text\n  createdAt\n  asksForContact\n  ctas {\n    ...WidgetCta\n  }\n}\n\nquery WidgetBusiness($id: ID!) {\n  publicBusiness(id: $id) {\n    id\n    name\n    greeting\n    secondaryGreeting\n    privacyStatement\n    themeColor\n    widgetPosition\n    buttonText\n    logoUrl\n    voiceEnabled\n    entryCtas {\n      ...WidgetCta\n    }\n    suggestedQuestions\n  }\n}\n\nmutation WidgetStartSession($businessId: ID!) {\n  startSession(businessId: $businessId) {\n    id\n    messages {\n      ...WidgetMessage\n    }\n  }\n}\n\nquery WidgetSession($id: ID!) {\n  session(id: $id) {\n    id\n    messages {\n      ...WidgetMessage\n    }\n    contactDetails {\n      name\n      email\n      phone\n    }\n  }\n}\n\nmutation WidgetSendMessage($input: SendMessageInput!) {\n  sendMessage(input: $input) {\n    replyId\n    userMessage {\n      ...WidgetMessage\n    }\n  }\n}\n\nmutation WidgetSendVoice($sessionId: ID!, $audio: Upload!) {\n  sendVoiceMessage(sessionId: $sessionId, audio: $audio) {\n    replyId\n    transcriptPending\n    userMessage {\n      ...WidgetMessage\n    }\n  }\n}\n\nsubscription WidgetReplyStream($replyId: ID!, $fromSeq: Int) {\n  replyStream(replyId: $replyId, fromSeq: $fromSeq) {\n    seq\n    delta\n    done\n    message {\n      ...WidgetMessage\n    }\n    error {\n      code\n      message\n    }\n  }\n}\n\nmutation WidgetSubmitContact($sessionId: ID!, $input: ContactDetailsInput!) {\n  submitContactDetails(sessionId: $sessionId, input: $input) {\n    id\n  }\n}\n\nmutation WidgetRateMessage($input: RateMessageInput!) {\n  rateMessage(input: $input)\n}": typeof types.WidgetCtaFragmentDoc,
};
const documents: Documents = {
    "fragment WidgetCta on Cta {\n  id\n  label\n  action\n  url\n  message\n}\n\nfragment WidgetMessage on ChatMessage {\n  id\n  role\n  text\n  createdAt\n  asksForContact\n  ctas {\n    ...WidgetCta\n  }\n}\n\nquery WidgetBusiness($id: ID!) {\n  publicBusiness(id: $id) {\n    id\n    name\n    greeting\n    secondaryGreeting\n    privacyStatement\n    themeColor\n    widgetPosition\n    buttonText\n    logoUrl\n    voiceEnabled\n    entryCtas {\n      ...WidgetCta\n    }\n    suggestedQuestions\n  }\n}\n\nmutation WidgetStartSession($businessId: ID!) {\n  startSession(businessId: $businessId) {\n    id\n    messages {\n      ...WidgetMessage\n    }\n  }\n}\n\nquery WidgetSession($id: ID!) {\n  session(id: $id) {\n    id\n    messages {\n      ...WidgetMessage\n    }\n    contactDetails {\n      name\n      email\n      phone\n    }\n  }\n}\n\nmutation WidgetSendMessage($input: SendMessageInput!) {\n  sendMessage(input: $input) {\n    replyId\n    userMessage {\n      ...WidgetMessage\n    }\n  }\n}\n\nmutation WidgetSendVoice($sessionId: ID!, $audio: Upload!) {\n  sendVoiceMessage(sessionId: $sessionId, audio: $audio) {\n    replyId\n    transcriptPending\n    userMessage {\n      ...WidgetMessage\n    }\n  }\n}\n\nsubscription WidgetReplyStream($replyId: ID!, $fromSeq: Int) {\n  replyStream(replyId: $replyId, fromSeq: $fromSeq) {\n    seq\n    delta\n    done\n    message {\n      ...WidgetMessage\n    }\n    error {\n      code\n      message\n    }\n  }\n}\n\nmutation WidgetSubmitContact($sessionId: ID!, $input: ContactDetailsInput!) {\n  submitContactDetails(sessionId: $sessionId, input: $input) {\n    id\n  }\n}\n\nmutation WidgetRateMessage($input: RateMessageInput!) {\n  rateMessage(input: $input)\n}": types.WidgetCtaFragmentDoc,
};

/**
 * The gql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function gql(source: "fragment WidgetCta on Cta {\n  id\n  label\n  action\n  url\n  message\n}\n\nfragment WidgetMessage on ChatMessage {\n  id\n  role\n  text\n  createdAt\n  asksForContact\n  ctas {\n    ...WidgetCta\n  }\n}\n\nquery WidgetBusiness($id: ID!) {\n  publicBusiness(id: $id) {\n    id\n    name\n    greeting\n    secondaryGreeting\n    privacyStatement\n    themeColor\n    widgetPosition\n    buttonText\n    logoUrl\n    voiceEnabled\n    entryCtas {\n      ...WidgetCta\n    }\n    suggestedQuestions\n  }\n}\n\nmutation WidgetStartSession($businessId: ID!) {\n  startSession(businessId: $businessId) {\n    id\n    messages {\n      ...WidgetMessage\n    }\n  }\n}\n\nquery WidgetSession($id: ID!) {\n  session(id: $id) {\n    id\n    messages {\n      ...WidgetMessage\n    }\n    contactDetails {\n      name\n      email\n      phone\n    }\n  }\n}\n\nmutation WidgetSendMessage($input: SendMessageInput!) {\n  sendMessage(input: $input) {\n    replyId\n    userMessage {\n      ...WidgetMessage\n    }\n  }\n}\n\nmutation WidgetSendVoice($sessionId: ID!, $audio: Upload!) {\n  sendVoiceMessage(sessionId: $sessionId, audio: $audio) {\n    replyId\n    transcriptPending\n    userMessage {\n      ...WidgetMessage\n    }\n  }\n}\n\nsubscription WidgetReplyStream($replyId: ID!, $fromSeq: Int) {\n  replyStream(replyId: $replyId, fromSeq: $fromSeq) {\n    seq\n    delta\n    done\n    message {\n      ...WidgetMessage\n    }\n    error {\n      code\n      message\n    }\n  }\n}\n\nmutation WidgetSubmitContact($sessionId: ID!, $input: ContactDetailsInput!) {\n  submitContactDetails(sessionId: $sessionId, input: $input) {\n    id\n  }\n}\n\nmutation WidgetRateMessage($input: RateMessageInput!) {\n  rateMessage(input: $input)\n}"): typeof import('./graphql').WidgetCtaFragmentDoc;


export function gql(source: string) {
  return (documents as any)[source] ?? {};
}
