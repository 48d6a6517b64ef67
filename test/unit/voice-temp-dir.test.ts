import { mkdir, mkdtemp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSilentLogger } from '../../src/observability/logger';
import { VoiceTempDirs } from '../../src/voice/temp-dir';

/** Private per-request temp dirs: removed on every path; leftovers swept by age. */

let root: string;
let dirs: VoiceTempDirs;

beforeEach(async () => {
  root = join(await mkdtemp(join(tmpdir(), 'voice-unit-')), 'voice');
  dirs = new VoiceTempDirs(root, createSilentLogger(), { maxAgeMs: 60 * 60 * 1000, sweepIntervalMs: 50 });
});

afterEach(async () => {
  await dirs.close();
  await rm(join(root, '..'), { recursive: true, force: true });
});

async function leftover(name: string, ageMs: number): Promise<string> {
  const path = join(root, name);
  await mkdir(path, { recursive: true });
  await writeFile(join(path, 'upload'), 'x');
  const when = new Date(Date.now() - ageMs);
  await utimes(path, when, when);
  return path;
}

describe('withTempDir', () => {
  it('gives a private (0700) directory and removes it after success', async () => {
    let seen = '';
    const result = await dirs.withTempDir(async (dir) => {
      seen = dir;
      await writeFile(join(dir, 'speech.wav'), 'data');
      expect((await stat(dir)).mode & 0o777).toBe(0o700);
      return 42;
    });
    expect(result).toBe(42);
    expect(seen.startsWith(root)).toBe(true);
    expect(await readdir(root)).toEqual([]);
  });

  it('removes the directory when the work throws, and rethrows', async () => {
    await expect(
      dirs.withTempDir(async (dir) => {
        await writeFile(join(dir, 'upload'), 'data');
        throw new Error('ffmpeg failed');
      }),
    ).rejects.toThrow('ffmpeg failed');
    expect(await readdir(root)).toEqual([]);
  });
});

describe('the sweeper', () => {
  it('removes leftovers older than an hour at start-up and keeps recent ones', async () => {
    await mkdir(root, { recursive: true });
    const old = await leftover('req-crashed', 2 * 60 * 60 * 1000);
    const fresh = await leftover('req-live', 60 * 1000);
    await dirs.start();
    expect(await readdir(root)).toEqual(['req-live']);
    expect(old).not.toBe(fresh);
  });

  it('creates the root with mode 0700', async () => {
    await dirs.start();
    expect((await stat(root)).mode & 0o777).toBe(0o700);
  });

  it('keeps sweeping periodically after start-up, until closed', async () => {
    await dirs.start();
    await leftover('req-later', 3 * 60 * 60 * 1000);
    // The subject is the sweeper's timer (every 50 ms here): these waits are about time.
    for (let i = 0; i < 40 && (await readdir(root)).length > 0; i++) await new Promise((r) => setTimeout(r, 25));
    expect(await readdir(root)).toEqual([]);

    await dirs.close();
    await leftover('req-after-close', 3 * 60 * 60 * 1000);
    await new Promise((r) => setTimeout(r, 200));
    expect(await readdir(root)).toEqual(['req-after-close']);
  });

  it('counts what it removed', async () => {
    await mkdir(root, { recursive: true });
    await leftover('a', 2 * 60 * 60 * 1000);
    await leftover('b', 2 * 60 * 60 * 1000);
    expect(await dirs.sweep()).toBe(2);
    expect(await dirs.sweep()).toBe(0);
  });
});
