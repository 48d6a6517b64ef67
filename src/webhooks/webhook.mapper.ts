import type { WebhookDeliveryEntity, WebhookEntity } from './webhook.entity';
import type { Webhook, WebhookDelivery } from './webhook.types';

export function toWebhook(w: WebhookEntity): Webhook {
  return { id: w.id, businessId: w.businessId, url: w.url, events: w.events, enabled: w.enabled, disabledReason: w.disabledReason ?? null, createdAt: w.createdAt };
}

export function toWebhookDelivery(d: WebhookDeliveryEntity): WebhookDelivery {
  return {
    id: d.id,
    webhookId: d.webhookId,
    event: d.event,
    state: d.state,
    attempts: d.attempts,
    lastStatus: d.lastStatus ?? null,
    lastError: d.lastError ?? null,
    createdAt: d.createdAt,
    deliveredAt: d.deliveredAt ?? null,
    nextAttemptAt: d.nextAttemptAt ?? null,
    history: d.history.map((h) => ({ attempt: h.attempt, at: new Date(h.at), status: h.status, error: h.error, nextAttemptAt: h.nextAttemptAt ? new Date(h.nextAttemptAt) : null })),
  };
}
