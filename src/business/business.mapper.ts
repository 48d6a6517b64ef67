import type { BusinessEntity } from './business.entity';
import type { Business, CtaNode, PublicBusiness } from './business.types';
import type { Cta } from './cta.types';

/** Shown when a business has no greeting of its own. */
export const DEFAULT_GREETING = 'Hi! How can I help you today?';
/** The CTA node whose children are a widget's entry buttons. */
export const ENTRY_CTA_NODE = 'main_menu';

type BusinessRow = Readonly<BusinessEntity>;

export function toBusiness(e: BusinessRow): Business {
  return {
    id: e.id,
    name: e.name,
    description: e.description ?? null,
    primaryGoal: e.primaryGoal ?? null,
    personality: e.personality ?? null,
    instructions: e.instructions ?? null,
    greeting: e.greeting ?? DEFAULT_GREETING,
    secondaryGreeting: e.secondaryGreeting ?? null,
    privacyStatement: e.privacyStatement ?? null,
    services: [...e.services],
    hours: e.hours ?? null,
    location: e.location ?? null,
    contactEmail: e.contactEmail ?? null,
    contactPhone: e.contactPhone ?? null,
    websiteUrl: e.websiteUrl ?? null,
    faqs: e.faqs.map((f) => ({ question: f.question, answer: f.answer })),
    suggestedQuestions: [...e.suggestedQuestions],
    ctaTree: e.ctaTree.map(
      (n): CtaNode => ({ id: n.id, label: n.label, action: n.action, children: [...n.children], message: n.message ?? null, url: n.url ?? null }),
    ),
    enabledCategories: [...e.enabledCategories],
    themeColor: e.themeColor,
    widgetPosition: e.widgetPosition,
    buttonText: e.buttonText ?? null,
    logoUrl: e.logoUrl ?? null,
    voiceEnabled: e.voiceEnabled,
    allowedOrigins: [...e.allowedOrigins],
    createdAt: e.createdAt,
    updatedAt: e.updatedAt,
  };
}

/** The children of "main_menu", as buttons; empty when the tree has no such node. */
export function entryCtas(e: BusinessRow): Cta[] {
  const byId = new Map(e.ctaTree.map((n) => [n.id, n]));
  const root = byId.get(ENTRY_CTA_NODE);
  if (!root) return [];
  return root.children
    .map((id) => byId.get(id))
    .filter((n) => n !== undefined)
    .map((n) => ({ id: n.id, label: n.label, action: n.action, url: n.url ?? null, message: n.message ?? null }));
}

/** Only what a widget renders: never instructions, contact data or the full tree. */
export function toPublicBusiness(e: BusinessRow): PublicBusiness {
  return {
    id: e.id,
    name: e.name,
    greeting: e.greeting ?? DEFAULT_GREETING,
    secondaryGreeting: e.secondaryGreeting ?? null,
    privacyStatement: e.privacyStatement ?? null,
    themeColor: e.themeColor,
    widgetPosition: e.widgetPosition,
    buttonText: e.buttonText ?? null,
    logoUrl: e.logoUrl ?? null,
    voiceEnabled: e.voiceEnabled,
    entryCtas: entryCtas(e),
    suggestedQuestions: [...e.suggestedQuestions],
  };
}
