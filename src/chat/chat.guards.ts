import type { BusinessRecord } from '../business/business.cache';
import type { CtaNodeRecord } from '../business/business.entity';
import { ForbiddenError } from '../common/errors';
import type { CtaData } from './chat.model';

/** Messages that mean "back to the start": they answer with the greeting, not the model. */
const RESET_RE =
  /^(hi|hii+|hello|hey|hey there|hi there|hello there|hiya|howdy|yo|good (morning|afternoon|evening)|menu|main menu|start|start over|start again|restart|reset|back|go back)[\s!.?,]*$/i;

export function isResetMessage(text: string): boolean {
  return RESET_RE.test(text.trim());
}

export const ENTRY_NODE_ID = 'main_menu';

export function toCta(node: CtaNodeRecord): CtaData {
  return { id: node.id, label: node.label, action: node.action, url: node.url ?? null, message: node.message ?? null };
}

export function findCta(business: BusinessRecord, id: string): CtaNodeRecord | undefined {
  return business.ctaTree.find((n) => n.id === id);
}

/** The buttons a node opens onto (its children that exist). */
export function childCtas(business: BusinessRecord, nodeId: string): CtaData[] {
  const node = findCta(business, nodeId);
  if (!node) return [];
  return node.children.map((id) => findCta(business, id)).filter((n): n is CtaNodeRecord => n !== undefined).map(toCta);
}

export function entryCtas(business: BusinessRecord): CtaData[] {
  return childCtas(business, ENTRY_NODE_ID);
}

export function greetingText(business: BusinessRecord): string {
  return business.greeting?.trim() || `Hi! I'm the concierge of ${business.name}. How can I help you today?`;
}

/** The short answer to a greeting right after a greeting (never the greeting again). */
export function greetingAgainText(business: BusinessRecord): string {
  return `I'm here! What would you like to know about ${business.name}? You can type a question or pick an option below.`;
}

/**
 * A business's own `allowedOrigins` narrows the server-wide list for its chat operations.
 * A request without an Origin header is not a browser page and is not narrowed (the global
 * CORS/WebSocket policy already let it in).
 */
export function assertOriginAllowed(business: BusinessRecord, origin: string | null): void {
  if (!origin || business.allowedOrigins.length === 0) return;
  if (!business.allowedOrigins.map((o) => o.replace(/\/$/, '')).includes(origin)) {
    throw new ForbiddenError("This website may not use this business's chat");
  }
}
