import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../observability/logger';

export const DEFAULT_VOICE_TEMP_ROOT = join(tmpdir(), 'concierge-voice');

export interface VoiceTempDirsOptions {
  /** Leftovers older than this are swept (default one hour). */
  maxAgeMs?: number;
  /** How often the sweeper runs after start-up (default ten minutes). */
  sweepIntervalMs?: number;
}

/**
 * Private per-request directories for voice work (the upload, the WAV), all under one root.
 * {@link withTempDir} removes its directory on every path, success or failure; the sweeper
 * catches what a crash (SIGKILL, power loss) left behind: at start-up and every ten minutes it
 * removes entries older than an hour. Requests are bounded far below an hour (ffmpeg timeout,
 * provider timeout), so the sweeper never races live work.
 */
export class VoiceTempDirs {
  private readonly maxAgeMs: number;
  private readonly sweepIntervalMs: number;
  private timer?: NodeJS.Timeout;
  private sweeping?: Promise<number>;

  constructor(
    readonly root: string,
    private readonly logger: Logger,
    options: VoiceTempDirsOptions = {},
  ) {
    this.maxAgeMs = options.maxAgeMs ?? 60 * 60 * 1000;
    this.sweepIntervalMs = options.sweepIntervalMs ?? 10 * 60 * 1000;
  }

  /** Creates the root (0700), sweeps once, then schedules the periodic sweep. */
  async start(): Promise<void> {
    await mkdir(this.root, { recursive: true, mode: 0o700 });
    await this.sweep();
    this.timer = setInterval(() => {
      this.sweep().catch((err: unknown) => this.logger.warn('voice temp sweep failed', { error: String(err) }));
    }, this.sweepIntervalMs);
    this.timer.unref();
  }

  /** Runs `fn` with a fresh private directory (mode 0700) and removes it afterwards, always. */
  async withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
    await mkdir(this.root, { recursive: true, mode: 0o700 });
    // mkdtemp creates the directory with mode 0700.
    const dir = await mkdtemp(join(this.root, 'req-'));
    try {
      return await fn(dir);
    } finally {
      await rm(dir, { recursive: true, force: true }).catch((err: unknown) =>
        this.logger.warn('could not remove voice temp dir; the sweeper will', { dir, error: String(err) }),
      );
    }
  }

  /** Removes entries of the root last modified before `now - maxAge`. Returns how many. */
  sweep(now = Date.now()): Promise<number> {
    this.sweeping ??= this.sweepOnce(now).finally(() => {
      this.sweeping = undefined;
    });
    return this.sweeping;
  }

  private async sweepOnce(now: number): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.root);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw err;
    }
    let removed = 0;
    for (const name of names) {
      const path = join(this.root, name);
      const info = await stat(path).catch(() => null);
      if (!info || now - info.mtimeMs < this.maxAgeMs) continue;
      await rm(path, { recursive: true, force: true });
      removed++;
    }
    if (removed > 0) this.logger.info('swept voice temp leftovers', { removed, root: this.root });
    return removed;
  }

  /** Stops the periodic sweep and waits for a running one. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.sweeping?.catch(() => undefined);
  }
}
