/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
/** The widget's contact form. Explicit by nature: given fields replace what the chat captured. One invalid field refuses the whole submission. */
export type ContactDetailsInput = {
  /** The visitor agrees to be contacted; false is refused (BAD_USER_INPUT) and nothing is stored. */
  consent: boolean;
  /** E-mail address. */
  email?: string | null | undefined;
  /** Name. */
  name?: string | null | undefined;
  /** Phone number; national numbers are read in the business's defaultPhoneRegion. */
  phone?: string | null | undefined;
};

/** A contact detail the concierge can ask a visitor for. */
export type ContactField =
  /** An e-mail address (checked for shape, stored lower-case). */
  | 'EMAIL'
  /** The visitor's name. */
  | 'NAME'
  /** A phone number, valid for its region (read with the business's defaultPhoneRegion), stored in E.164. */
  | 'PHONE';

/** What a quick-reply button does when clicked. */
export type CtaAction =
  /** Opens the node's url. */
  | 'LINK'
  /** Sends the node's message as the visitor's text. */
  | 'SEND'
  /** Answers with the node's children as new buttons; no model call. */
  | 'SHOW_CHILDREN';

/** The visitor's rating of one assistant message of their own session. */
export type RateMessageInput = {
  /** Optional, at most 1,000 characters. */
  comment?: string | null | undefined;
  /** An assistant message of that session. */
  messageId: string | number;
  /** UP or DOWN; a later rating of the same message replaces it. */
  rating: Rating;
  /** The visitor's session. */
  sessionId: string | number;
};

/** A visitor's thumbs on an assistant message (rateMessage). */
export type Rating =
  | 'DOWN'
  | 'UP';

/** Who wrote a chat message. */
export type Role =
  /** The business's concierge. */
  | 'ASSISTANT'
  /** The website visitor. */
  | 'USER';

/** A visitor message: `text`, or a click on a quick-reply button (`ctaId`). There is no system prompt field, by design. */
export type SendMessageInput = {
  /** Id of the clicked CTA (from `ctas` of a message or the entry CTAs). */
  ctaId?: string | number | null | undefined;
  /** The session from startSession. */
  sessionId: string | number;
  /** What the visitor typed (1 to 4,000 characters). */
  text?: string | null | undefined;
};

/** Where the chat widget sits on the page. */
export type WidgetPosition =
  | 'BOTTOM_LEFT'
  | 'BOTTOM_RIGHT'
  | 'CENTER';

export type WidgetCtaFragment = { id: string, label: string, action: CtaAction, url: string | null, message: string | null };

export type WidgetMessageFragment = { id: string, role: Role, text: string, createdAt: string, asksForContact: ContactField | null, ctas: Array<{ id: string, label: string, action: CtaAction, url: string | null, message: string | null }> };

export type WidgetBusinessQueryVariables = Exact<{
  id: string | number;
}>;


export type WidgetBusinessQuery = { publicBusiness: { id: string, name: string, greeting: string, secondaryGreeting: string | null, privacyStatement: string | null, themeColor: string, widgetPosition: WidgetPosition, buttonText: string | null, logoUrl: string | null, voiceEnabled: boolean, suggestedQuestions: Array<string>, entryCtas: Array<{ id: string, label: string, action: CtaAction, url: string | null, message: string | null }> } | null };

export type WidgetStartSessionMutationVariables = Exact<{
  businessId: string | number;
}>;


export type WidgetStartSessionMutation = { startSession: { id: string, messages: Array<{ id: string, role: Role, text: string, createdAt: string, asksForContact: ContactField | null, ctas: Array<{ id: string, label: string, action: CtaAction, url: string | null, message: string | null }> }> } };

export type WidgetSessionQueryVariables = Exact<{
  id: string | number;
}>;


export type WidgetSessionQuery = { session: { id: string, messages: Array<{ id: string, role: Role, text: string, createdAt: string, asksForContact: ContactField | null, ctas: Array<{ id: string, label: string, action: CtaAction, url: string | null, message: string | null }> }>, contactDetails: { name: string | null, email: string | null, phone: string | null } | null } | null };

export type WidgetSendMessageMutationVariables = Exact<{
  input: SendMessageInput;
}>;


export type WidgetSendMessageMutation = { sendMessage: { replyId: string, userMessage: { id: string, role: Role, text: string, createdAt: string, asksForContact: ContactField | null, ctas: Array<{ id: string, label: string, action: CtaAction, url: string | null, message: string | null }> } } };

export type WidgetSendVoiceMutationVariables = Exact<{
  sessionId: string | number;
  audio: Blob;
}>;


export type WidgetSendVoiceMutation = { sendVoiceMessage: { replyId: string, transcriptPending: boolean, userMessage: { id: string, role: Role, text: string, createdAt: string, asksForContact: ContactField | null, ctas: Array<{ id: string, label: string, action: CtaAction, url: string | null, message: string | null }> } } };

export type WidgetReplyStreamSubscriptionVariables = Exact<{
  replyId: string | number;
  fromSeq?: number | null | undefined;
}>;


export type WidgetReplyStreamSubscription = { replyStream: { seq: number, delta: string, done: boolean, message: { id: string, role: Role, text: string, createdAt: string, asksForContact: ContactField | null, ctas: Array<{ id: string, label: string, action: CtaAction, url: string | null, message: string | null }> } | null, error: { code: string, message: string } | null } };

export type WidgetSubmitContactMutationVariables = Exact<{
  sessionId: string | number;
  input: ContactDetailsInput;
}>;


export type WidgetSubmitContactMutation = { submitContactDetails: { id: string } };

export type WidgetRateMessageMutationVariables = Exact<{
  input: RateMessageInput;
}>;


export type WidgetRateMessageMutation = { rateMessage: boolean };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}
export const WidgetCtaFragmentDoc = new TypedDocumentString(`
    fragment WidgetCta on Cta {
  id
  label
  action
  url
  message
}
    `, {"fragmentName":"WidgetCta"}) as unknown as TypedDocumentString<WidgetCtaFragment, unknown>;
export const WidgetMessageFragmentDoc = new TypedDocumentString(`
    fragment WidgetMessage on ChatMessage {
  id
  role
  text
  createdAt
  asksForContact
  ctas {
    ...WidgetCta
  }
}
    fragment WidgetCta on Cta {
  id
  label
  action
  url
  message
}`, {"fragmentName":"WidgetMessage"}) as unknown as TypedDocumentString<WidgetMessageFragment, unknown>;
export const WidgetBusinessDocument = new TypedDocumentString(`
    query WidgetBusiness($id: ID!) {
  publicBusiness(id: $id) {
    id
    name
    greeting
    secondaryGreeting
    privacyStatement
    themeColor
    widgetPosition
    buttonText
    logoUrl
    voiceEnabled
    entryCtas {
      ...WidgetCta
    }
    suggestedQuestions
  }
}
    fragment WidgetCta on Cta {
  id
  label
  action
  url
  message
}`) as unknown as TypedDocumentString<WidgetBusinessQuery, WidgetBusinessQueryVariables>;
export const WidgetStartSessionDocument = new TypedDocumentString(`
    mutation WidgetStartSession($businessId: ID!) {
  startSession(businessId: $businessId) {
    id
    messages {
      ...WidgetMessage
    }
  }
}
    fragment WidgetCta on Cta {
  id
  label
  action
  url
  message
}
fragment WidgetMessage on ChatMessage {
  id
  role
  text
  createdAt
  asksForContact
  ctas {
    ...WidgetCta
  }
}`) as unknown as TypedDocumentString<WidgetStartSessionMutation, WidgetStartSessionMutationVariables>;
export const WidgetSessionDocument = new TypedDocumentString(`
    query WidgetSession($id: ID!) {
  session(id: $id) {
    id
    messages {
      ...WidgetMessage
    }
    contactDetails {
      name
      email
      phone
    }
  }
}
    fragment WidgetCta on Cta {
  id
  label
  action
  url
  message
}
fragment WidgetMessage on ChatMessage {
  id
  role
  text
  createdAt
  asksForContact
  ctas {
    ...WidgetCta
  }
}`) as unknown as TypedDocumentString<WidgetSessionQuery, WidgetSessionQueryVariables>;
export const WidgetSendMessageDocument = new TypedDocumentString(`
    mutation WidgetSendMessage($input: SendMessageInput!) {
  sendMessage(input: $input) {
    replyId
    userMessage {
      ...WidgetMessage
    }
  }
}
    fragment WidgetCta on Cta {
  id
  label
  action
  url
  message
}
fragment WidgetMessage on ChatMessage {
  id
  role
  text
  createdAt
  asksForContact
  ctas {
    ...WidgetCta
  }
}`) as unknown as TypedDocumentString<WidgetSendMessageMutation, WidgetSendMessageMutationVariables>;
export const WidgetSendVoiceDocument = new TypedDocumentString(`
    mutation WidgetSendVoice($sessionId: ID!, $audio: Upload!) {
  sendVoiceMessage(sessionId: $sessionId, audio: $audio) {
    replyId
    transcriptPending
    userMessage {
      ...WidgetMessage
    }
  }
}
    fragment WidgetCta on Cta {
  id
  label
  action
  url
  message
}
fragment WidgetMessage on ChatMessage {
  id
  role
  text
  createdAt
  asksForContact
  ctas {
    ...WidgetCta
  }
}`) as unknown as TypedDocumentString<WidgetSendVoiceMutation, WidgetSendVoiceMutationVariables>;
export const WidgetReplyStreamDocument = new TypedDocumentString(`
    subscription WidgetReplyStream($replyId: ID!, $fromSeq: Int) {
  replyStream(replyId: $replyId, fromSeq: $fromSeq) {
    seq
    delta
    done
    message {
      ...WidgetMessage
    }
    error {
      code
      message
    }
  }
}
    fragment WidgetCta on Cta {
  id
  label
  action
  url
  message
}
fragment WidgetMessage on ChatMessage {
  id
  role
  text
  createdAt
  asksForContact
  ctas {
    ...WidgetCta
  }
}`) as unknown as TypedDocumentString<WidgetReplyStreamSubscription, WidgetReplyStreamSubscriptionVariables>;
export const WidgetSubmitContactDocument = new TypedDocumentString(`
    mutation WidgetSubmitContact($sessionId: ID!, $input: ContactDetailsInput!) {
  submitContactDetails(sessionId: $sessionId, input: $input) {
    id
  }
}
    `) as unknown as TypedDocumentString<WidgetSubmitContactMutation, WidgetSubmitContactMutationVariables>;
export const WidgetRateMessageDocument = new TypedDocumentString(`
    mutation WidgetRateMessage($input: RateMessageInput!) {
  rateMessage(input: $input)
}
    `) as unknown as TypedDocumentString<WidgetRateMessageMutation, WidgetRateMessageMutationVariables>;