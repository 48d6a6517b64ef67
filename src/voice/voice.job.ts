import { AppError } from '../common/errors';
import type { Logger } from '../observability/logger';
import type { VoiceAudioStore } from './audio.store';
import type { PendingTurn, PendingTurns } from '../chat/pending-turns';
import type { JobContext, JobQueue } from '../jobs/job-queue';
import type { VoiceService } from './voice.service';

/** The job name of a large voice file, transcribed by the worker. */
export const VOICE_JOB_NAME = 'voice.transcribe';

/** What the worker receives for a large voice file (JSON; no local path, the audio is in Redis). */
export interface VoiceJobPayload extends PendingTurn {
  /** The Redis key (already prefixed) holding the uploaded bytes. */
  audioKey: string;
  bytes: number;
  requestId: string;
  /** ISO time the upload finished. */
  receivedAt: string;
}

/** The jobs queue, as voice needs it (see {@link voiceJobQueue}). */
export interface VoiceJobQueue {
  enqueue(payload: VoiceJobPayload): Promise<void>;
  /** Removes (or scrubs) the job of this reply: its session was erased. */
  remove(replyId: string): Promise<void>;
}

/** The queue's job id of a voice reply's job (one job per reply). */
export function voiceJobId(replyId: string): string {
  return `voice-${replyId}`;
}

/**
 * Voice's side of the {@link JobQueue}: large files are queued as VOICE_JOB_NAME jobs, one per
 * reply (the replyId dedupes a repeated enqueue).
 */
export function voiceJobQueue(jobs: Pick<JobQueue, 'enqueue' | 'remove'>): VoiceJobQueue {
  return {
    enqueue: (payload) => jobs.enqueue(VOICE_JOB_NAME, { ...payload }, { jobId: voiceJobId(payload.replyId) }),
    remove: (replyId) => jobs.remove(VOICE_JOB_NAME, voiceJobId(replyId)),
  };
}

export interface VoiceJobDeps {
  voice: VoiceService;
  audioStore: VoiceAudioStore;
  pendingTurns: Pick<PendingTurns, 'complete' | 'fail'>;
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
  const { voice, audioStore, pendingTurns, logger } = deps;
  const turn = { sessionId: payload.sessionId, replyId: payload.replyId, userMessageId: payload.userMessageId };
  const audio = await audioStore.get(payload.audioKey);
  if (!audio) {
    await pendingTurns.fail(turn, { code: 'BAD_USER_INPUT', message: 'The voice message expired before it could be transcribed; send it again' });
    return 'expired';
  }
  let transcript: string;
  try {
    ({ transcript } = await voice.transcribeBytes(audio, signal));
  } catch (err) {
    if (err instanceof AppError && (err.code === 'BAD_USER_INPUT' || err.code === 'PAYLOAD_TOO_LARGE')) {
      await pendingTurns.fail(turn, { code: err.code, message: err.message });
      await audioStore.delete(payload.audioKey);
      logger.info('voice job rejected the recording', { requestId: payload.requestId, reason: err.extensions.reason });
      return 'rejected';
    }
    throw err;
  }
  await pendingTurns.complete(turn, transcript);
  await audioStore.delete(payload.audioKey);
  return 'completed';
}

/**
 * The VOICE_JOB_NAME processor for a JobQueue driver: a thrown error means retry; when the last
 * attempt fails too, the waiting reply is ended (SERVICE_UNAVAILABLE) and the audio deleted
 * instead of leaving the client to the INTERRUPTED bound.
 */
export function voiceJobProcessor(deps: VoiceJobDeps): (payload: VoiceJobPayload, context: JobContext) => Promise<void> {
  return async (payload, context) => {
    try {
      await processVoiceJob(payload, deps);
    } catch (err) {
      if (!context.isFinalAttempt) throw err;
      const turn = { sessionId: payload.sessionId, replyId: payload.replyId, userMessageId: payload.userMessageId };
      await deps.pendingTurns
        .fail(turn, { code: 'SERVICE_UNAVAILABLE', message: 'The voice message could not be transcribed; please send it again' })
        .catch((e: unknown) => deps.logger.error('could not fail the pending voice turn', { replyId: payload.replyId, error: String(e) }));
      await deps.audioStore.delete(payload.audioKey).catch(() => undefined);
      throw err;
    }
  };
}
