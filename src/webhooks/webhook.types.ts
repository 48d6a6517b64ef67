import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { DeliveryState, WebhookEvent } from './webhook.entity';

registerEnumType(WebhookEvent, {
  name: 'WebhookEvent',
  description: 'What a webhook is told about (the wire\'s `type`).',
  valuesConfig: {
    LEAD_CREATED: { description: '`lead.created`: a new lead; `data.lead` has every Lead field.' },
    LEAD_UPDATED: { description: '`lead.updated`: a lead changed; `data.lead` has every Lead field.' },
    CONVERSATION_ENDED: { description: '`conversation.ended`: a conversation ended; `data.conversation`.' },
  },
});

registerEnumType(DeliveryState, {
  name: 'DeliveryState',
  description: 'Where a delivery is.',
  valuesConfig: {
    PENDING: { description: 'Waiting for its next attempt (see nextAttemptAt).' },
    SUCCEEDED: { description: 'The receiver answered 2xx.' },
    FAILED: { description: 'Gave up: every attempt failed, the URL was refused, or the payload was erased.' },
  },
});

@ObjectType({ description: 'Where a business\'s events are POSTed, signed (Standard Webhooks).' })
export class Webhook {
  @Field(() => ID, { description: 'Webhook id.' })
  id!: string;

  @Field(() => ID, { description: 'The business whose events it receives.' })
  businessId!: string;

  @Field({ description: 'The receiver\'s http(s) URL.' })
  url!: string;

  @Field(() => [WebhookEvent], { description: 'The events it receives.' })
  events!: WebhookEvent[];

  @Field({ description: 'False: nothing is sent (pending deliveries wait until it is enabled again).' })
  enabled!: boolean;

  @Field(() => String, { nullable: true, description: 'Why it was disabled (a day of failed deliveries, or an admin).' })
  disabledReason!: string | null;

  @Field(() => Date, { description: 'When it was created.' })
  createdAt!: Date;
}

@ObjectType({ description: 'A new webhook and its signing secret.' })
export class CreatedWebhook {
  @Field(() => Webhook, { description: 'The webhook.' })
  webhook!: Webhook;

  @Field({ description: '"whsec_" + base64 of 32 random bytes; the only time it is shown. Verify `webhook-signature` with it.' })
  secret!: string;
}

@ObjectType({ description: 'One attempt of a delivery.' })
export class WebhookDeliveryAttempt {
  @Field(() => Int, { description: '1 for the first attempt of a series (a redelivery starts a new series).' })
  attempt!: number;

  @Field(() => Date, { description: 'When the attempt was made.' })
  at!: Date;

  @Field(() => Int, { nullable: true, description: 'The receiver\'s HTTP status; null: no answer.' })
  status!: number | null;

  @Field(() => String, { nullable: true, description: 'Generic reason of a failure; null when delivered.' })
  error!: string | null;

  @Field(() => Date, { nullable: true, description: 'When the next attempt was scheduled; null after the last.' })
  nextAttemptAt!: Date | null;
}

@ObjectType({ description: 'One event for one webhook, and how its sending went.' })
export class WebhookDelivery {
  @Field(() => ID, { description: 'Also the `webhook-id` header, the same on every attempt.' })
  id!: string;

  @Field(() => ID, { description: 'The webhook it is sent to.' })
  webhookId!: string;

  @Field(() => WebhookEvent, { description: 'What happened.' })
  event!: WebhookEvent;

  @Field(() => DeliveryState, { description: 'Where it is.' })
  state!: DeliveryState;

  @Field(() => Int, { description: 'Attempts made so far (in this series).' })
  attempts!: number;

  @Field(() => Int, { nullable: true, description: 'HTTP status of the last answer; null: none.' })
  lastStatus!: number | null;

  @Field(() => String, { nullable: true, description: 'Generic reason of the last failure.' })
  lastError!: string | null;

  @Field(() => Date, { description: 'When the event was queued.' })
  createdAt!: Date;

  @Field(() => Date, { nullable: true, description: 'When the receiver answered 2xx.' })
  deliveredAt!: Date | null;

  @Field(() => Date, { nullable: true, description: 'When the next attempt is due; null once SUCCEEDED or FAILED.' })
  nextAttemptAt!: Date | null;

  @Field(() => [WebhookDeliveryAttempt], { description: 'Every attempt, oldest first.' })
  history!: WebhookDeliveryAttempt[];
}

@InputType({ description: 'A new webhook.' })
export class CreateWebhookInput {
  @Field(() => ID, { description: 'The business whose events it receives.' })
  businessId!: string;

  @Field({ description: 'http(s) URL; refused when its host is or resolves to a non-public address (OUTBOUND_ALLOW_HOSTS).' })
  url!: string;

  @Field(() => [WebhookEvent], { description: 'The events to receive (at least one).' })
  events!: WebhookEvent[];
}

@InputType({ description: 'Changes to a webhook; omitted fields stay.' })
export class UpdateWebhookInput {
  @Field(() => String, { nullable: true, description: 'A new URL (checked like createWebhook\'s).' })
  url?: string | null;

  @Field(() => [WebhookEvent], { nullable: true, description: 'The new list of events (at least one).' })
  events?: WebhookEvent[] | null;

  @Field(() => Boolean, { nullable: true, description: 'true also clears disabledReason.' })
  enabled?: boolean | null;
}
