import type { MessageData } from '../../src/chat/chat.model';
import { randomUUID } from 'node:crypto';
import { NotFoundError } from '../../src/common/errors';
import type { PendingVoiceTurn, VoiceReceipt, VoiceTurnSink } from '../../src/voice/voice-turn.sink';

/**
 * TEMPORARY, test-only stand-in for the chat service on the `voice` branch, where chat does not
 * exist yet: it records what voice hands over (the transcript) instead of running a chat turn.
 * Replaced by the real ChatService at the merge; the assertions on transcripts stay valid.
 */
export class RecordingVoiceTurnSink implements VoiceTurnSink {
  readonly sessions = new Map<string, string>();
  readonly texts: Array<{ sessionId: string; text: string }> = [];
  readonly pending: PendingVoiceTurn[] = [];
  readonly completed: Array<{ turn: PendingVoiceTurn; transcript: string }> = [];
  readonly failed: Array<{ turn: PendingVoiceTurn; error: { code: string; message: string } }> = [];

  openSession(businessId: string): string {
    const id = randomUUID();
    this.sessions.set(id, businessId);
    return id;
  }

  async sessionBusiness(sessionId: string): Promise<string> {
    const businessId = this.sessions.get(sessionId);
    if (!businessId) throw new NotFoundError('Session');
    return businessId;
  }

  async sendText(sessionId: string, text: string): Promise<VoiceReceipt> {
    this.texts.push({ sessionId, text });
    return { userMessage: visitorMessage(text), replyId: randomUUID() };
  }

  async beginPendingTurn(sessionId: string): Promise<VoiceReceipt> {
    const receipt = { userMessage: visitorMessage(''), replyId: randomUUID() };
    this.pending.push({ sessionId, replyId: receipt.replyId, userMessageId: receipt.userMessage.id });
    return receipt;
  }

  async completePendingTurn(turn: PendingVoiceTurn, transcript: string): Promise<void> {
    this.completed.push({ turn, transcript });
  }

  async failPendingTurn(turn: PendingVoiceTurn, error: { code: string; message: string }): Promise<void> {
    this.failed.push({ turn, error });
  }
}

function visitorMessage(text: string): MessageData {
  return { id: randomUUID(), role: 'USER', text, createdAt: new Date().toISOString(), sources: [], ctas: [] };
}
