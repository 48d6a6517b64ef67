import type { EntityManager } from '@mikro-orm/postgresql';

/** The events a business can subscribe a webhook to (the wire's `type`, see docs/API.md). */
export type WebhookEventType = 'lead.created' | 'lead.updated' | 'conversation.ended';

/**
 * The transactional outbox that leads and conversations hand their events to. `enqueue` writes
 * one delivery row per enabled webhook of the business subscribed to `type`, through `em` — the
 * caller's transaction — so the event and its deliveries commit together or not at all; the worker
 * sends them afterwards. Implemented in `webhook.dispatcher.ts`, built once in `src/core.ts`.
 */
export interface WebhookOutbox {
  enqueue(em: EntityManager, businessId: string, type: WebhookEventType, data: Record<string, unknown>): Promise<void>;
}
