import { AppError } from '../common/errors';
import type { Logger } from '../observability/logger';
import type { VoiceAudioStore } from './audio.store';
import type { VoiceJobPayload, VoiceTurnSink } from './voice-turn.sink';
import type { VoiceService } from './voice.service';

export interface VoiceJobDeps {
  voice: VoiceService;
  audioStore: VoiceAudioStore;
  turns: Pick<VoiceTurnSink, 'completePendingTurn' | 'failPendingTurn'>;
  logger: Logger;
}

export type VoiceJobOutcome = 'completed' | 'rejected' | 'expired';

/**
 * The worker's processor for large voice files (register under VOICE_JOB_NAME). Reads the
 * parked audio from Redis, transcribes it, and hands the transcript to the chat service, which
 * starts the reply on the receipt's replyId. A bad recording fails the turn (the client's
 * replyStream ends with the error) and is not retried; an infrastructure failure (provider or
 * Redis down) is rethrown so the queue retries, and the audio stays until its TTL.
 */
export async function processVoiceJob(payload: VoiceJobPayload, deps: VoiceJobDeps, signal?: AbortSignal): Promise<VoiceJobOutcome> {
  const { voice, audioStore, turns, logger } = deps;
  const turn = { sessionId: payload.sessionId, replyId: payload.replyId, userMessageId: payload.userMessageId };
  const audio = await audioStore.get(payload.audioKey);
  if (!audio) {
    await turns.failPendingTurn(turn, { code: 'BAD_USER_INPUT', message: 'The voice message expired before it could be transcribed; send it again' });
    return 'expired';
  }
  let transcript: string;
  try {
    ({ transcript } = await voice.transcribeBytes(audio, signal));
  } catch (err) {
    if (err instanceof AppError && (err.code === 'BAD_USER_INPUT' || err.code === 'PAYLOAD_TOO_LARGE')) {
      await turns.failPendingTurn(turn, { code: err.code, message: err.message });
      await audioStore.delete(payload.audioKey);
      logger.info('voice job rejected the recording', { requestId: payload.requestId, reason: err.extensions.reason });
      return 'rejected';
    }
    throw err;
  }
  await turns.completePendingTurn(turn, transcript);
  await audioStore.delete(payload.audioKey);
  return 'completed';
}
