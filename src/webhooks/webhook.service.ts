import { assertCanAccessBusiness } from '../auth/access';
import type { BusinessCache } from '../business/business.cache';
import { AppError, BadUserInputError, NotFoundError, UnauthenticatedError } from '../common/errors';
import { isUuid } from '../common/ids';
import type { Principal } from '../common/principal';
import type { Orm } from '../db/orm';
import type { Logger } from '../observability/logger';
import { OutboundError, type OutboundClient } from '../outbound/outbound.client';
import { DeliveryState, WebhookDeliveryEntity, WebhookEntity, WebhookEvent } from './webhook.entity';
import { newWebhookSecret, type SecretBox } from './webhook.secret';

const MAX_URL_LENGTH = 2048;
const MAX_WEBHOOKS_PER_BUSINESS = 20;
const MAX_DELIVERIES_LISTED = 200;

export interface CreateWebhookFields {
  businessId: string;
  url: string;
  events: WebhookEvent[];
}

export interface UpdateWebhookFields {
  url?: string | null;
  events?: WebhookEvent[] | null;
  enabled?: boolean | null;
}

function principalOrThrow(principal: Principal | null | undefined): Principal {
  if (!principal) throw new UnauthenticatedError();
  return principal;
}

/**
 * Admin operations on a business's webhooks and their delivery log. A business key sees and
 * changes its own business's only (src/auth/access.ts). Every URL is checked by the outbound
 * client (http(s), allowed port, every address it resolves to public or allowed) before it is
 * stored; the worker checks it again at connect time on every delivery.
 *
 * Failures: each write is one Postgres statement or transaction (Postgres down: the caller gets
 * the error, nothing half-written); Redis is not used.
 */
export class WebhookService {
  constructor(
    private readonly orm: Orm,
    private readonly businesses: BusinessCache,
    private readonly outbound: OutboundClient,
    private readonly secrets: SecretBox | null,
    private readonly logger: Logger,
  ) {}

  private async checkBusiness(principal: Principal | null | undefined, businessId: string): Promise<void> {
    assertCanAccessBusiness(principalOrThrow(principal), businessId);
    if (!isUuid(businessId) || !(await this.businesses.get(businessId))) throw new NotFoundError('Business');
  }

  /** The webhook, if the principal may see it; NOT_FOUND for an unknown id, FORBIDDEN for another business's. */
  private async webhook(principal: Principal | null | undefined, id: string): Promise<WebhookEntity> {
    const p = principalOrThrow(principal);
    const webhook = isUuid(id) ? await this.orm.em.fork().findOne(WebhookEntity, id) : null;
    if (!webhook) throw new NotFoundError('Webhook');
    assertCanAccessBusiness(p, webhook.businessId);
    return webhook;
  }

  private async checkUrl(value: string): Promise<string> {
    const trimmed = value.trim();
    if (!trimmed || trimmed.length > MAX_URL_LENGTH) throw new BadUserInputError(`url must be an http(s) URL of at most ${MAX_URL_LENGTH} characters`, { field: 'url' });
    try {
      return (await this.outbound.checkUrl(trimmed)).toString();
    } catch (err) {
      if (!(err instanceof OutboundError)) throw err;
      throw new BadUserInputError(`url may not receive webhooks: ${err.message}`, { field: 'url' });
    }
  }

  private static events(events: WebhookEvent[]): WebhookEvent[] {
    const unique = [...new Set(events)];
    if (unique.length === 0) throw new BadUserInputError('events must name at least one event', { field: 'events' });
    return unique;
  }

  /** Creates a webhook; the returned secret is the only time it is shown. */
  async create(principal: Principal | null | undefined, input: CreateWebhookFields): Promise<{ webhook: WebhookEntity; secret: string }> {
    await this.checkBusiness(principal, input.businessId);
    const events = WebhookService.events(input.events);
    const url = await this.checkUrl(input.url);
    if (!this.secrets) {
      throw new AppError('INTERNAL_SERVER_ERROR', 'Webhooks are not configured on this server: the operator must set WEBHOOK_SECRET_KEY', {}, 'error');
    }
    const em = this.orm.em.fork();
    const count = await em.count(WebhookEntity, { businessId: input.businessId });
    if (count >= MAX_WEBHOOKS_PER_BUSINESS) throw new BadUserInputError(`a business may have at most ${MAX_WEBHOOKS_PER_BUSINESS} webhooks`);
    const secret = newWebhookSecret();
    const webhook = Object.assign(new WebhookEntity(), { businessId: input.businessId, url, events });
    webhook.secretCiphertext = this.secrets.seal(secret, webhook.id);
    await em.persistAndFlush(webhook);
    this.logger.info('webhook created', { webhookId: webhook.id, businessId: webhook.businessId, events });
    return { webhook, secret };
  }

  /** Changes URL, events or enabled; enabling clears `disabledReason` and the failing streak. */
  async update(principal: Principal | null | undefined, id: string, input: UpdateWebhookFields): Promise<WebhookEntity> {
    const current = await this.webhook(principal, id);
    const changes: Partial<WebhookEntity> = {};
    if (input.url !== undefined && input.url !== null) changes.url = await this.checkUrl(input.url);
    if (input.events !== undefined && input.events !== null) changes.events = WebhookService.events(input.events);
    if (input.enabled === true) Object.assign(changes, { enabled: true, disabledReason: null, failingSince: null });
    if (input.enabled === false && current.enabled) Object.assign(changes, { enabled: false, disabledReason: 'Disabled by an admin' });
    const em = this.orm.em.fork();
    const webhook = await em.findOneOrFail(WebhookEntity, current.id);
    em.assign(webhook, changes);
    await em.flush();
    return webhook;
  }

  /** Deletes the webhook and its delivery log; PENDING deliveries are not sent. */
  async delete(principal: Principal | null | undefined, id: string): Promise<boolean> {
    const webhook = await this.webhook(principal, id);
    await this.orm.em.fork().nativeDelete(WebhookEntity, { id: webhook.id });
    this.logger.info('webhook deleted', { webhookId: webhook.id, businessId: webhook.businessId });
    return true;
  }

  async list(principal: Principal | null | undefined, businessId: string): Promise<WebhookEntity[]> {
    await this.checkBusiness(principal, businessId);
    return this.orm.em.fork().find(WebhookEntity, { businessId }, { orderBy: { createdAt: 'asc', id: 'asc' } });
  }

  /** The webhook's deliveries, newest first. */
  async deliveries(principal: Principal | null | undefined, webhookId: string, first: number): Promise<WebhookDeliveryEntity[]> {
    if (!Number.isInteger(first) || first < 1 || first > MAX_DELIVERIES_LISTED) {
      throw new BadUserInputError(`first must be between 1 and ${MAX_DELIVERIES_LISTED}`, { field: 'first' });
    }
    const webhook = await this.webhook(principal, webhookId);
    return this.orm.em.fork().find(WebhookDeliveryEntity, { webhookId: webhook.id }, { orderBy: { createdAt: 'desc', id: 'desc' }, limit: first });
  }

  /**
   * Sends a delivery again, with the same `webhook-id` (receivers dedupe by it): a SUCCEEDED or
   * FAILED one starts a new series of attempts (attempts back to 0, its log kept); a PENDING
   * one is made due now. Refused (BAD_USER_INPUT) when its payload was erased or its webhook is
   * disabled (enable it first).
   */
  async redeliver(principal: Principal | null | undefined, deliveryId: string): Promise<WebhookDeliveryEntity> {
    const p = principalOrThrow(principal);
    const em = this.orm.em.fork();
    const delivery = isUuid(deliveryId) ? await em.findOne(WebhookDeliveryEntity, deliveryId, { populate: ['body'] }) : null;
    if (!delivery) throw new NotFoundError('Delivery');
    assertCanAccessBusiness(p, delivery.businessId);
    if (delivery.body === null || delivery.body === undefined) throw new BadUserInputError('this delivery\'s payload was erased (its lead was deleted); it cannot be sent again');
    const webhook = await em.findOneOrFail(WebhookEntity, delivery.webhookId);
    if (!webhook.enabled) throw new BadUserInputError('the webhook is disabled; enable it with updateWebhook first');
    const now = new Date();
    if (delivery.state === DeliveryState.PENDING) {
      delivery.nextAttemptAt = now;
    } else {
      Object.assign(delivery, { state: DeliveryState.PENDING, attempts: 0, nextAttemptAt: now, deliveredAt: null });
    }
    await em.flush();
    return delivery;
  }
}
