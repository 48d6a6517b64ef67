import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SpeechRecognizer } from '../llm/speech-recognizer';
import type { VoiceTempDirs } from './temp-dir';
import { canonicalWav, readWavInfo } from './wav';
import { VoiceAbortedError, VoiceInputError, VoiceUnavailableError } from './voice.errors';

export const POCKETSPHINX_MISSING =
  'Offline voice transcription (install the Debian packages pocketsphinx and pocketsphinx-en-us, or configure GEMINI_API_KEY)';

export interface PocketsphinxOptions {
  /** `pocketsphinx_continuous` (Debian bookworm ships pocketsphinx 0.8 with this CLI). */
  binary: string;
  timeoutMs: number;
  tempDirs: VoiceTempDirs;
}

/**
 * {@link SpeechRecognizer} on Debian's pocketsphinx (CMU Sphinx 0.8, US English model): a
 * local, offline recogniser for servers without a Gemini key. It is far less accurate than
 * Gemini (see the word error rate in docs/voice.md) but keeps voice usable with no network.
 * The CLI needs a file, so the WAV goes to a private temp dir that is always removed.
 */
export class PocketsphinxRecognizer implements SpeechRecognizer {
  constructor(private readonly options: PocketsphinxOptions) {}

  async recognize(wav: Buffer, signal?: AbortSignal): Promise<string> {
    const info = readWavInfo(wav);
    if (!info || info.sampleRate !== 16000 || info.channels !== 1 || info.bitsPerSample !== 16) {
      throw new VoiceInputError('undecodable', 'The recogniser needs 16 kHz mono 16-bit WAV');
    }
    // pocketsphinx 0.8 assumes a 44-byte header; a LIST chunk would be heard as noise.
    const canonical = canonicalWav(wav.subarray(info.dataOffset, info.dataOffset + info.dataBytes), 16000, 1, 16);
    return this.options.tempDirs.withTempDir(async (dir) => {
      const path = join(dir, 'speech.wav');
      await writeFile(path, canonical, { mode: 0o600 });
      return this.run(path, signal);
    });
  }

  private run(path: string, signal?: AbortSignal): Promise<string> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(new VoiceAbortedError());
      let stdout = '';
      let failure: Error | undefined;
      const child = spawn(this.options.binary, ['-infile', path, '-logfn', '/dev/null'], { stdio: ['ignore', 'pipe', 'ignore'] });
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (chunk: string) => {
        stdout += chunk;
      });
      const kill = (error: Error) => {
        failure ??= error;
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      };
      const timer = setTimeout(
        () => kill(new VoiceInputError('timeout', 'The recording took too long to transcribe; try a shorter one')),
        this.options.timeoutMs,
      );
      const onAbort = () => kill(new VoiceAbortedError());
      signal?.addEventListener('abort', onAbort, { once: true });
      child.on('error', (err: NodeJS.ErrnoException) => {
        failure ??= new VoiceUnavailableError(err.code === 'ENOENT' ? 'recognizer_missing' : 'provider_failed', POCKETSPHINX_MISSING, err);
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (failure) return reject(failure);
        // A non-zero exit is almost always the acoustic model missing (pocketsphinx-en-us).
        if (code !== 0) return reject(new VoiceUnavailableError('recognizer_missing', POCKETSPHINX_MISSING));
        resolve(
          stdout
            .split('\n')
            .map((line) => line.trim())
            .filter(Boolean)
            .join(' '),
        );
      });
    });
  }
}
