/**
 * A business as chat, the LLM providers and the system prompt see it: plain data, no ORM.
 * The entity (business.entity.ts) implements this shape; the business cache hands out frozen
 * snapshots of it. The helpers below are the one definition of the entry buttons, the default
 * greeting and the CTA button shape, shared by `publicBusiness` and the chat session.
 */

export enum WidgetPosition {
  CENTER = 'CENTER',
  BOTTOM_RIGHT = 'BOTTOM_RIGHT',
  BOTTOM_LEFT = 'BOTTOM_LEFT',
}

export enum CtaAction {
  SHOW_CHILDREN = 'SHOW_CHILDREN',
  SEND = 'SEND',
  LINK = 'LINK',
}

/** The contact details the concierge can ask a visitor for (a lead's fields). */
export enum ContactField {
  NAME = 'NAME',
  EMAIL = 'EMAIL',
  PHONE = 'PHONE',
}

/** What a business asks for when it sets none. */
export const DEFAULT_REQUIRED_CONTACT_FIELDS: readonly ContactField[] = [ContactField.NAME, ContactField.EMAIL];

/** An FAQ as stored in the business row. */
export interface FaqRecord {
  question: string;
  answer: string;
}

/** A node of the business's CTA tree as stored in the business row. */
export interface CtaNodeRecord {
  id: string;
  label: string;
  action: CtaAction;
  children: string[];
  message?: string | null;
  url?: string | null;
}

/** A quick-reply button as a message or the widget carries it (a tree node without its children). */
export interface CtaButton {
  id: string;
  label: string;
  action: CtaAction;
  url: string | null;
  message: string | null;
}

export interface BusinessProfile {
  readonly id: string;
  readonly name: string;
  readonly description?: string | null;
  readonly primaryGoal?: string | null;
  readonly personality?: string | null;
  readonly instructions?: string | null;
  readonly greeting?: string | null;
  readonly secondaryGreeting?: string | null;
  readonly privacyStatement?: string | null;
  readonly services: readonly string[];
  readonly hours?: string | null;
  readonly location?: string | null;
  readonly contactEmail?: string | null;
  readonly contactPhone?: string | null;
  readonly websiteUrl?: string | null;
  readonly faqs: readonly FaqRecord[];
  readonly suggestedQuestions: readonly string[];
  readonly ctaTree: readonly CtaNodeRecord[];
  readonly enabledCategories: readonly string[];
  readonly themeColor: string;
  readonly widgetPosition: WidgetPosition;
  readonly buttonText?: string | null;
  readonly logoUrl?: string | null;
  readonly voiceEnabled: boolean;
  readonly allowedOrigins: readonly string[];
  /** What the bot asks for before it hands the visitor to the business (never empty). */
  readonly requiredContactFields: readonly ContactField[];
  /** ISO 3166-1 alpha-2 region national phone numbers are read in; null: only +E.164 numbers are valid. */
  readonly defaultPhoneRegion?: string | null;
  /** Groups of words and phrases that mean the same to this business (retrieval expands each with the others). */
  readonly synonyms?: readonly (readonly string[])[];
}

/** Shown when a business has no greeting of its own (publicBusiness and a new session alike). */
export const DEFAULT_GREETING = 'Hi! How can I help you today?';

/** The CTA node whose children are the entry buttons. */
export const ENTRY_NODE_ID = 'main_menu';

export function greetingText(business: Pick<BusinessProfile, 'greeting'>): string {
  return business.greeting?.trim() || DEFAULT_GREETING;
}

/** Characters that could end an HTML attribute or open a tag; the URL parser leaves them only in a host. */
const UNSAFE_IN_URL = /["'<>`\s\\]/;

/**
 * A stored URL as it is handed out (logoUrl, websiteUrl, CTA urls): the WHATWG parser's `href`
 * (which percent-encodes `"`, `<`, `>` in path, query and fragment), or null when the value is not
 * an http(s) URL or its href still has a character that could break out of an attribute. Rows
 * stored before validation returned `href` are cleaned on the way out too.
 */
export function safeHref(value: string | null | undefined): string | null {
  if (!value) return null;
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  return UNSAFE_IN_URL.test(url.href) ? null : url.href;
}

export function toCtaButton(node: CtaNodeRecord): CtaButton {
  return { id: node.id, label: node.label, action: node.action, url: safeHref(node.url), message: node.message ?? null };
}

export function findCta(business: Pick<BusinessProfile, 'ctaTree'>, id: string): CtaNodeRecord | undefined {
  return business.ctaTree.find((n) => n.id === id);
}

/** The buttons a node opens onto (its children that exist). */
export function childCtas(business: Pick<BusinessProfile, 'ctaTree'>, nodeId: string): CtaButton[] {
  const node = findCta(business, nodeId);
  if (!node) return [];
  return node.children.map((id) => findCta(business, id)).filter((n): n is CtaNodeRecord => n !== undefined).map(toCtaButton);
}

/** The children of "main_menu", as buttons; empty when the tree has no such node. */
export function entryCtas(business: Pick<BusinessProfile, 'ctaTree'>): CtaButton[] {
  return childCtas(business, ENTRY_NODE_ID);
}
