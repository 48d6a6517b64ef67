import { ANALYTICS_ENTITIES } from '../analytics/analytics.entity';
import { ApiKeyEntity } from '../auth/api-key.entity';
import { BusinessEntity } from '../business/business.entity';
import { LeadEntity } from '../leads/lead.entity';
import { WebhookDeliveryEntity, WebhookEntity } from '../webhooks/webhook.entity';
import { IndexJobEntity, KnowledgeChunkEntity, KnowledgeDocumentEntity, KnowledgeGenerationEntity } from '../knowledge/knowledge.entity';

/** Every MikroORM entity, listed explicitly (no folder globs: STACK-NOTES.md). */
export const ENTITIES = [
  BusinessEntity,
  ApiKeyEntity,
  KnowledgeDocumentEntity,
  KnowledgeChunkEntity,
  KnowledgeGenerationEntity,
  IndexJobEntity,
  WebhookEntity,
  WebhookDeliveryEntity,
  LeadEntity,
  ...ANALYTICS_ENTITIES,
];
