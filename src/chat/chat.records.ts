/**
 * The storage shapes of a chat (`*Record`: as stored in Redis and passed between the chat
 * services). The GraphQL classes (chat.types.ts) mirror them; chat.mapper.ts joins the two.
 */
import type { ContactField, CtaButton } from '../business/business.profile';

export type MessageRole = 'USER' | 'ASSISTANT';

export interface SourceRecord {
  documentId: string;
  title: string;
  snippet: string;
}

export interface MessageRecord {
  id: string;
  role: MessageRole;
  text: string;
  /** ISO 8601 */
  createdAt: string;
  sources: SourceRecord[];
  ctas: CtaButton[];
  /** Present and false on an assistant reply the provider could not ground in the business's material ("I don't know"). */
  grounded?: boolean;
  /**
   * On an assistant reply that asks the visitor for a contact detail: which one (the capture
   * state decided it, not the wording; see LeadCaptureTurn.asksFor). Absent otherwise.
   */
  asksForContact?: ContactField;
}

/** What the last assistant message was, so a greeting is never repeated in a loop. */
export type LastKind = 'greeting' | 'greeting-again' | 'menu' | 'reply';

export interface SessionRecord {
  id: string;
  businessId: string;
  summary: string | null;
  lastKind: LastKind | null;
  messages: MessageRecord[];
  expiresAt: Date;
}

export interface ReplyErrorRecord {
  code: string;
  message: string;
}

export interface ReplyChunkRecord {
  replyId: string;
  seq: number;
  delta: string;
  done: boolean;
  message: MessageRecord | null;
  error: ReplyErrorRecord | null;
}
