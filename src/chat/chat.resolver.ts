import { Arg, Ctx, ID, Int, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import type { ReplyChunkRecord } from './chat.records';
import { toChatMessage, toChatSession, toReplyChunk } from './chat.mapper';
import type { ChatService } from './chat.service';
import { ChatMessage, ChatSession, MessageReceipt, ReplyChunk, SendMessageInput } from './chat.types';
import { RateLimited, type RateLimitedContext } from './rate-limit';

/** The context chat operations run with: the request plus the chat service and limits. */
export interface ChatContext extends RateLimitedContext {
  chat: ChatService;
}

/** Public chat operations (no API key; origin-bound and rate limited). Resolvers only adapt. */
@Resolver()
export class ChatResolver {
  constructor(private readonly chatService: ChatService) {}

  @Mutation(() => ChatSession, { description: 'Starts a chat session with a business; the greeting is its first message.' })
  async startSession(@Arg('businessId', () => ID, { description: 'The business to talk to.' }) businessId: string, @Ctx() ctx: ChatContext): Promise<ChatSession> {
    return toChatSession(await this.chatService.startSession(businessId, ctx));
  }

  @Query(() => ChatSession, {
    nullable: true,
    description: "The visitor's own session and its transcript. An unknown or expired id is a NOT_FOUND error.",
  })
  async session(@Arg('id', () => ID, { description: 'The session id from startSession.' }) id: string, @Ctx() ctx: ChatContext): Promise<ChatSession> {
    return toChatSession(await this.chatService.getSession(id, ctx));
  }

  @Mutation(() => MessageReceipt, { description: 'Sends a visitor message (text or a CTA click) and starts the reply; stream it with replyStream.' })
  @RateLimited('chat')
  async sendMessage(@Arg('input', () => SendMessageInput, { description: 'The session and the visitor text or CTA click.' }) input: SendMessageInput, @Ctx() ctx: ChatContext): Promise<MessageReceipt> {
    const receipt = await this.chatService.sendMessage(input, ctx);
    return { userMessage: toChatMessage(receipt.userMessage), replyId: receipt.replyId, transcriptPending: false };
  }

  @Mutation(() => ChatMessage, { description: 'Like sendMessage, but waits and returns the whole reply.' })
  @RateLimited('chat')
  async chat(@Arg('input', () => SendMessageInput, { description: 'The session and the visitor text or CTA click.' }) input: SendMessageInput, @Ctx() ctx: ChatContext): Promise<ChatMessage> {
    return toChatMessage(await this.chatService.chat(input, ctx));
  }

  @Mutation(() => Boolean, { description: 'Erases the session now; false when there was no such session.' })
  async endSession(@Arg('id', () => ID, { description: 'The session id.' }) id: string, @Ctx() ctx: ChatContext): Promise<boolean> {
    return this.chatService.endSession(id, ctx);
  }

  @Subscription(() => ReplyChunk, {
    description: 'The chunks of a reply: replays from fromSeq, then follows live, and completes after the chunk with done: true. Works on any server process.',
    subscribe: ({ args, context }) => (context as ChatContext).chat.replyStream(String(args.replyId), Number(args.fromSeq ?? 0)),
  })
  replyStream(
    @Root() chunk: ReplyChunkRecord,
    @Arg('replyId', () => ID, { description: 'From the MessageReceipt of sendMessage.' }) _replyId: string,
    @Arg('fromSeq', () => Int, { defaultValue: 0, description: 'First seq to deliver (0: from the start).' }) _fromSeq: number,
  ): ReplyChunk {
    return toReplyChunk(chunk);
  }
}
