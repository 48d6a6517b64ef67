import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';

/**
 * An admin API key. Only the sha256 digest of the secret is stored; `prefix` is the short,
 * non-secret start of the key shown in listings so humans can tell keys apart.
 * `businessId` null means a platform key (all businesses).
 */
@Entity({ tableName: 'api_keys' })
export class ApiKeyEntity {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'text' })
  name!: string;

  @Index()
  @Property({ type: 'uuid', nullable: true })
  businessId?: string | null;

  @Property({ type: 'text' })
  prefix!: string;

  @Property({ type: 'text', unique: true })
  hash!: string;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz', nullable: true })
  lastUsedAt?: Date | null;

  @Property({ type: 'timestamptz', nullable: true })
  revokedAt?: Date | null;
}
