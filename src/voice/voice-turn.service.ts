import type { FileUpload } from 'graphql-upload-minimal';
import { ServiceUnavailableError } from '../common/errors';
import type { RequestContext } from '../common/request-context';
import type { VoiceAudioStore } from './audio.store';
import { discardUpload } from './upload';
import type { VoiceJobQueue, VoiceReceipt, VoiceTurnSink } from './voice-turn.sink';
import { VoiceInputError } from './voice.errors';
import type { VoiceService } from './voice.service';

export interface VoiceBusinessLookup {
  get(id: string): Promise<{ voiceEnabled: boolean } | null>;
}

export interface VoiceTurnServiceOptions {
  voice: VoiceService;
  businesses: VoiceBusinessLookup;
  /** The chat service (ChatVoiceTurns); null only in a misconfigured app (then: SERVICE_UNAVAILABLE). */
  turns: VoiceTurnSink | null;
  /** The jobs queue; null: every upload is transcribed in the request. */
  queue: VoiceJobQueue | null;
  audioStore: VoiceAudioStore;
}

/**
 * A voice message as a chat turn: session and business checks first (before any byte of audio
 * is processed), then the voice pipeline, then the transcript continues exactly like a typed
 * message through the chat service. Large uploads are parked in Redis and queued; the visitor
 * gets a receipt with `transcriptPending: true` at once.
 *
 * Failures midway: nothing is stored before the transcript exists, so a failed transcription
 * (bad file, ffmpeg, provider down) leaves the session untouched and the client may resend.
 * If queueing fails after the pending turn was opened, the turn is failed (its reply stream
 * ends with an error) and the parked audio deleted.
 */
export class VoiceTurnService {
  constructor(private readonly options: VoiceTurnServiceOptions) {}

  async sendVoiceMessage(sessionId: string, audio: Promise<FileUpload>, ctx: RequestContext): Promise<VoiceReceipt & { transcriptPending: boolean }> {
    try {
      return await this.send(sessionId, audio, ctx);
    } finally {
      void discardUpload(audio);
    }
  }

  private async send(sessionId: string, audio: Promise<FileUpload>, ctx: RequestContext): Promise<VoiceReceipt & { transcriptPending: boolean }> {
    const { voice, businesses, turns, queue, audioStore } = this.options;
    if (!turns) throw new ServiceUnavailableError('Chat');
    const businessId = await turns.sessionBusiness(sessionId, ctx);
    const business = await businesses.get(businessId);
    if (!business?.voiceEnabled) {
      throw new VoiceInputError('voice_disabled', 'Voice messages are not enabled for this business; type your message instead');
    }

    if (!queue) {
      const { transcript } = await voice.transcribeUpload(audio, ctx.signal);
      return { ...(await turns.sendText(sessionId, transcript, ctx)), transcriptPending: false };
    }

    const received = await voice.receiveUpload(audio, ctx.signal);
    if (received.kind === 'transcribed') {
      return { ...(await turns.sendText(sessionId, received.transcript, ctx)), transcriptPending: false };
    }
    const receipt = await turns.beginPendingTurn(sessionId, ctx);
    const pending = { sessionId, replyId: receipt.replyId, userMessageId: receipt.userMessage.id };
    try {
      await queue.enqueue({ ...pending, audioKey: received.audioKey, bytes: received.bytes, requestId: ctx.requestId, receivedAt: new Date().toISOString() });
    } catch (err) {
      await audioStore.delete(received.audioKey).catch(() => undefined);
      await turns
        .failPendingTurn(pending, { code: 'SERVICE_UNAVAILABLE', message: 'The voice message could not be queued; send it again' })
        .catch(() => undefined);
      throw err;
    }
    return { ...receipt, transcriptPending: true };
  }
}
