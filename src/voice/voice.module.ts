import type { AppConfig } from '../config/config';
import type { JobContext, JobProcessors, JobQueue } from '../jobs/job-queue';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { RedisClient } from '../redis/redis';
import { VoiceAudioStore } from './audio.store';
import { PocketsphinxRecognizer } from './pocketsphinx.recognizer';
import { DEFAULT_VOICE_TEMP_ROOT, VoiceTempDirs } from './temp-dir';
import { FfmpegTranscoder, resolveFfmpegPath } from './transcoder';
import { processVoiceJob, type VoiceJobOutcome } from './voice.job';
import { VoiceResolver } from './voice.resolver';
import { VoiceService, type Transcriber } from './voice.service';
import { VoiceTurnService, type VoiceBusinessLookup } from './voice-turn.service';
import { VOICE_JOB_NAME, type VoiceJobPayload, type VoiceJobQueue, type VoiceTurnSink } from './voice-turn.sink';

export interface VoiceModuleDeps {
  config: AppConfig;
  logger: Logger;
  metrics: Metrics;
  redis: RedisClient;
  businesses: VoiceBusinessLookup;
  /** The chat service (continues the transcript as a text turn). */
  turns?: VoiceTurnSink | null;
  /** The jobs queue for large files; absent: all uploads are transcribed in the request. */
  queue?: VoiceJobQueue | null;
  /**
   * Speech to text: the app's LlmProvider (Gemini with the local recogniser as fallback, or
   * the offline provider's recogniser alone).
   */
  transcriber: Transcriber;
}

export interface VoiceModule {
  resolvers: object[];
  voice: VoiceService;
  tempDirs: VoiceTempDirs;
  audioStore: VoiceAudioStore;
  /** The worker's processor for VOICE_JOB_NAME jobs. */
  processVoiceJob(payload: VoiceJobPayload, signal?: AbortSignal): Promise<VoiceJobOutcome>;
  /**
   * `{ [VOICE_JOB_NAME]: processor }` for a JobQueue driver: a thrown error means retry; when
   * the last attempt fails too, the waiting reply is ended (SERVICE_UNAVAILABLE) and the audio
   * deleted instead of leaving the client to the INTERRUPTED bound.
   */
  jobProcessors: JobProcessors;
  close(): Promise<void>;
}

/**
 * The local recogniser for the offline LlmProvider's `transcribe` (SpeechRecognizer seam).
 * Build it before the providers; it shares the voice temp root (whose sweeper the voice module runs).
 */
export function createSpeechRecognizer(config: AppConfig, logger: Logger): PocketsphinxRecognizer {
  return new PocketsphinxRecognizer({
    binary: config.voice.pocketsphinxPath,
    timeoutMs: config.voice.ffmpegTimeoutMs,
    tempDirs: new VoiceTempDirs(config.voice.tempDir ?? DEFAULT_VOICE_TEMP_ROOT, logger),
  });
}

/** Voice messages: upload, transcoding, transcription, and the hand-over to chat. */
export async function createVoiceModule(deps: VoiceModuleDeps): Promise<VoiceModule> {
  const { config, logger, metrics } = deps;
  const v = config.voice;
  const tempDirs = new VoiceTempDirs(v.tempDir ?? DEFAULT_VOICE_TEMP_ROOT, logger);
  await tempDirs.start();
  const transcriber = deps.transcriber;
  const audioStore = new VoiceAudioStore(deps.redis, config.redisKeyPrefix, v.audioTtlSeconds);
  const voice = new VoiceService({
    tempDirs,
    transcoder: new FfmpegTranscoder({ ffmpegPath: resolveFfmpegPath(config), timeoutMs: v.ffmpegTimeoutMs, maxSeconds: v.maxAudioSeconds }),
    transcriber,
    metrics,
    logger,
    maxAudioBytes: v.maxAudioBytes,
    workerThresholdBytes: v.workerThresholdBytes,
    audioStore,
  });
  const turnService = new VoiceTurnService({
    voice,
    businesses: deps.businesses,
    turns: deps.turns ?? null,
    queue: deps.queue ?? null,
    audioStore,
  });
  const run = (payload: VoiceJobPayload, signal?: AbortSignal) =>
    processVoiceJob(payload, { voice, audioStore, turns: requireTurns(deps.turns), logger }, signal);
  const processor = async (payload: VoiceJobPayload, context: JobContext): Promise<void> => {
    try {
      await run(payload);
    } catch (err) {
      if (!context.isFinalAttempt) throw err;
      const turn = { sessionId: payload.sessionId, replyId: payload.replyId, userMessageId: payload.userMessageId };
      await requireTurns(deps.turns)
        .failPendingTurn(turn, { code: 'SERVICE_UNAVAILABLE', message: 'The voice message could not be transcribed; please send it again' })
        .catch((e: unknown) => logger.error('could not fail the pending voice turn', { replyId: payload.replyId, error: String(e) }));
      await audioStore.delete(payload.audioKey).catch(() => undefined);
      throw err;
    }
  };
  return {
    resolvers: [new VoiceResolver(turnService)],
    voice,
    tempDirs,
    audioStore,
    processVoiceJob: run,
    jobProcessors: { [VOICE_JOB_NAME]: processor },
    close: () => tempDirs.close(),
  };
}

/**
 * Voice's side of a {@link JobQueue}: large files are queued as VOICE_JOB_NAME jobs, one per
 * reply (the replyId dedupes a repeated enqueue).
 */
export function voiceJobQueue(jobs: Pick<JobQueue, 'enqueue'>): VoiceJobQueue {
  return { enqueue: (payload) => jobs.enqueue(VOICE_JOB_NAME, { ...payload }, { jobId: `voice-${payload.replyId}` }) };
}

function requireTurns(turns: VoiceTurnSink | null | undefined): VoiceTurnSink {
  if (!turns) throw new Error('voice jobs need the chat service (VoiceTurnSink) wired into createVoiceModule');
  return turns;
}
