import type { BusinessProfile } from '../business/business.profile';

/**
 * What the chat answers without a model: greetings ("hi", "menu", "start over"). (The origin
 * rule of a business's public chat is business/business.origins.ts.) CTA navigation itself reads the tree through the helpers
 * of business.profile.ts.
 */

/** Messages that mean "back to the start": they answer with the greeting, not the model. */
const RESET_RE =
  /^(hi|hii+|hello|hey|hey there|hi there|hello there|hiya|howdy|yo|good (morning|afternoon|evening)|menu|main menu|start|start over|start again|restart|reset|back|go back)[\s!.?,]*$/i;

export function isResetMessage(text: string): boolean {
  return RESET_RE.test(text.trim());
}

/** The short answer to a greeting right after a greeting (never the greeting again). */
export function greetingAgainText(business: BusinessProfile): string {
  return `I'm here! What would you like to know about ${business.name}? You can type a question or pick an option below.`;
}
