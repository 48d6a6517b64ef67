import { Arg, Ctx, ID, Int, Mutation, Query, Resolver, Root, Subscription, type SubscribeResolverData } from 'type-graphql';
import type { RequestContext } from '../common/request-context';
import { resolverOf } from '../common/resolver-container';
import type { ReplyChunkRecord } from './chat.records';
import { toChatMessage, toChatSession, toReplyChunk } from './chat.mapper';
import type { ChatService } from './chat.service';
import { ChatMessage, ChatSession, MessageReceipt, ReplyChunk, SendMessageInput } from './chat.types';
import { RateLimited } from '../common/rate-limit';

/** Public chat operations (no API key; origin-bound and rate limited). Resolvers only adapt. */
@Resolver()
export class ChatResolver {
  constructor(private readonly chatService: ChatService) {}

  @Mutation(() => ChatSession, { description: 'Starts a chat session with a business; the greeting is its first message.' })
  @RateLimited('session')
  async startSession(@Arg('businessId', () => ID, { description: 'The business to talk to.' }) businessId: string, @Ctx() ctx: RequestContext): Promise<ChatSession> {
    return toChatSession(await this.chatService.startSession(businessId, ctx));
  }

  @Query(() => ChatSession, {
    nullable: true,
    description: "The visitor's own session and its transcript. An unknown or expired id is a NOT_FOUND error.",
  })
  async session(@Arg('id', () => ID, { description: 'The session id from startSession.' }) id: string, @Ctx() ctx: RequestContext): Promise<ChatSession> {
    return toChatSession(await this.chatService.getSession(id, ctx));
  }

  // Rate limited by the service: model turns (RATE_LIMIT_CHAT) and navigation (RATE_LIMIT_NAVIGATION) apart.
  @Mutation(() => MessageReceipt, { description: 'Sends a visitor message (text or a CTA click) and starts the reply; stream it with replyStream.' })
  async sendMessage(@Arg('input', () => SendMessageInput, { description: 'The session and the visitor text or CTA click.' }) input: SendMessageInput, @Ctx() ctx: RequestContext): Promise<MessageReceipt> {
    const receipt = await this.chatService.sendMessage(input, ctx);
    return { userMessage: toChatMessage(receipt.userMessage), replyId: receipt.replyId, transcriptPending: false };
  }

  @Mutation(() => ChatMessage, { description: 'Like sendMessage, but waits and returns the whole reply.' })
  async chat(@Arg('input', () => SendMessageInput, { description: 'The session and the visitor text or CTA click.' }) input: SendMessageInput, @Ctx() ctx: RequestContext): Promise<ChatMessage> {
    return toChatMessage(await this.chatService.chat(input, ctx));
  }

  @Mutation(() => Boolean, { description: 'Erases the session now; false when there was no such session.' })
  async endSession(@Arg('id', () => ID, { description: 'The session id.' }) id: string, @Ctx() ctx: RequestContext): Promise<boolean> {
    return this.chatService.endSession(id, ctx);
  }

  /** The source of `replyStream`: this process's reader of the reply's Redis stream. */
  replyChunks(replyId: string, fromSeq: number): Promise<AsyncIterableIterator<ReplyChunkRecord>> {
    return this.chatService.replyStream(replyId, fromSeq);
  }

  @Subscription(() => ReplyChunk, {
    description: 'The chunks of a reply: replays from fromSeq, then follows live, and completes after the chunk with done: true. Works on any server process.',
    subscribe: (data: SubscribeResolverData) => resolverOf(data, ChatResolver).replyChunks(String(data.args.replyId), Number(data.args.fromSeq ?? 0)),
  })
  replyStream(
    @Root() chunk: ReplyChunkRecord,
    @Arg('replyId', () => ID, { description: 'From the MessageReceipt of sendMessage.' }) _replyId: string,
    @Arg('fromSeq', () => Int, { defaultValue: 0, description: 'First seq to deliver (0: from the start).' }) _fromSeq: number,
  ): ReplyChunk {
    return toReplyChunk(chunk);
  }
}
