import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { BusinessEntity } from '../business/business.entity';
import type { ContactField } from '../business/business.profile';

export enum LeadStatus {
  NEW = 'NEW',
  CONTACTED = 'CONTACTED',
  QUALIFIED = 'QUALIFIED',
  WON = 'WON',
  LOST = 'LOST',
}

export enum LeadSource {
  CHAT = 'CHAT',
  VOICE = 'VOICE',
  FORM = 'FORM',
}

/** Who changed a lead's field. */
export type LeadChangeBy = 'VISITOR' | 'FORM' | 'ADMIN';

/** One change of a contact field: the first capture (from null), a correction, an admin's edit. */
export interface LeadChangeRecord {
  field: ContactField;
  from: string | null;
  to: string | null;
  by: LeadChangeBy;
  /** ISO 8601 */
  at: string;
}

/**
 * A warm prospect: what a visitor of one business's widget gave about themselves, one per chat
 * session (`sessionId` unique; null for none). Contact fields hold valid, normalised values
 * only (email lower-case, phone E.164); a field once set is locked against later casual
 * mentions (see lead.service.ts). `version` grows with every write, so subscribers can order
 * updates.
 */
@Entity({ tableName: 'leads' })
@Unique({ name: 'leads_session_id_unique', properties: ['sessionId'] })
@Index({ name: 'leads_business_created_index', properties: ['businessId', 'createdAt', 'id'] })
export class LeadEntity {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => BusinessEntity, { fieldName: 'business_id', mapToPk: true, deleteRule: 'cascade', updateRule: 'cascade' })
  businessId!: string;

  @Property({ type: 'text', nullable: true })
  sessionId?: string | null;

  @Property({ type: 'text', nullable: true })
  name?: string | null;

  @Property({ type: 'text', nullable: true })
  email?: string | null;

  @Property({ type: 'text', nullable: true })
  phone?: string | null;

  @Enum({ items: () => LeadStatus, type: 'text', nativeEnumName: undefined })
  status: LeadStatus = LeadStatus.NEW;

  @Enum({ items: () => LeadSource, type: 'text', nativeEnumName: undefined })
  source: LeadSource = LeadSource.CHAT;

  @Property({ type: 'text', nullable: true })
  notes?: string | null;

  /** What the visitor wants, in a sentence (the model's summary, or their intent message). */
  @Property({ type: 'text', nullable: true })
  summary?: string | null;

  /** When the visitor agreed to be contacted (the form's consent, or giving details in the chat). */
  @Property({ type: 'timestamptz', nullable: true })
  consentAt?: Date | null;

  @Property({ type: 'json' })
  history: LeadChangeRecord[] = [];

  @Property({ type: 'integer' })
  version: number = 1;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz' })
  updatedAt: Date = new Date();
}
