import { Field, ID, InputType, ObjectType } from 'type-graphql';
import type { ApiKeyEntity } from './api-key.entity';

@ObjectType({ description: 'An admin API key. The secret itself is never shown again after creation.' })
export class ApiKey {
  @Field(() => ID, { description: 'Key id; pass it to revokeApiKey.' })
  id!: string;

  @Field({ description: 'Human-readable label given at creation.' })
  name!: string;

  @Field(() => ID, { nullable: true, description: 'The business this key is scoped to; null for a platform key (all businesses).' })
  businessId?: string | null;

  @Field({ description: 'The first characters of the secret (e.g. "wpc_AbC12xYz"), to recognise the key; not enough to use it.' })
  prefix!: string;

  @Field({ description: 'When the key was created.' })
  createdAt!: Date;

  @Field(() => Date, { nullable: true, description: 'Last successful use, written in batches (up to about 30 s late).' })
  lastUsedAt?: Date | null;

  @Field(() => Date, { nullable: true, description: 'When the key was revoked; a revoked key authenticates nothing.' })
  revokedAt?: Date | null;
}

@ObjectType({ description: 'A newly created key and its secret.' })
export class CreatedApiKey {
  @Field(() => ApiKey, { description: 'The stored key.' })
  apiKey!: ApiKey;

  @Field({ description: 'The secret to send as `x-api-key`. Shown only this once: store it now.' })
  secret!: string;
}

@InputType({ description: 'A key to create.' })
export class CreateApiKeyInput {
  @Field({ description: 'Label to tell keys apart (1–100 characters).' })
  name!: string;

  @Field(() => ID, { nullable: true, description: 'Scope the key to this business. Omit for a platform key (platform callers only).' })
  businessId?: string | null;
}

export function toApiKey(entity: ApiKeyEntity): ApiKey {
  return {
    id: entity.id,
    name: entity.name,
    businessId: entity.businessId ?? null,
    prefix: entity.prefix,
    createdAt: entity.createdAt,
    lastUsedAt: entity.lastUsedAt ?? null,
    revokedAt: entity.revokedAt ?? null,
  };
}
