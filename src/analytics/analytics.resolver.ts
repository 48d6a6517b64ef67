import { Arg, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { Rating, Role } from '../chat/chat.types';
import type { RequestContext } from '../common/request-context';
import { toLead } from '../leads/lead.mapper';
import type { AnalyticsService, ConversationRecord } from './analytics.service';
import { BusinessAnalytics, Conversation, ConversationConnection, RateMessageInput, Sentiment } from './analytics.types';

function toConversation(c: ConversationRecord): Conversation {
  return {
    id: c.id,
    businessId: c.businessId,
    startedAt: c.startedAt,
    lastMessageAt: c.lastMessageAt,
    endedAt: c.endedAt,
    summary: c.summary,
    intent: c.intent,
    sentiment: (c.sentiment as Sentiment | null) ?? null,
    lead: c.lead ? toLead(c.lead) : null,
    messages: c.messages.map((m) => ({
      id: m.id,
      role: m.role === 'USER' ? Role.USER : Role.ASSISTANT,
      text: m.text,
      createdAt: m.createdAt,
      sources: m.sources.map((s) => ({ ...s })),
      ctas: m.ctas.map((x) => ({ ...x })) as Conversation['messages'][number]['ctas'],
      rating: (m.rating as Rating | null) ?? null,
      ratingComment: m.ratingComment,
    })),
  };
}

/** Conversations, analytics (admin; a business key sees its own business only) and the visitor's feedback (public). */
@Resolver()
export class AnalyticsResolver {
  constructor(private readonly analyticsService: AnalyticsService) {}

  @Authorized()
  @Query(() => BusinessAnalytics, { description: 'Counts for [from, to) (at most 366 days), aggregated at query time.' })
  async analytics(
    @Arg('businessId', () => ID, { description: 'The business.' }) businessId: string,
    @Arg('from', () => Date, { description: 'Start of the range (inclusive).' }) from: Date,
    @Arg('to', () => Date, { description: 'End of the range (exclusive).' }) to: Date,
    @Ctx() ctx: RequestContext,
  ): Promise<BusinessAnalytics> {
    return this.analyticsService.analytics(ctx.principal, businessId, from, to);
  }

  @Authorized()
  @Query(() => ConversationConnection, { description: 'Conversation records of a business, newest first.' })
  async conversations(
    @Arg('businessId', () => ID, { description: 'The business.' }) businessId: string,
    @Arg('first', () => Int, { defaultValue: 50, description: '1–200.' }) first: number,
    @Arg('after', () => String, { nullable: true, description: 'pageInfo.endCursor of the previous page.' }) after: string | null,
    @Arg('withLead', () => Boolean, { nullable: true, description: 'true: only conversations with a lead; false: only without; unset: all.' }) withLead: boolean | null,
    @Ctx() ctx: RequestContext,
  ): Promise<ConversationConnection> {
    const page = await this.analyticsService.conversations(ctx.principal, businessId, first, after, withLead);
    return { nodes: page.nodes.map(toConversation), pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor } };
  }

  @Authorized()
  @Query(() => Conversation, { nullable: true, description: 'One conversation record by session id; null when there is none (never started, erased, or past retention).' })
  async conversation(@Arg('id', () => ID, { description: 'The session id.' }) id: string, @Ctx() ctx: RequestContext): Promise<Conversation | null> {
    const c = await this.analyticsService.conversation(ctx.principal, id);
    return c ? toConversation(c) : null;
  }

  @Mutation(() => Boolean, { description: "Public: the visitor's thumbs on an assistant message of their own session; one rating per message, the last counts." })
  async rateMessage(@Arg('input', () => RateMessageInput, { description: 'The session, the message and the rating.' }) input: RateMessageInput, @Ctx() ctx: RequestContext): Promise<boolean> {
    return this.analyticsService.rateMessage(input, ctx);
  }
}
