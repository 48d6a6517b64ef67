import { detectAudioFormat } from '../../src/voice/audio-format';
import { canonicalWav, readWavInfo } from '../../src/voice/wav';
import { speech, tone } from '../support/audio';

/** Containers are recognised from the bytes (file-type), whatever the client claims. */
describe('detectAudioFormat', () => {
  it.each([
    ['webm', 'webm'],
    ['ogg', 'ogg'],
    ['wav', 'wav'],
    ['mp3', 'mp3'],
    ['m4a', 'mp4'],
    ['aac', 'aac'],
  ] as const)('recognises %s from its first bytes', async (container, expected) => {
    const bytes = await tone(1, container);
    expect((await detectAudioFormat(bytes.subarray(0, 4100)))?.container).toBe(expected);
  });

  it('refuses text, images, FLAC and nothing', async () => {
    expect(await detectAudioFormat(Buffer.from('hello, this is plain text'))).toBeNull();
    expect(await detectAudioFormat(Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'))).toBeNull(); // PNG
    expect(await detectAudioFormat((await tone(1, 'flac')).subarray(0, 4100))).toBeNull();
    expect(await detectAudioFormat(Buffer.alloc(0))).toBeNull();
  });
});

describe('readWavInfo / canonicalWav', () => {
  it('reads the format and duration of speech, and rewraps its PCM with a 44-byte header', async () => {
    const wav = await speech('hello there', 'wav');
    const info = readWavInfo(wav);
    expect(info).not.toBeNull();
    expect(info?.durationSeconds).toBeGreaterThan(0.3);
    const pcm = wav.subarray(info!.dataOffset, info!.dataOffset + info!.dataBytes);
    const canonical = canonicalWav(pcm, info!.sampleRate, info!.channels, info!.bitsPerSample);
    expect(canonical.length).toBe(44 + pcm.length);
    expect(readWavInfo(canonical)).toMatchObject({ dataOffset: 44, dataBytes: pcm.length, sampleRate: info!.sampleRate });
  });

  it('returns null for bytes that are not RIFF/WAVE', () => {
    expect(readWavInfo(Buffer.from('OggS\0\0\0\0\0\0\0\0\0\0'))).toBeNull();
  });
});
