import { open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FileUpload } from 'graphql-upload-minimal';
import { AppError, ServiceUnavailableError } from '../common/errors';
import { LlmError, type TranscriptionRequest } from '../llm/llm.provider';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { detectAudioFormat, SNIFF_BYTES, SUPPORTED_FORMATS_TEXT, type AudioFormat } from './audio-format';
import type { VoiceAudioStore } from './audio.store';
import type { VoiceTempDirs } from './temp-dir';
import type { FfmpegTranscoder } from './transcoder';
import { saveUpload } from './upload';
import { failureReason, VoiceAbortedError, VoiceInputError } from './voice.errors';

/** The one thing voice needs from an LLM provider (LlmProvider satisfies it). */
export interface Transcriber {
  readonly name: string;
  transcribe(request: TranscriptionRequest): Promise<string>;
}

export interface Transcription {
  transcript: string;
  durationSeconds: number;
  format: AudioFormat['container'];
}

/** An upload either transcribed here, or parked for the worker (larger than the threshold). */
export type ReceivedVoice = ({ kind: 'transcribed' } & Transcription) | { kind: 'parked'; audioKey: string; bytes: number };

export interface VoiceServiceOptions {
  tempDirs: VoiceTempDirs;
  transcoder: FfmpegTranscoder;
  transcriber: Transcriber;
  metrics: Metrics;
  logger: Logger;
  maxAudioBytes: number;
  /** Uploads above this many bytes are parked in `audioStore` for the worker. */
  workerThresholdBytes: number;
  /** Absent: everything is transcribed in the request (no worker wired). */
  audioStore?: VoiceAudioStore;
  language?: string;
}

/**
 * Voice pipeline: upload → private temp dir → size and container checks → ffmpeg to 16 kHz mono
 * WAV → decoded-duration check → provider transcription. The temp dir is removed on every path
 * and every failure is counted in `voice_transcoding_failures_total{reason}`.
 */
export class VoiceService {
  constructor(private readonly options: VoiceServiceOptions) {}

  /** Streams the upload to disk and transcribes it (or parks it for the worker when large). */
  async receiveUpload(upload: Promise<FileUpload> | FileUpload, signal?: AbortSignal): Promise<ReceivedVoice> {
    const { tempDirs, maxAudioBytes, workerThresholdBytes, audioStore } = this.options;
    return this.counted(() =>
      tempDirs.withTempDir(async (dir) => {
        const input = join(dir, 'upload');
        const saved = await saveUpload(upload, input, maxAudioBytes, signal);
        const format = await this.checkFormat(input);
        this.options.logger.debug('voice upload received', { bytes: saved.bytes, container: format.container, clientMime: saved.clientMime });
        if (audioStore && saved.bytes > workerThresholdBytes) {
          const audioKey = await audioStore.put(await readFile(input));
          return { kind: 'parked', audioKey, bytes: saved.bytes };
        }
        return { kind: 'transcribed', ...(await this.transcribeFile(input, dir, format, signal)) };
      }),
    );
  }

  /** Upload → transcript, always in this process (no worker). */
  async transcribeUpload(upload: Promise<FileUpload> | FileUpload, signal?: AbortSignal): Promise<Transcription> {
    const { tempDirs, maxAudioBytes } = this.options;
    return this.counted(() =>
      tempDirs.withTempDir(async (dir) => {
        const input = join(dir, 'upload');
        await saveUpload(upload, input, maxAudioBytes, signal);
        return this.transcribeFile(input, dir, await this.checkFormat(input), signal);
      }),
    );
  }

  /** The worker's entry: audio bytes (already size-checked at upload) → transcript. */
  async transcribeBytes(audio: Buffer, signal?: AbortSignal): Promise<Transcription> {
    return this.counted(() =>
      this.options.tempDirs.withTempDir(async (dir) => {
        const input = join(dir, 'upload');
        await writeFile(input, audio, { mode: 0o600 });
        return this.transcribeFile(input, dir, await this.checkFormat(input), signal);
      }),
    );
  }

  private async checkFormat(path: string): Promise<AudioFormat> {
    const handle = await open(path, 'r');
    let head: Buffer;
    try {
      const buf = Buffer.alloc(SNIFF_BYTES);
      const { bytesRead } = await handle.read(buf, 0, SNIFF_BYTES, 0);
      head = buf.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
    const format = await detectAudioFormat(head);
    if (!format) {
      throw new VoiceInputError('unsupported_format', `This file is not a recording we can read; send ${SUPPORTED_FORMATS_TEXT}`);
    }
    return format;
  }

  private async transcribeFile(input: string, dir: string, format: AudioFormat, signal?: AbortSignal): Promise<Transcription> {
    const { transcoder, transcriber, metrics } = this.options;
    const wavPath = join(dir, 'speech.wav');
    const endTranscode = metrics.voiceTranscodingDuration.startTimer();
    const { durationSeconds } = await transcoder.toWav(input, wavPath, format.container, signal);
    endTranscode();
    metrics.voiceAudioDuration.observe(durationSeconds);

    const wav = await readFile(wavPath);
    const endTranscribe = metrics.voiceTranscriptionDuration.startTimer({ provider: transcriber.name });
    let transcript: string;
    try {
      transcript = await transcriber.transcribe({ wav, language: this.options.language, signal });
    } catch (err) {
      throw this.providerError(err, signal);
    } finally {
      endTranscribe();
    }
    transcript = transcript.replace(/\s+/g, ' ').trim();
    if (!transcript) {
      throw new VoiceInputError('no_speech', 'No speech was recognised in the recording; try again, closer to the microphone');
    }
    return { transcript, durationSeconds, format: format.container };
  }

  private providerError(err: unknown, signal?: AbortSignal): Error {
    if (signal?.aborted || (err instanceof LlmError && err.kind === 'aborted')) return new VoiceAbortedError();
    if (err instanceof AppError) return err;
    if (err instanceof LlmError) {
      return Object.assign(new ServiceUnavailableError('Speech transcription', err), { reason: 'provider_failed' });
    }
    return err instanceof Error ? err : new Error(String(err));
  }

  private async counted<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const reason = failureReason(err);
      this.options.metrics.voiceTranscodingFailures.inc({ reason });
      if (reason === 'provider_failed' || reason === 'ffmpeg_missing' || reason === 'recognizer_missing') {
        this.options.logger.warn('voice message failed', { reason, error: err instanceof Error ? err.message : String(err) });
      }
      throw err;
    }
  }
}
