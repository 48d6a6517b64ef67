import { Field, ID, ObjectType } from 'type-graphql';

/*
 * PROVISIONAL — delete at the merge with the chat branch. `MessageReceipt` and `ChatMessage`
 * belong to chat (chat.types.ts); these minimal copies exist only so that sendVoiceMessage has
 * its contract return type on this branch. At the merge: import chat's MessageReceipt in
 * voice.resolver.ts and add the `transcriptPending` field below to it.
 */

@ObjectType({ description: 'A message in a chat session.' })
export class ChatMessage {
  @Field(() => ID, { description: 'Message id.' })
  id!: string;

  @Field({ description: "The message text. For a voice message: its transcript (empty while `transcriptPending`)." })
  text!: string;
}

@ObjectType({ description: 'What sendMessage / sendVoiceMessage return at once: the stored visitor message and the id of the reply to stream with replyStream.' })
export class MessageReceipt {
  @Field(() => ChatMessage, { description: "The visitor's message as stored. For a voice message, `text` is the transcript." })
  userMessage!: ChatMessage;

  @Field(() => ID, { description: 'Pass to replyStream(replyId) to receive the answer.' })
  replyId!: string;

  @Field({
    description:
      'True when a large voice message is being transcribed by the background worker: `userMessage.text` is empty for now, and ' +
      'replyStream(replyId) delivers the answer once the transcript is known (its final chunk carries the message; the session ' +
      'query shows the transcript as the visitor message). Always false for typed messages and small voice messages.',
  })
  transcriptPending!: boolean;
}
