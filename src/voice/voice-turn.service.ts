import type { FileUpload } from 'graphql-upload-minimal';
import type { RequestContext } from '../common/request-context';
import type { VoiceAudioStore } from './audio.store';
import { discardUpload } from './upload';
import type { ChatService, Receipt } from '../chat/chat.service';
import type { PendingTurns } from '../chat/pending-turns';
import { NotFoundError } from '../common/errors';
import { jobRef, type SessionStore } from '../chat/session.store';
import { VOICE_JOB_NAME, voiceJobId, type VoiceJobQueue } from './voice.job';
import { VoiceInputError } from './voice.errors';
import type { VoiceService } from './voice.service';

export interface VoiceTurnServiceOptions {
  voice: VoiceService;
  /** Continues the transcript as a typed turn. */
  chat: Pick<ChatService, 'openTurn' | 'sendTextTo'>;
  /** Opens and fails turns whose transcript the worker delivers later. */
  pendingTurns: Pick<PendingTurns, 'begin' | 'fail'>;
  /** The jobs queue; null: every upload is transcribed in the request. */
  queue: VoiceJobQueue | null;
  audioStore: VoiceAudioStore;
  /** Parked audio and the queued job are named in the session's key index (erased with it). */
  sessions: Pick<SessionStore, 'attach'>;
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
 *
 * Erasure: the parked audio and the job are named in the session's key index before the job
 * is queued; if the session is erased before that, the audio is deleted and the visitor gets
 * NOT_FOUND; if it is erased between indexing and queueing, the check after queueing removes
 * the job again.
 */
export class VoiceTurnService {
  constructor(private readonly options: VoiceTurnServiceOptions) {}

  async sendVoiceMessage(sessionId: string, audio: Promise<FileUpload>, ctx: RequestContext): Promise<Receipt & { transcriptPending: boolean }> {
    try {
      return await this.send(sessionId, audio, ctx);
    } finally {
      void discardUpload(audio);
    }
  }

  private async send(sessionId: string, audio: Promise<FileUpload>, ctx: RequestContext): Promise<Receipt & { transcriptPending: boolean }> {
    const { voice, chat, pendingTurns, queue, audioStore, sessions } = this.options;
    // The session and business are loaded once, before any byte of audio is processed.
    const target = await chat.openTurn(sessionId, ctx);
    if (!target.business.voiceEnabled) {
      throw new VoiceInputError('voice_disabled', 'Voice messages are not enabled for this business; type your message instead');
    }

    if (!queue) {
      const { transcript } = await voice.transcribeUpload(audio, ctx.signal);
      return { ...(await chat.sendTextTo(target, transcript, { spoken: true })), transcriptPending: false };
    }

    const received = await voice.receiveUpload(audio, ctx.signal);
    if (received.kind === 'transcribed') {
      return { ...(await chat.sendTextTo(target, received.transcript, { spoken: true })), transcriptPending: false };
    }
    let receipt: Receipt;
    try {
      receipt = await pendingTurns.begin(target);
    } catch (err) {
      await audioStore.delete(received.audioKey).catch(() => undefined);
      throw err;
    }
    const pending = { sessionId, replyId: receipt.replyId, userMessageId: receipt.userMessage.id };
    const job = jobRef(VOICE_JOB_NAME, voiceJobId(receipt.replyId));
    if (!(await sessions.attach(sessionId, [received.audioKey, job]))) {
      // Erased meanwhile: the pending stream went with the session; the audio goes now.
      await audioStore.delete(received.audioKey).catch(() => undefined);
      throw new NotFoundError('Session');
    }
    try {
      await queue.enqueue({ ...pending, audioKey: received.audioKey, bytes: received.bytes, requestId: ctx.requestId, receivedAt: new Date().toISOString() });
      // Erased between indexing and queueing: its eraser found no job yet, so remove it here.
      if (!(await sessions.attach(sessionId, [job]))) await queue.remove(receipt.replyId);
    } catch (err) {
      await audioStore.delete(received.audioKey).catch(() => undefined);
      await pendingTurns
        .fail(pending, { code: 'SERVICE_UNAVAILABLE', message: 'The voice message could not be queued; send it again' })
        .catch(() => undefined);
      throw err;
    }
    return { ...receipt, transcriptPending: true };
  }
}
