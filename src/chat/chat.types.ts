import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { ContactField } from '../business/business.profile';
import { Cta } from '../business/cta.types';

export enum Role {
  USER = 'USER',
  ASSISTANT = 'ASSISTANT',
}

registerEnumType(Role, {
  name: 'Role',
  description: 'Who wrote a chat message.',
  valuesConfig: { USER: { description: 'The website visitor.' }, ASSISTANT: { description: "The business's concierge." } },
});

export enum Rating {
  UP = 'UP',
  DOWN = 'DOWN',
}

registerEnumType(Rating, { name: 'Rating', description: "A visitor's thumbs on an assistant message (rateMessage)." });

@ObjectType({ description: 'A knowledge-base passage a reply drew on.' })
export class Source {
  @Field(() => ID, { description: 'The knowledge document the passage came from.' })
  documentId!: string;

  @Field({ description: 'Title of that document.' })
  title!: string;

  @Field({ description: 'A short excerpt of the passage.' })
  snippet!: string;
}

@ObjectType({ description: 'One message of a chat session.' })
export class ChatMessage {
  @Field(() => ID, { description: 'Message id, unique within the session.' })
  id!: string;

  @Field(() => Role, { description: 'Who wrote it.' })
  role!: Role;

  @Field({ description: 'The message text (plain text; may contain URLs).' })
  text!: string;

  @Field({ description: 'When the message was written.' })
  createdAt!: Date;

  @Field(() => [Source], { description: 'Knowledge passages an assistant reply drew on; empty for visitor messages.' })
  sources!: Source[];

  @Field(() => [Cta], { description: 'Quick-reply buttons to show under this message.' })
  ctas!: Cta[];

  @Field(() => ContactField, {
    nullable: true,
    description:
      'On an assistant reply that asks the visitor for contact details: the detail it asks for (the first required field still missing ' +
      "once the visitor showed intent, from the server's capture state, not the wording). The widget opens its contact form on it. " +
      'Null on other messages and on Conversation.messages.',
  })
  asksForContact?: ContactField | null;

  @Field(() => Rating, { nullable: true, description: "The visitor's rating of this assistant message (the last one counts). Set on Conversation.messages (admin); null elsewhere." })
  rating?: Rating | null;

  @Field(() => String, { nullable: true, description: "The comment the visitor gave with the rating. Set on Conversation.messages (admin); null elsewhere." })
  ratingComment?: string | null;
}

@ObjectType({ description: "A visitor's conversation with one business's concierge." })
export class ChatSession {
  @Field(() => ID, { description: 'Unguessable session id: a bearer token for this conversation; keep it private.' })
  id!: string;

  @Field(() => ID, { description: 'The business this session was started for.' })
  businessId!: string;

  @Field(() => [ChatMessage], { description: 'The transcript, oldest first (the most recent 200 messages).' })
  messages!: ChatMessage[];

  @Field({ description: 'When the session expires if idle; every turn moves it forward (SESSION_TTL_SECONDS).' })
  expiresAt!: Date;
}

@ObjectType({ description: 'Acknowledges a visitor message; the reply streams separately.' })
export class MessageReceipt {
  @Field(() => ChatMessage, { description: "The visitor's message as stored in the session." })
  userMessage!: ChatMessage;

  @Field(() => ID, { description: 'Id of the reply being generated; pass it to `replyStream`.' })
  replyId!: string;

  @Field({
    description:
      'True when a large voice message is being transcribed by the background worker: `userMessage.text` is empty for now, and ' +
      'replyStream(replyId) delivers the answer once the transcript is known (its final chunk carries the message; the session ' +
      'query shows the transcript as the visitor message). Always false for typed messages and small voice messages.',
  })
  transcriptPending: boolean = false;
}

@ObjectType({ description: 'Why a reply ended without a complete message.' })
export class ReplyError {
  @Field({ description: 'Machine-readable reason: LLM_FAILED (the model failed mid-reply), INTERRUPTED (the server generating it went away), INTERNAL. ' +
      'For a pending voice message (transcriptPending): BAD_USER_INPUT (the recording could not be transcribed or expired), ' +
      'SERVICE_UNAVAILABLE (it could not be queued), NOT_FOUND (the session ended first).' })
  code!: string;

  @Field({ description: 'A message that can be shown to the visitor.' })
  message!: string;
}

@ObjectType({ description: 'A piece of a streamed reply. Concatenate `delta`s in `seq` order; the last chunk has `done: true`.' })
export class ReplyChunk {
  @Field(() => ID, { description: 'The reply this chunk belongs to.' })
  replyId!: string;

  @Field(() => Int, { description: 'Position in the reply, from 0; resubscribe with `fromSeq` to resume after a disconnect.' })
  seq!: number;

  @Field({ description: 'Text to append to what was received so far; empty on the final chunk.' })
  delta!: string;

  @Field({ description: 'True on the final chunk; the subscription completes after it.' })
  done!: boolean;

  @Field(() => ChatMessage, { nullable: true, description: 'On the final chunk: the whole reply as stored in the session.' })
  message?: ChatMessage | null;

  @Field(() => ReplyError, { nullable: true, description: 'On the final chunk, when the reply failed; the visitor message stays in the session.' })
  error?: ReplyError | null;
}

@InputType({ description: 'A visitor message: `text`, or a click on a quick-reply button (`ctaId`). There is no system prompt field, by design.' })
export class SendMessageInput {
  @Field(() => ID, { description: 'The session from startSession.' })
  sessionId!: string;

  @Field(() => String, { nullable: true, description: 'What the visitor typed (1 to 4,000 characters).' })
  text?: string | null;

  @Field(() => ID, { nullable: true, description: 'Id of the clicked CTA (from `ctas` of a message or the entry CTAs).' })
  ctaId?: string | null;
}
