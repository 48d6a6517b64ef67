import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { ChatMessage, Rating } from '../chat/chat.types';
import { PageInfo } from '../common/page-info';
import { Lead } from '../leads/lead.types';

export enum Sentiment {
  POSITIVE = 'POSITIVE',
  NEUTRAL = 'NEUTRAL',
  NEGATIVE = 'NEGATIVE',
}

registerEnumType(Sentiment, { name: 'Sentiment', description: 'How the visitor felt, judged when the conversation ended.' });

@ObjectType({ description: "A session's conversation record (id = the session id): the transcript, kept CONVERSATION_RETENTION_DAYS. Admin only." })
export class Conversation {
  @Field(() => ID, { description: 'The session id.' })
  id!: string;

  @Field(() => ID, { description: 'The business the session was started for.' })
  businessId!: string;

  @Field({ description: 'When the session started.' })
  startedAt!: Date;

  @Field({ description: 'When the last message was written.' })
  lastMessageAt!: Date;

  @Field(() => Date, { nullable: true, description: 'When the worker ended it (CONVERSATION_IDLE_MINUTES without a message); null while open.' })
  endedAt!: Date | null;

  @Field(() => [ChatMessage], { description: 'Every message, oldest first, with the visitor\'s ratings.' })
  messages!: ChatMessage[];

  @Field(() => Lead, { nullable: true, description: 'The lead of this session, if the visitor gave details.' })
  lead!: Lead | null;

  @Field(() => String, { nullable: true, description: "The provider's summary, set when the conversation ended." })
  summary!: string | null;

  @Field(() => String, { nullable: true, description: 'What the visitor mainly wanted: information, pricing, booking, support, complaint or other; set when it ended.' })
  intent!: string | null;

  @Field(() => Sentiment, { nullable: true, description: 'Set when it ended.' })
  sentiment!: Sentiment | null;
}

@ObjectType({ description: 'A page of conversation records, newest first.' })
export class ConversationConnection {
  @Field(() => [Conversation], { description: 'This page.' })
  nodes!: Conversation[];

  @Field(() => PageInfo, { description: 'Where the next page starts.' })
  pageInfo!: PageInfo;
}

@ObjectType({ description: 'Clicks on one CTA.' })
export class CtaClickCount {
  @Field(() => ID, { description: 'The CTA node id.' })
  ctaId!: string;

  @Field({ description: 'Its label when clicked.' })
  label!: string;

  @Field(() => Int, { description: 'Clicks in the range.' })
  clicks!: number;
}

@ObjectType({ description: 'A group of similar questions (same words after stemming) and its most common wording.' })
export class QuestionCount {
  @Field({ description: 'The most common wording of the group (lower case, punctuation removed).' })
  question!: string;

  @Field(() => Int, { description: 'Questions in the group, in the range.' })
  count!: number;
}

@ObjectType({ description: 'Ratings of assistant messages (the last rating of each message counts).' })
export class FeedbackCounts {
  @Field(() => Int, { description: 'Thumbs up.' })
  up!: number;

  @Field(() => Int, { description: 'Thumbs down.' })
  down!: number;
}

@ObjectType({ description: 'One UTC day of the range.' })
export class DailyCount {
  @Field({ description: 'YYYY-MM-DD (UTC).' })
  date!: string;

  @Field(() => Int, { description: 'Sessions started that day.' })
  sessions!: number;

  @Field(() => Int, { description: 'Leads created that day.' })
  leads!: number;
}

@ObjectType({ description: 'What happened in a business\'s conversations in [from, to), counted by SQL at query time.' })
export class BusinessAnalytics {
  @Field(() => Int, { description: 'Sessions started in [from, to).' })
  sessions!: number;

  @Field(() => Int, { description: 'Of those, sessions with at least one visitor message or CTA click.' })
  engagedSessions!: number;

  @Field(() => Int, { description: 'Text and voice messages (CTA clicks are counted in ctaClicks).' })
  visitorMessages!: number;

  @Field(() => Int, { description: 'Of visitorMessages, those sent as voice.' })
  voiceMessages!: number;

  @Field(() => Int, { description: 'Leads created in [from, to).' })
  leads!: number;

  @Field(() => Float, { description: 'leads / engagedSessions (0 when none).' })
  conversionRate!: number;

  @Field(() => [CtaClickCount], { description: 'By CTA id, most clicked first.' })
  ctaClicks!: CtaClickCount[];

  @Field(() => [QuestionCount], { description: 'Visitor questions, similar ones counted together, most asked first (top 10).' })
  topQuestions!: QuestionCount[];

  @Field(() => [QuestionCount], { description: 'Questions the bot could not answer from what the business shared (top 10).' })
  unansweredQuestions!: QuestionCount[];

  @Field(() => FeedbackCounts, { description: 'Ratings given (or last changed) in the range.' })
  feedback!: FeedbackCounts;

  @Field(() => Float, { nullable: true, description: 'Median time from a visitor message to the first streamed token, in ms.' })
  medianFirstTokenMs!: number | null;

  @Field(() => [DailyCount], { description: 'One row per UTC day in the range.' })
  daily!: DailyCount[];
}

@InputType({ description: "The visitor's rating of one assistant message of their own session." })
export class RateMessageInput {
  @Field(() => ID, { description: 'The visitor\'s session.' })
  sessionId!: string;

  @Field(() => ID, { description: 'An assistant message of that session.' })
  messageId!: string;

  @Field(() => Rating, { description: 'UP or DOWN; a later rating of the same message replaces it.' })
  rating!: Rating;

  @Field(() => String, { nullable: true, description: 'Optional, at most 1,000 characters.' })
  comment?: string | null;
}
