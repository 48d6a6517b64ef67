import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * Audio made at test time (nothing binary is committed): speech from Debian's espeak-ng and
 * tones/silence from ffmpeg's lavfi generators, encoded into the containers browsers send.
 */

const run = promisify(execFile);

export type TestContainer = 'webm' | 'ogg' | 'wav' | 'mp3' | 'm4a' | 'aac' | 'flac';

const CODEC_ARGS: Record<TestContainer, string[]> = {
  webm: ['-c:a', 'libopus', '-f', 'webm'],
  ogg: ['-c:a', 'libopus', '-f', 'ogg'],
  wav: ['-c:a', 'pcm_s16le', '-f', 'wav'],
  mp3: ['-c:a', 'libmp3lame', '-f', 'mp3'],
  m4a: ['-c:a', 'aac', '-f', 'ipod'],
  aac: ['-c:a', 'aac', '-f', 'adts'],
  flac: ['-c:a', 'flac', '-f', 'flac'],
};

async function inTemp<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'voice-test-audio-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function encode(inputArgs: string[], container: TestContainer, dir: string): Promise<Buffer> {
  const out = join(dir, `out.${container}`);
  await run('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', ...inputArgs, ...CODEC_ARGS[container], '-y', out]);
  return readFile(out);
}

/** `text` spoken by espeak-ng (US English), encoded as `container`. */
export function speech(text: string, container: TestContainer = 'webm'): Promise<Buffer> {
  return inTemp(async (dir) => {
    const wav = join(dir, 'speech.wav');
    await run('espeak-ng', ['-v', 'en-us', '-w', wav, text]);
    return encode(['-i', wav], container, dir);
  });
}

/** A sine tone of `seconds` (lavfi). */
export function tone(seconds: number, container: TestContainer = 'webm'): Promise<Buffer> {
  return inTemp((dir) => encode(['-f', 'lavfi', '-i', `sine=frequency=440:duration=${seconds}`], container, dir));
}

/** Digital silence of `seconds` (lavfi anullsrc). */
export function silence(seconds: number, container: TestContainer = 'webm'): Promise<Buffer> {
  return inTemp((dir) => encode(['-f', 'lavfi', '-i', 'anullsrc=r=48000:cl=mono', '-t', String(seconds)], container, dir));
}

/** The 16 kHz mono WAV a recogniser receives, straight from espeak-ng through ffmpeg. */
export function speechWav16k(text: string): Promise<Buffer> {
  return inTemp(async (dir) => {
    const wav = join(dir, 'speech.wav');
    await run('espeak-ng', ['-v', 'en-us', '-w', wav, text]);
    const out = join(dir, 'out.wav');
    await run('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', '-i', wav, '-ac', '1', '-ar', '16000', '-c:a', 'pcm_s16le', '-y', out]);
    return readFile(out);
  });
}

/** Share of the phrase's words found in the transcript (pocketsphinx is not exact). */
export function recognised(phrase: string, transcript: string): number {
  const heard = new Set(transcript.toLowerCase().split(/\s+/));
  const words = phrase.toLowerCase().split(/\s+/);
  return words.filter((w) => heard.has(w)).length / words.length;
}
