import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { BusinessEntity } from '../business/business.entity';

/** What a webhook subscribes to (GraphQL `WebhookEvent`; the wire's `type` is {@link EVENT_TYPES}). */
export enum WebhookEvent {
  LEAD_CREATED = 'LEAD_CREATED',
  LEAD_UPDATED = 'LEAD_UPDATED',
  CONVERSATION_ENDED = 'CONVERSATION_ENDED',
}

export enum DeliveryState {
  PENDING = 'PENDING',
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
}

/** One attempt of a delivery, as recorded in its log (`webhook_deliveries.history`). */
export interface DeliveryAttemptRecord {
  attempt: number;
  /** When the attempt was made (claimed by a worker), ISO 8601. */
  at: string;
  /** The receiver's HTTP status; null when there was no answer. */
  status: number | null;
  /** Generic reason for a failure (no address, host or body of the receiver); null on success. */
  error: string | null;
  /** When the next attempt is due; null when this was the last one (delivered or FAILED). */
  nextAttemptAt: string | null;
}

/**
 * A business's webhook: where its events are POSTed, signed with its secret. The secret is
 * stored encrypted (AES-256-GCM under WEBHOOK_SECRET_KEY, see webhook.secret.ts), never in
 * clear text; it is shown once, by createWebhook.
 */
@Entity({ tableName: 'webhooks' })
export class WebhookEntity {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => BusinessEntity, { fieldName: 'business_id', mapToPk: true, deleteRule: 'cascade', updateRule: 'cascade', index: true })
  businessId!: string;

  @Property({ type: 'text' })
  url!: string;

  /** Subscribed events (WebhookEvent names). */
  @Property({ type: 'json' })
  events: WebhookEvent[] = [];

  /** `v1.<iv>.<tag>.<ciphertext>` (base64 parts) of the `whsec_…` secret; see webhook.secret.ts. */
  @Property({ type: 'text', lazy: true })
  secretCiphertext!: string;

  @Property({ type: 'boolean' })
  enabled: boolean = true;

  @Property({ type: 'text', nullable: true })
  disabledReason?: string | null;

  /**
   * Since when every attempt has failed (set by the first failure after a success, cleared by
   * a success); a webhook failing for {@link DISABLE_AFTER_MS} is disabled.
   */
  @Property({ type: 'timestamptz', nullable: true })
  failingSince?: Date | null;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}

/**
 * One event for one webhook: the transactional outbox row. Written in the transaction of the
 * event (a lead, a conversation), then sent by the worker; the row is the truth about it —
 * nothing about a delivery lives only in Redis or in memory. `id` is the Standard Webhooks
 * `webhook-id`, the same on every attempt. `body` is the exact JSON sent (identical bytes on
 * every retry); erased (null) when its lead is deleted.
 */
@Entity({ tableName: 'webhook_deliveries' })
@Index({ name: 'webhook_deliveries_webhook_created_index', properties: ['webhookId', 'createdAt'] })
@Index({
  name: 'webhook_deliveries_due_index',
  expression: `create index "webhook_deliveries_due_index" on "webhook_deliveries" ("next_attempt_at") where "state" = 'PENDING'`,
})
export class WebhookDeliveryEntity {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => WebhookEntity, { fieldName: 'webhook_id', mapToPk: true, deleteRule: 'cascade', updateRule: 'cascade' })
  webhookId!: string;

  @ManyToOne(() => BusinessEntity, { fieldName: 'business_id', mapToPk: true, deleteRule: 'cascade', updateRule: 'cascade', index: true })
  businessId!: string;

  @Enum({ items: () => WebhookEvent, type: 'text', nativeEnumName: undefined })
  event!: WebhookEvent;

  /** The lead the event is about (lead events, and a conversation with a lead): erased with it. No FK: leads are another feature's table. */
  @Property({ type: 'uuid', nullable: true, index: true })
  leadId?: string | null;

  /** The chat session the event is about (a conversation's end, a lead from chat): its payload goes with the visitor's erasure. */
  @Property({ type: 'text', nullable: true })
  sessionId?: string | null;

  /** The exact request body; null once erased. */
  @Property({ type: 'text', nullable: true, lazy: true })
  body?: string | null;

  @Enum({ items: () => DeliveryState, type: 'text', nativeEnumName: undefined })
  state: DeliveryState = DeliveryState.PENDING;

  @Property({ type: 'integer' })
  attempts: number = 0;

  @Property({ type: 'integer', nullable: true })
  lastStatus?: number | null;

  @Property({ type: 'text', nullable: true })
  lastError?: string | null;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz', nullable: true })
  deliveredAt?: Date | null;

  /**
   * When a worker should next try; null once SUCCEEDED or FAILED. While an attempt runs it is
   * the attempt's lease (claim time + WEBHOOK_TIMEOUT_MS + a margin): a worker killed mid-request
   * leaves the row PENDING, and once the lease is over another claim sends it again (same id).
   */
  @Property({ type: 'timestamptz', nullable: true })
  nextAttemptAt?: Date | null;

  /** Every attempt, oldest first (the delivery log). */
  @Property({ type: 'json' })
  history: DeliveryAttemptRecord[] = [];
}
