import type { MessageRecord, ReplyChunkRecord, SessionRecord } from './chat.records';
import { ChatMessage, ChatSession, ReplyChunk, Role } from './chat.types';

export function toChatMessage(m: MessageRecord): ChatMessage {
  return {
    id: m.id,
    role: m.role === 'USER' ? Role.USER : Role.ASSISTANT,
    text: m.text,
    createdAt: new Date(m.createdAt),
    sources: m.sources.map((s) => ({ ...s })),
    ctas: m.ctas.map((c) => ({ ...c })),
    asksForContact: m.asksForContact ?? null,
  };
}

export function toChatSession(s: SessionRecord): ChatSession {
  return { id: s.id, businessId: s.businessId, messages: s.messages.map(toChatMessage), expiresAt: s.expiresAt };
}

export function toReplyChunk(c: ReplyChunkRecord): ReplyChunk {
  return { ...c, message: c.message ? toChatMessage(c.message) : null, error: c.error ? { ...c.error } : null };
}
