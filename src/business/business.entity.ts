import { Entity, Enum, PrimaryKey, Property } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { ContactField, DEFAULT_REQUIRED_CONTACT_FIELDS, WidgetPosition, type BusinessProfile, type CtaNodeRecord, type FaqRecord } from './business.profile';

/** A tenant: everything the concierge knows about one business, as stored in Postgres. */
@Entity({ tableName: 'businesses' })
export class BusinessEntity implements BusinessProfile {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'text' })
  name!: string;

  @Property({ type: 'text', nullable: true })
  description?: string | null;

  @Property({ type: 'text', nullable: true })
  primaryGoal?: string | null;

  @Property({ type: 'text', nullable: true })
  personality?: string | null;

  @Property({ type: 'text', nullable: true })
  instructions?: string | null;

  @Property({ type: 'text', nullable: true })
  greeting?: string | null;

  @Property({ type: 'text', nullable: true })
  secondaryGreeting?: string | null;

  @Property({ type: 'text', nullable: true })
  privacyStatement?: string | null;

  @Property({ type: 'json' })
  services: string[] = [];

  @Property({ type: 'text', nullable: true })
  hours?: string | null;

  @Property({ type: 'text', nullable: true })
  location?: string | null;

  @Property({ type: 'text', nullable: true })
  contactEmail?: string | null;

  @Property({ type: 'text', nullable: true })
  contactPhone?: string | null;

  @Property({ type: 'text', nullable: true })
  websiteUrl?: string | null;

  @Property({ type: 'json' })
  faqs: FaqRecord[] = [];

  @Property({ type: 'json' })
  suggestedQuestions: string[] = [];

  @Property({ type: 'json' })
  ctaTree: CtaNodeRecord[] = [];

  @Property({ type: 'json' })
  enabledCategories: string[] = [];

  @Property({ type: 'text' })
  themeColor: string = '#2563eb';

  @Enum({ items: () => WidgetPosition, type: 'text', nativeEnumName: undefined })
  widgetPosition: WidgetPosition = WidgetPosition.BOTTOM_RIGHT;

  @Property({ type: 'text', nullable: true })
  buttonText?: string | null;

  @Property({ type: 'text', nullable: true })
  logoUrl?: string | null;

  @Property({ type: 'boolean' })
  voiceEnabled: boolean = false;

  @Property({ type: 'json' })
  allowedOrigins: string[] = [];

  /** Stored as a JSON array of ContactField names, in the order the bot asks for them. */
  @Property({ type: 'json' })
  requiredContactFields: ContactField[] = [...DEFAULT_REQUIRED_CONTACT_FIELDS];

  @Property({ type: 'text', nullable: true })
  defaultPhoneRegion?: string | null;

  /** Groups of words and phrases the business treats as the same in questions (query expansion). */
  @Property({ type: 'json' })
  synonyms: string[][] = [];

  /** Hours between automatic re-crawls of `websiteUrl` by the worker; null: none. */
  @Property({ type: 'integer', nullable: true })
  recrawlIntervalHours?: number | null;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
