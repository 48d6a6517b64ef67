import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import type { AppConfig } from '../config/config';
import type { AudioContainer } from './audio-format';
import { readWavInfo } from './wav';
import { VoiceAbortedError, VoiceBusyError, VoiceInputError, VoiceUnavailableError } from './voice.errors';

/**
 * ffmpeg → 16 kHz mono 16-bit PCM WAV, the one format every recogniser takes.
 *
 * Spawned with an argument array (no shell), killed with SIGKILL on timeout or when the client
 * goes away, and always awaited until the process has exited so the caller's temp dir can be
 * removed safely. Decoding stops one second past MAX_AUDIO_SECONDS (`-t`), so a three-hour
 * file costs no more than a two-minute one; the decoded length is the duration we trust
 * (MediaRecorder's WebM often has no duration in its header, so probing the container alone
 * would not do).
 *
 * The input is read only as the container its first bytes were sniffed as (`-f`, never
 * ffmpeg's own probing, which would accept playlists, concat lists and the rest of ffmpeg's
 * hundreds of demuxers), and only from local files and pipes (`-protocol_whitelist file,pipe`:
 * an input that names a URL inside it cannot make ffmpeg fetch it). At most `maxConcurrent`
 * ffmpeg processes run per server process (FFMPEG_MAX_CONCURRENCY); one more is refused at once
 * with {@link VoiceBusyError} (SERVICE_UNAVAILABLE, reason `busy`) rather than queued behind
 * the others holding its upload on disk.
 */

/** ffmpeg's demuxer for each container we accept (`ffmpeg -demuxers`). */
export const FFMPEG_DEMUXERS: Record<AudioContainer, string> = {
  webm: 'matroska',
  matroska: 'matroska',
  ogg: 'ogg',
  wav: 'wav',
  mp3: 'mp3',
  mp4: 'mov',
  aac: 'aac',
};

export interface TranscodeResult {
  durationSeconds: number;
  /** The WAV's size in bytes. */
  bytes: number;
}

export interface FfmpegTranscoderOptions {
  ffmpegPath: string;
  timeoutMs: number;
  maxSeconds: number;
  /** ffmpeg processes at once (FFMPEG_MAX_CONCURRENCY); default 2. */
  maxConcurrent?: number;
}

/** FFMPEG_PATH, else an npm package that ships ffmpeg when one is installed, else `ffmpeg` on PATH. */
export function resolveFfmpegPath(config: Pick<AppConfig, 'voice'>): string {
  if (config.voice.ffmpegPath) return config.voice.ffmpegPath;
  try {
    // Optional: not a dependency (its build dates from 2018), but honoured when an operator adds it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const shipped = require('@ffmpeg-installer/ffmpeg') as { path?: string };
    if (shipped.path) return shipped.path;
  } catch {
    // not installed
  }
  return 'ffmpeg';
}

// Messages ffmpeg prints for damaged, cut-off or non-audio input.
const TRUNCATED = /ended prematurely|End of file|Unexpected end|Truncating packet|exhausted before END|corrupt input packet/i;

export class FfmpegTranscoder {
  private running = 0;

  constructor(private readonly options: FfmpegTranscoderOptions) {}

  /** ffmpeg processes running now. */
  get active(): number {
    return this.running;
  }

  /**
   * Decodes `input`, read as `container`, to `output`. Throws VoiceInputError /
   * VoiceUnavailableError / VoiceAbortedError, and VoiceBusyError when `maxConcurrent` runs are
   * under way.
   */
  async toWav(input: string, output: string, container: AudioContainer, signal?: AbortSignal): Promise<TranscodeResult> {
    if (this.running >= (this.options.maxConcurrent ?? 2)) throw new VoiceBusyError();
    this.running++;
    try {
      return await this.transcode(input, output, container, signal);
    } finally {
      this.running--;
    }
  }

  private async transcode(input: string, output: string, container: AudioContainer, signal?: AbortSignal): Promise<TranscodeResult> {
    const { maxSeconds } = this.options;
    const args = [
      '-hide_banner', '-nostdin', '-loglevel', 'error', '-xerror',
      '-protocol_whitelist', 'file,pipe',
      '-f', FFMPEG_DEMUXERS[container],
      '-i', input,
      '-map', '0:a:0', '-vn', '-t', String(maxSeconds + 1),
      '-ac', '1', '-ar', '16000', '-c:a', 'pcm_s16le',
      // No LIST/INFO chunk: a canonical 44-byte header.
      '-map_metadata', '-1', '-fflags', '+bitexact', '-flags:a', '+bitexact',
      '-f', 'wav', '-y', output,
    ];
    const { code, stderr, timedOut, aborted, spawnError } = await this.run(args, signal);
    if (aborted) throw new VoiceAbortedError();
    if (spawnError) {
      const missing = (spawnError as NodeJS.ErrnoException).code === 'ENOENT';
      throw new VoiceUnavailableError(
        missing ? 'ffmpeg_missing' : 'undecodable',
        missing ? 'Voice messages (ffmpeg is not installed on the server)' : 'Voice transcoding',
        spawnError,
      );
    }
    if (timedOut) {
      throw new VoiceInputError('timeout', 'The recording took too long to process; try a shorter one');
    }
    if (code !== 0 || TRUNCATED.test(stderr)) {
      throw new VoiceInputError(
        'undecodable',
        TRUNCATED.test(stderr)
          ? 'The recording is incomplete (the file was cut off); record it again'
          : 'The file could not be read as audio; send a WebM/Opus, Ogg, WAV, MP3 or M4A recording',
      );
    }
    const wav = await readFile(output);
    const info = readWavInfo(wav);
    if (!info || info.dataBytes === 0 || info.durationSeconds < 0.1) {
      throw new VoiceInputError('empty', 'The recording has no sound in it');
    }
    if (info.durationSeconds > maxSeconds) {
      throw new VoiceInputError('too_long', `The recording is longer than ${maxSeconds} seconds; send a shorter one`);
    }
    return { durationSeconds: Math.round(info.durationSeconds * 100) / 100, bytes: wav.length };
  }

  private run(args: string[], signal?: AbortSignal) {
    return new Promise<{ code: number | null; stderr: string; timedOut: boolean; aborted: boolean; spawnError?: Error }>((resolve) => {
      if (signal?.aborted) return resolve({ code: null, stderr: '', timedOut: false, aborted: true });
      let stderr = '';
      let timedOut = false;
      let aborted = false;
      let spawnError: Error | undefined;
      const child = spawn(this.options.ffmpegPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (chunk: string) => {
        if (stderr.length < 8192) stderr += chunk;
      });
      const kill = () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      };
      const timer = setTimeout(() => {
        timedOut = true;
        kill();
      }, this.options.timeoutMs);
      const onAbort = () => {
        aborted = true;
        kill();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      child.on('error', (err) => {
        spawnError = err;
      });
      // 'close' comes after 'error' too, and only once the process is gone and stdio closed.
      child.on('close', (code) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve({ code, stderr, timedOut, aborted, spawnError });
      });
    });
  }
}
