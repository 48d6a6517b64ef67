/**
 * Plain data shapes of a chat as stored in Redis and passed between the chat services.
 * The GraphQL classes (chat.types.ts) mirror them; chat.mapper.ts joins the two.
 */
import type { CtaAction } from '../business/business.entity';

export type MessageRole = 'USER' | 'ASSISTANT';

export interface CtaData {
  id: string;
  label: string;
  action: CtaAction;
  url?: string | null;
  message?: string | null;
}

export interface SourceData {
  documentId: string;
  title: string;
  snippet: string;
}

export interface MessageData {
  id: string;
  role: MessageRole;
  text: string;
  /** ISO 8601 */
  createdAt: string;
  sources: SourceData[];
  ctas: CtaData[];
}

/** What the last assistant message was, so a greeting is never repeated in a loop. */
export type LastKind = 'greeting' | 'greeting-again' | 'menu' | 'reply';

export interface SessionData {
  id: string;
  businessId: string;
  summary: string | null;
  lastKind: LastKind | null;
  messages: MessageData[];
  expiresAt: Date;
}

export interface ReplyErrorData {
  code: string;
  message: string;
}

export interface ReplyChunkData {
  replyId: string;
  seq: number;
  delta: string;
  done: boolean;
  message: MessageData | null;
  error: ReplyErrorData | null;
}
