import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createSilentLogger } from '../src/observability/logger';
import { PocketsphinxRecognizer } from '../src/voice/pocketsphinx.recognizer';
import { VoiceTempDirs } from '../src/voice/temp-dir';
import { FfmpegTranscoder } from '../src/voice/transcoder';

/**
 * Word error rate of the offline recogniser (Debian pocketsphinx 0.8, en-us model) on speech
 * synthesised by espeak-ng, through the same path as a browser upload: espeak-ng → WebM/Opus
 * (as MediaRecorder sends) → our ffmpeg transcoder → 16 kHz WAV → pocketsphinx.
 * `npm run bench -- voice-wer`
 */

const exec = promisify(execFile);

export const PHRASES = [
  'what are your opening hours',
  'i would like to book an appointment',
  'do you offer free consultations',
  'where is your office',
  'how much does it cost',
  'can someone call me back tomorrow',
  'thank you very much',
  'is there parking near the store',
];

/** Word-level Levenshtein distance / reference length. */
export function wordErrors(reference: string, hypothesis: string): { errors: number; words: number } {
  const ref = reference.toLowerCase().split(/\s+/).filter(Boolean);
  const hyp = hypothesis.toLowerCase().split(/\s+/).filter(Boolean);
  let prev = Array.from({ length: hyp.length + 1 }, (_, j) => j);
  for (let i = 1; i <= ref.length; i++) {
    const cur = [i];
    for (let j = 1; j <= hyp.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ref[i - 1] === hyp[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return { errors: prev[hyp.length], words: ref.length };
}

export async function run(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'voice-wer-'));
  const tempDirs = new VoiceTempDirs(join(work, 'tmp'), createSilentLogger());
  const transcoder = new FfmpegTranscoder({ ffmpegPath: 'ffmpeg', timeoutMs: 30_000, maxSeconds: 120 });
  const recognizer = new PocketsphinxRecognizer({ binary: 'pocketsphinx_continuous', timeoutMs: 60_000, tempDirs });
  let errors = 0;
  let words = 0;
  let recogniseMs = 0;
  try {
    for (const [i, phrase] of PHRASES.entries()) {
      const spoken = join(work, `${i}.wav`);
      const webm = join(work, `${i}.webm`);
      const wav16 = join(work, `${i}.16k.wav`);
      await exec('espeak-ng', ['-v', 'en-us', '-w', spoken, phrase]);
      await exec('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', '-i', spoken, '-c:a', 'libopus', '-f', 'webm', '-y', webm]);
      await transcoder.toWav(webm, wav16, 'webm');
      const started = performance.now();
      const heard = await recognizer.recognize(await readFile(wav16));
      recogniseMs += performance.now() - started;
      const e = wordErrors(phrase, heard);
      errors += e.errors;
      words += e.words;
      process.stdout.write(`${JSON.stringify({ phrase, heard, wordErrors: e.errors, words: e.words })}\n`);
    }
    process.stdout.write(
      `${JSON.stringify({
        bench: 'voice-wer',
        recogniser: 'pocketsphinx 0.8 en-us (Debian bookworm)',
        audio: 'espeak-ng en-us -> WebM/Opus -> ffmpeg 16 kHz mono',
        phrases: PHRASES.length,
        words,
        wordErrors: errors,
        wer: Math.round((errors / words) * 1000) / 1000,
        meanRecogniseMs: Math.round(recogniseMs / PHRASES.length),
      })}\n`,
    );
  } finally {
    await tempDirs.close();
    await rm(work, { recursive: true, force: true });
  }
}
