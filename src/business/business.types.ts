import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { ContactField, CtaAction, WidgetPosition } from './business.profile';
import { Cta } from './cta.types';

registerEnumType(ContactField, {
  name: 'ContactField',
  description: 'A contact detail the concierge can ask a visitor for.',
  valuesConfig: {
    NAME: { description: "The visitor's name." },
    EMAIL: { description: 'An e-mail address (checked for shape, stored lower-case).' },
    PHONE: { description: "A phone number, valid for its region (read with the business's defaultPhoneRegion), stored in E.164." },
  },
});

/** Field descriptions shared by the inputs and the output type, so they cannot drift apart. */
const D = {
  name: 'Business name shown to visitors (1–200 characters).',
  description: 'What the business does, in a few sentences (≤ 2000).',
  primaryGoal: 'What the concierge steers visitors towards, e.g. "book a free consultation" (≤ 500).',
  personality: 'Tone of the concierge, e.g. "warm and concise" (≤ 500).',
  instructions: 'Admin-written instructions for the bot (≤ 8000). Never shown to visitors.',
  greeting: 'First message of every chat (≤ 500). Defaults to "Hi! How can I help you today?".',
  secondaryGreeting: 'Optional second line under the greeting (≤ 500).',
  privacyStatement: 'Privacy notice the widget shows (≤ 2000).',
  services: 'Services offered, one per entry (≤ 50 entries of ≤ 200 characters).',
  hours: 'Opening hours as free text (≤ 1000).',
  location: 'Address or area served (≤ 500).',
  contactEmail: 'Contact e-mail address the bot may give out.',
  contactPhone: 'Contact phone number the bot may give out (digits, spaces, + ( ) - .).',
  websiteUrl: 'The business website (http or https); a website crawl starts here.',
  faqs: 'Frequently asked questions with their answers (≤ 100).',
  suggestedQuestions: 'Questions the widget suggests to visitors (≤ 20 of ≤ 200 characters).',
  ctaTree: 'Quick-reply buttons as a tree of nodes; the node "main_menu" holds the entry buttons (≤ 200 nodes).',
  enabledCategories: 'Knowledge categories the bot may use; empty means all.',
  themeColor: 'Widget colour as "#rrggbb". Defaults to "#2563eb".',
  widgetPosition: 'Where the widget sits on the page. Defaults to BOTTOM_RIGHT.',
  buttonText: 'Text of the button that opens the widget (≤ 60).',
  logoUrl: 'Logo image URL (http or https).',
  voiceEnabled: 'Whether visitors may send voice messages. Defaults to false.',
  allowedOrigins: 'The sites this business\'s widget runs on, as bare origins (e.g. "https://example.com"). When set, its public chat operations are accepted from these origins only, within seconds of the change (no restart); a site listed here cannot use another business\'s chat. Empty: ALLOWED_ORIGINS decides.',
  requiredContactFields:
    'What the bot asks the visitor for, one question a turn, once they show intent (booking, a price, a call) or offer details; asked in this order. Defaults to [NAME, EMAIL]; null or [] resets to the default.',
  synonyms:
    'Words and phrases that mean the same for this business, in groups, e.g. [["coeliac", "gluten-free"], ["tune-up", "service"]]: a question using one term of a group is also matched against the others (weighed below its own words). ≤ 200 groups of 2–20 terms of ≤ 60 characters; null clears.',
  recrawlIntervalHours:
    'Hours between automatic re-crawls of websiteUrl by the worker (1–720; null: never). A re-crawl sends If-None-Match / If-Modified-Since and re-indexes only pages whose text changed.',
  defaultPhoneRegion:
    'ISO 3166-1 alpha-2 region ("GB", "US") national phone numbers are read in; numbers are stored in E.164. Unset: only numbers with a +country code are accepted.',
} as const;

@ObjectType({ description: 'A frequently asked question and its answer.' })
export class Faq {
  @Field({ description: 'The question.' })
  question!: string;

  @Field({ description: 'The answer the bot gives.' })
  answer!: string;
}

@InputType({ description: 'A frequently asked question and its answer.' })
export class FaqInput {
  @Field({ description: 'The question (1–500 characters).' })
  question!: string;

  @Field({ description: 'The answer (1–4000 characters).' })
  answer!: string;
}

@ObjectType({ description: 'A node of the CTA (quick-reply button) tree.' })
export class CtaNode {
  @Field(() => ID, { description: 'Unique id within the tree; "main_menu" is the root of the entry buttons.' })
  id!: string;

  @Field({ description: 'Button text.' })
  label!: string;

  @Field(() => CtaAction, { description: 'What a click does.' })
  action!: CtaAction;

  @Field(() => [ID], { description: 'Ids of the nodes shown when a SHOW_CHILDREN node is clicked.' })
  children!: string[];

  @Field(() => String, { nullable: true, description: 'Text a SEND node sends as the visitor.' })
  message?: string | null;

  @Field(() => String, { nullable: true, description: 'Target of a LINK node (http or https).' })
  url?: string | null;
}

@InputType({ description: 'A node of the CTA tree. Ids are unique, children must exist, the tree has no cycles; LINK needs url, SEND needs message.' })
export class CtaNodeInput {
  @Field(() => ID, { description: 'Unique id within the tree (1–64 of A–Z a–z 0–9 _ -).' })
  id!: string;

  @Field({ description: 'Button text (1–80 characters).' })
  label!: string;

  @Field(() => CtaAction, { description: 'What a click does.' })
  action!: CtaAction;

  @Field(() => [ID], { nullable: true, description: 'Ids of child nodes (for SHOW_CHILDREN).' })
  children?: string[] | null;

  @Field(() => String, { nullable: true, description: 'Text a SEND node sends as the visitor (≤ 1000).' })
  message?: string | null;

  @Field(() => String, { nullable: true, description: 'Target of a LINK node (http or https).' })
  url?: string | null;
}

/**
 * Every optional business field; the create and update inputs add `name`. Registered so
 * subclasses inherit its fields; never referenced, so type-graphql leaves it out of the schema.
 */
@InputType({ description: 'Fields shared by CreateBusinessInput and UpdateBusinessInput.' })
export abstract class BusinessFieldsInput {
  @Field(() => String, { nullable: true, description: D.description })
  description?: string | null;

  @Field(() => String, { nullable: true, description: D.primaryGoal })
  primaryGoal?: string | null;

  @Field(() => String, { nullable: true, description: D.personality })
  personality?: string | null;

  @Field(() => String, { nullable: true, description: D.instructions })
  instructions?: string | null;

  @Field(() => String, { nullable: true, description: D.greeting })
  greeting?: string | null;

  @Field(() => String, { nullable: true, description: D.secondaryGreeting })
  secondaryGreeting?: string | null;

  @Field(() => String, { nullable: true, description: D.privacyStatement })
  privacyStatement?: string | null;

  @Field(() => [String], { nullable: true, description: D.services })
  services?: string[] | null;

  @Field(() => String, { nullable: true, description: D.hours })
  hours?: string | null;

  @Field(() => String, { nullable: true, description: D.location })
  location?: string | null;

  @Field(() => String, { nullable: true, description: D.contactEmail })
  contactEmail?: string | null;

  @Field(() => String, { nullable: true, description: D.contactPhone })
  contactPhone?: string | null;

  @Field(() => String, { nullable: true, description: D.websiteUrl })
  websiteUrl?: string | null;

  @Field(() => [FaqInput], { nullable: true, description: D.faqs })
  faqs?: FaqInput[] | null;

  @Field(() => [String], { nullable: true, description: D.suggestedQuestions })
  suggestedQuestions?: string[] | null;

  @Field(() => [CtaNodeInput], { nullable: true, description: D.ctaTree })
  ctaTree?: CtaNodeInput[] | null;

  @Field(() => [String], { nullable: true, description: D.enabledCategories })
  enabledCategories?: string[] | null;

  @Field(() => String, { nullable: true, description: D.themeColor })
  themeColor?: string | null;

  @Field(() => WidgetPosition, { nullable: true, description: D.widgetPosition })
  widgetPosition?: WidgetPosition | null;

  @Field(() => String, { nullable: true, description: D.buttonText })
  buttonText?: string | null;

  @Field(() => String, { nullable: true, description: D.logoUrl })
  logoUrl?: string | null;

  @Field(() => Boolean, { nullable: true, description: D.voiceEnabled })
  voiceEnabled?: boolean | null;

  @Field(() => [String], { nullable: true, description: D.allowedOrigins })
  allowedOrigins?: string[] | null;

  @Field(() => [ContactField], { nullable: true, description: D.requiredContactFields })
  requiredContactFields?: ContactField[] | null;

  @Field(() => String, { nullable: true, description: D.defaultPhoneRegion })
  defaultPhoneRegion?: string | null;

  @Field(() => [[String]], { nullable: true, description: D.synonyms })
  synonyms?: string[][] | null;

  @Field(() => Int, { nullable: true, description: D.recrawlIntervalHours })
  recrawlIntervalHours?: number | null;
}

@InputType({ description: 'A new business. Absent fields get their defaults.' })
export class CreateBusinessInput extends BusinessFieldsInput {
  @Field({ description: D.name })
  name!: string;
}

@InputType({ description: 'A partial update: an absent field is left unchanged; a field given as null is cleared (reset to its default).' })
export class UpdateBusinessInput extends BusinessFieldsInput {
  @Field(() => String, { nullable: true, description: `${D.name} Cannot be null.` })
  name?: string | null;
}

@ObjectType({ description: 'A business (tenant) with its full configuration. Admin only.' })
export class Business {
  @Field(() => ID, { description: 'Business id.' })
  id!: string;

  @Field({ description: D.name })
  name!: string;

  @Field(() => String, { nullable: true, description: D.description })
  description!: string | null;

  @Field(() => String, { nullable: true, description: D.primaryGoal })
  primaryGoal!: string | null;

  @Field(() => String, { nullable: true, description: D.personality })
  personality!: string | null;

  @Field(() => String, { nullable: true, description: D.instructions })
  instructions!: string | null;

  @Field({ description: D.greeting })
  greeting!: string;

  @Field(() => String, { nullable: true, description: D.secondaryGreeting })
  secondaryGreeting!: string | null;

  @Field(() => String, { nullable: true, description: D.privacyStatement })
  privacyStatement!: string | null;

  @Field(() => [String], { description: D.services })
  services!: string[];

  @Field(() => String, { nullable: true, description: D.hours })
  hours!: string | null;

  @Field(() => String, { nullable: true, description: D.location })
  location!: string | null;

  @Field(() => String, { nullable: true, description: D.contactEmail })
  contactEmail!: string | null;

  @Field(() => String, { nullable: true, description: D.contactPhone })
  contactPhone!: string | null;

  @Field(() => String, { nullable: true, description: D.websiteUrl })
  websiteUrl!: string | null;

  @Field(() => [Faq], { description: D.faqs })
  faqs!: Faq[];

  @Field(() => [String], { description: D.suggestedQuestions })
  suggestedQuestions!: string[];

  @Field(() => [CtaNode], { description: D.ctaTree })
  ctaTree!: CtaNode[];

  @Field(() => [String], { description: D.enabledCategories })
  enabledCategories!: string[];

  @Field({ description: D.themeColor })
  themeColor!: string;

  @Field(() => WidgetPosition, { description: D.widgetPosition })
  widgetPosition!: WidgetPosition;

  @Field(() => String, { nullable: true, description: D.buttonText })
  buttonText!: string | null;

  @Field(() => String, { nullable: true, description: D.logoUrl })
  logoUrl!: string | null;

  @Field({ description: D.voiceEnabled })
  voiceEnabled!: boolean;

  @Field(() => [String], { description: D.allowedOrigins })
  allowedOrigins!: string[];

  @Field(() => [ContactField], { description: D.requiredContactFields })
  requiredContactFields!: ContactField[];

  @Field(() => String, { nullable: true, description: D.defaultPhoneRegion })
  defaultPhoneRegion!: string | null;

  @Field(() => [[String]], { description: D.synonyms })
  synonyms!: string[][];

  @Field(() => Int, { nullable: true, description: D.recrawlIntervalHours })
  recrawlIntervalHours!: number | null;

  @Field({ description: 'When the business was created.' })
  createdAt!: Date;

  @Field({ description: 'When the business was last changed.' })
  updatedAt!: Date;
}

@ObjectType({ description: 'What a chat widget needs to render for a business; public, no key needed. Contains no instructions or internal contact data.' })
export class PublicBusiness {
  @Field(() => ID, { description: 'Business id.' })
  id!: string;

  @Field({ description: 'Business name.' })
  name!: string;

  @Field({ description: 'First message of every chat.' })
  greeting!: string;

  @Field(() => String, { nullable: true, description: 'Second line under the greeting.' })
  secondaryGreeting!: string | null;

  @Field(() => String, { nullable: true, description: 'Privacy notice to show.' })
  privacyStatement!: string | null;

  @Field({ description: 'Widget colour, "#rrggbb".' })
  themeColor!: string;

  @Field(() => WidgetPosition, { description: 'Where the widget sits on the page.' })
  widgetPosition!: WidgetPosition;

  @Field(() => String, { nullable: true, description: 'Text of the button that opens the widget.' })
  buttonText!: string | null;

  @Field(() => String, { nullable: true, description: 'Logo image URL.' })
  logoUrl!: string | null;

  @Field({ description: 'Whether the widget offers voice messages.' })
  voiceEnabled!: boolean;

  @Field(() => [Cta], { description: 'The entry buttons: children of the CTA node "main_menu".' })
  entryCtas!: Cta[];

  @Field(() => [String], { description: 'Questions to suggest to the visitor.' })
  suggestedQuestions!: string[];
}
