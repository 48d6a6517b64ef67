import { Arg, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../common/request-context';
import { toWebhook, toWebhookDelivery } from './webhook.mapper';
import type { WebhookService } from './webhook.service';
import { CreatedWebhook, CreateWebhookInput, UpdateWebhookInput, Webhook, WebhookDelivery } from './webhook.types';

/** Admin operations on webhooks; a business key sees its own business's only. */
@Resolver()
export class WebhookResolver {
  constructor(private readonly service: WebhookService) {}

  @Authorized()
  @Query(() => [Webhook], { description: 'The business\'s webhooks, oldest first.' })
  async webhooks(@Arg('businessId', () => ID, { description: 'The business whose webhooks these are.' }) businessId: string, @Ctx() ctx: RequestContext): Promise<Webhook[]> {
    return (await this.service.list(ctx.principal, businessId)).map(toWebhook);
  }

  @Authorized()
  @Query(() => [WebhookDelivery], { description: 'The webhook\'s deliveries, newest first.' })
  async webhookDeliveries(
    @Arg('webhookId', () => ID, { description: 'The webhook.' }) webhookId: string,
    @Arg('first', () => Int, { nullable: true, defaultValue: 50, description: 'How many, 1–200.' }) first: number | null,
    @Ctx() ctx: RequestContext,
  ): Promise<WebhookDelivery[]> {
    return (await this.service.deliveries(ctx.principal, webhookId, first ?? 50)).map(toWebhookDelivery);
  }

  @Authorized()
  @Mutation(() => CreatedWebhook, { description: 'Creates a webhook; the secret in the answer is shown this once.' })
  async createWebhook(@Arg('input', () => CreateWebhookInput, { description: 'The receiver and the events it gets.' }) input: CreateWebhookInput, @Ctx() ctx: RequestContext): Promise<CreatedWebhook> {
    const { webhook, secret } = await this.service.create(ctx.principal, input);
    return { webhook: toWebhook(webhook), secret };
  }

  @Authorized()
  @Mutation(() => Webhook, { description: 'Changes a webhook\'s URL, events or enabled state.' })
  async updateWebhook(@Arg('id', () => ID, { description: 'The webhook.' }) id: string, @Arg('input', () => UpdateWebhookInput, { description: 'What to change; omitted fields stay.' }) input: UpdateWebhookInput, @Ctx() ctx: RequestContext): Promise<Webhook> {
    return toWebhook(await this.service.update(ctx.principal, id, input));
  }

  @Authorized()
  @Mutation(() => Boolean, { description: 'Deletes a webhook and its delivery log; pending deliveries are not sent.' })
  async deleteWebhook(@Arg('id', () => ID, { description: 'The webhook.' }) id: string, @Ctx() ctx: RequestContext): Promise<boolean> {
    return this.service.delete(ctx.principal, id);
  }

  @Authorized()
  @Mutation(() => WebhookDelivery, { description: 'Sends a delivery again, with the same webhook-id.' })
  async redeliverWebhook(@Arg('deliveryId', () => ID, { description: 'The delivery (its webhook-id).' }) deliveryId: string, @Ctx() ctx: RequestContext): Promise<WebhookDelivery> {
    return toWebhookDelivery(await this.service.redeliver(ctx.principal, deliveryId));
  }
}
