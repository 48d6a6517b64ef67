import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { BusinessEntity } from '../business/business.entity';
import type { CtaButton } from '../business/business.profile';
import type { SourceRecord } from '../chat/chat.records';

/**
 * A chat session's record in Postgres (id = the session id): the transcript outlives the
 * session's Redis TTL and is kept CONVERSATION_RETENTION_DAYS. Written only by the worker from
 * the chat event stream (conversation.recorder.ts); erased by endSession.
 */
@Entity({ tableName: 'conversations' })
@Index({ name: 'conversations_business_started_index', properties: ['businessId', 'startedAt', 'id'] })
@Index({ name: 'conversations_open_last_message_index', properties: ['lastMessageAt'], expression: 'create index "conversations_open_last_message_index" on "conversations" ("last_message_at") where "ended_at" is null' })
export class ConversationEntity {
  @PrimaryKey({ type: 'text' })
  id!: string;

  @ManyToOne(() => BusinessEntity, { fieldName: 'business_id', mapToPk: true, deleteRule: 'cascade', updateRule: 'cascade' })
  businessId!: string;

  @Property({ type: 'timestamptz' })
  startedAt!: Date;

  @Property({ type: 'timestamptz' })
  lastMessageAt!: Date;

  @Property({ type: 'timestamptz', nullable: true })
  endedAt?: Date | null;

  @Property({ type: 'integer' })
  messageCount: number = 0;

  @Property({ type: 'text', nullable: true })
  summary?: string | null;

  @Property({ type: 'text', nullable: true })
  intent?: string | null;

  @Property({ type: 'text', nullable: true })
  sentiment?: string | null;

  /** The worker's claim while it ends the conversation (conversation.ending.ts), and its lease. */
  @Property({ type: 'uuid', nullable: true })
  endingClaim?: string | null;

  @Property({ type: 'timestamptz', nullable: true })
  endingUntil?: Date | null;

  /** Provider failures while ending it (the offline labels stand in after a few). */
  @Property({ type: 'smallint' })
  endingAttempts: number = 0;
}

/** One message of a conversation record, as it was in the session (same id). */
@Entity({ tableName: 'conversation_messages' })
@Index({ name: 'conversation_messages_conversation_index', properties: ['conversationId', 'createdAt', 'idx'] })
export class ConversationMessageEntity {
  @PrimaryKey({ type: 'uuid' })
  id!: string;

  @ManyToOne(() => ConversationEntity, { fieldName: 'conversation_id', mapToPk: true, deleteRule: 'cascade', updateRule: 'cascade' })
  conversationId!: string;

  @Property({ type: 'text' })
  role!: 'USER' | 'ASSISTANT';

  @Property({ type: 'text' })
  text!: string;

  @Property({ type: 'timestamptz' })
  createdAt!: Date;

  /** Order among messages reported together (a visitor message and its canned reply share a millisecond). */
  @Property({ type: 'smallint' })
  idx: number = 0;

  @Property({ type: 'jsonb' })
  sources: SourceRecord[] = [];

  @Property({ type: 'jsonb' })
  ctas: CtaButton[] = [];
}

export const EVENT_KINDS = ['session_started', 'visitor_message', 'cta_click', 'reply_sent', 'unanswered', 'lead_created'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

/**
 * One countable event (analytics are aggregated from these by SQL at query time). Rows outlive
 * the conversation record: erasure nulls `text`, `question_norm` and `question_key` and keeps
 * the row, so counts stay and texts go.
 */
@Entity({ tableName: 'analytics_events' })
@Index({ name: 'analytics_events_business_kind_at_index', properties: ['businessId', 'kind', 'at'] })
@Index({ name: 'analytics_events_session_index', properties: ['sessionId'] })
export class AnalyticsEventEntity {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => BusinessEntity, { fieldName: 'business_id', mapToPk: true, deleteRule: 'cascade', updateRule: 'cascade' })
  businessId!: string;

  @Property({ type: 'text', nullable: true })
  sessionId?: string | null;

  @Property({ type: 'text' })
  kind!: EventKind;

  @Property({ type: 'timestamptz' })
  at!: Date;

  /** The visitor's question (visitor_message, unanswered), as written. */
  @Property({ type: 'text', nullable: true })
  text?: string | null;

  /** `text` lower-cased, without punctuation, single-spaced: the wording shown for a group. */
  @Property({ type: 'text', nullable: true })
  questionNorm?: string | null;

  /** The sorted, de-duplicated stems of its content words: questions with one key are counted together. */
  @Property({ type: 'text', nullable: true })
  questionKey?: string | null;

  @Property({ type: 'boolean' })
  voice: boolean = false;

  @Property({ type: 'text', nullable: true })
  ctaId?: string | null;

  @Property({ type: 'text', nullable: true })
  ctaLabel?: string | null;

  @Property({ type: 'text', nullable: true })
  provider?: string | null;

  @Property({ type: 'integer', nullable: true })
  firstTokenMs?: number | null;

  /** session_started rows: the visitor wrote or clicked at least once. */
  @Property({ type: 'boolean' })
  engaged: boolean = false;
}

/** The visitor's rating of one assistant message: one row per message, the last rating counts. */
@Entity({ tableName: 'message_feedback' })
@Index({ name: 'message_feedback_business_updated_index', properties: ['businessId', 'updatedAt'] })
@Index({ name: 'message_feedback_session_index', properties: ['sessionId'] })
export class MessageFeedbackEntity {
  @PrimaryKey({ type: 'uuid' })
  messageId!: string;

  @ManyToOne(() => BusinessEntity, { fieldName: 'business_id', mapToPk: true, deleteRule: 'cascade', updateRule: 'cascade' })
  businessId!: string;

  /** Null once the visitor erased the session (the count stays). */
  @Property({ type: 'text', nullable: true })
  sessionId?: string | null;

  @Property({ type: 'text' })
  rating!: 'UP' | 'DOWN';

  @Property({ type: 'text', nullable: true })
  comment?: string | null;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz' })
  updatedAt: Date = new Date();
}

/**
 * Sessions the visitor erased: the worker stores nothing more for them (an event it had read
 * before the erasure cannot bring the record back). Kept CONVERSATION_RETENTION_DAYS.
 */
@Entity({ tableName: 'erased_conversations' })
export class ErasedConversationEntity {
  @PrimaryKey({ type: 'text' })
  id!: string;

  @Property({ type: 'timestamptz' })
  erasedAt: Date = new Date();
}

/**
 * Which (business, UTC day) of analytics_events is rolled up: `rolledAt` set = `analytics_rollup`
 * holds that day's counts; null = to be (re)computed by the worker (analytics.rollup.ts), and
 * read from the events meanwhile. Written by raw SQL only (the recorder, erasure, retention).
 */
@Entity({ tableName: 'analytics_rollup_days' })
@Index({ name: 'analytics_rollup_days_pending_index', expression: 'create index "analytics_rollup_days_pending_index" on "analytics_rollup_days" ("day") where "rolled_at" is null' })
export class AnalyticsRollupDayEntity {
  @ManyToOne(() => BusinessEntity, { fieldName: 'business_id', mapToPk: true, primary: true, deleteRule: 'cascade', updateRule: 'cascade' })
  businessId!: string;

  @PrimaryKey({ type: 'date' })
  day!: string;

  @Property({ type: 'timestamptz', nullable: true })
  rolledAt?: Date | null;
}

/** One count of a rolled-up day: `metric` (sessions, engaged, cta, q:visitor_message, ftt, …), its dimension and label. */
@Entity({ tableName: 'analytics_rollup' })
export class AnalyticsRollupEntity {
  @ManyToOne(() => BusinessEntity, { fieldName: 'business_id', mapToPk: true, primary: true, deleteRule: 'cascade', updateRule: 'cascade' })
  businessId!: string;

  @PrimaryKey({ type: 'date' })
  day!: string;

  @PrimaryKey({ type: 'text' })
  metric!: string;

  @PrimaryKey({ type: 'text' })
  dim: string = '';

  @PrimaryKey({ type: 'text' })
  label: string = '';

  @Property({ type: 'integer' })
  n!: number;
}

export const ANALYTICS_ENTITIES = [
  ConversationEntity,
  ConversationMessageEntity,
  AnalyticsEventEntity,
  MessageFeedbackEntity,
  ErasedConversationEntity,
  AnalyticsRollupDayEntity,
  AnalyticsRollupEntity,
];
