import type { BusinessEntity } from './business.entity';
import type { Business, CtaNode, PublicBusiness } from './business.types';
import { entryCtas, greetingText, safeHref, type BusinessProfile } from './business.profile';

type BusinessRow = Readonly<BusinessEntity>;

export function toBusiness(e: BusinessRow): Business {
  return {
    id: e.id,
    name: e.name,
    description: e.description ?? null,
    primaryGoal: e.primaryGoal ?? null,
    personality: e.personality ?? null,
    instructions: e.instructions ?? null,
    greeting: greetingText(e),
    secondaryGreeting: e.secondaryGreeting ?? null,
    privacyStatement: e.privacyStatement ?? null,
    services: [...e.services],
    hours: e.hours ?? null,
    location: e.location ?? null,
    contactEmail: e.contactEmail ?? null,
    contactPhone: e.contactPhone ?? null,
    websiteUrl: safeHref(e.websiteUrl),
    faqs: e.faqs.map((f) => ({ question: f.question, answer: f.answer })),
    suggestedQuestions: [...e.suggestedQuestions],
    ctaTree: e.ctaTree.map(
      (n): CtaNode => ({ id: n.id, label: n.label, action: n.action, children: [...n.children], message: n.message ?? null, url: safeHref(n.url) }),
    ),
    enabledCategories: [...e.enabledCategories],
    themeColor: e.themeColor,
    widgetPosition: e.widgetPosition,
    buttonText: e.buttonText ?? null,
    logoUrl: safeHref(e.logoUrl),
    voiceEnabled: e.voiceEnabled,
    allowedOrigins: [...e.allowedOrigins],
    requiredContactFields: [...e.requiredContactFields],
    defaultPhoneRegion: e.defaultPhoneRegion ?? null,
    synonyms: e.synonyms.map((g) => [...g]),
    recrawlIntervalHours: e.recrawlIntervalHours ?? null,
    createdAt: e.createdAt,
    updatedAt: e.updatedAt,
  };
}

/** Only what a widget renders: never instructions, contact data or the full tree. */
export function toPublicBusiness(e: BusinessProfile): PublicBusiness {
  return {
    id: e.id,
    name: e.name,
    greeting: greetingText(e),
    secondaryGreeting: e.secondaryGreeting ?? null,
    privacyStatement: e.privacyStatement ?? null,
    themeColor: e.themeColor,
    widgetPosition: e.widgetPosition,
    buttonText: e.buttonText ?? null,
    logoUrl: safeHref(e.logoUrl),
    voiceEnabled: e.voiceEnabled,
    entryCtas: entryCtas(e),
    suggestedQuestions: [...e.suggestedQuestions],
  };
}
