import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';

/** The compiled API entry; `npm test` builds it first (the `pretest` script). */
export const MAIN_JS = path.resolve(__dirname, '../../dist/src/main.js');

export function assertBuilt(): void {
  if (!existsSync(MAIN_JS)) throw new Error(`${MAIN_JS} is missing: run npm run build first (npm test does it)`);
}

/** A port that was free a moment ago on 127.0.0.1 (listen on 0, read it, close). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface LogLine {
  level?: string;
  message?: string;
  pid?: number;
  [key: string]: unknown;
}

/**
 * A child process whose stdout/stderr are collected line by line; JSON lines are parsed.
 * `stop()` is the one place that ends it (SIGKILL if it is still running).
 */
export class ChildServer {
  readonly child: ChildProcess;
  /** Every raw line from stdout and stderr, in order of arrival. */
  readonly lines: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private waiters: Array<() => void> = [];

  constructor(script: string, env: Record<string, string>, args: string[] = []) {
    this.child = spawn(process.execPath, [script, ...args], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const ended: Array<Promise<void>> = [];
    for (const stream of [this.child.stdout, this.child.stderr]) {
      let buffered = '';
      if (stream) ended.push(new Promise<void>((resolve) => stream.once('close', () => resolve())));
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        buffered += chunk;
        let i: number;
        while ((i = buffered.indexOf('\n')) >= 0) {
          this.lines.push(buffered.slice(0, i));
          buffered = buffered.slice(i + 1);
        }
        this.notify();
      });
      stream?.on('end', () => {
        if (buffered) this.lines.push(buffered);
        buffered = '';
        this.notify();
      });
    }
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        // Let the pipes deliver their last lines before anyone reads `lines`: both end right
        // after the exit, unless a grandchild (a cluster worker) still holds them; then 50 ms.
        let timer: NodeJS.Timeout | undefined;
        void Promise.race([Promise.all(ended), new Promise((r) => (timer = setTimeout(r, 50)))]).then(() => {
          clearTimeout(timer);
          this.notify();
          resolve({ code, signal });
        });
      });
    });
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** Every line that parses as a JSON object. */
  get logs(): LogLine[] {
    const out: LogLine[] = [];
    for (const line of this.lines) {
      try {
        const value: unknown = JSON.parse(line);
        if (value && typeof value === 'object') out.push(value as LogLine);
      } catch {
        // not JSON: kept in `lines` for the assertions that check every line is JSON
      }
    }
    return out;
  }

  /** Waits until a log line satisfies `match`, or throws after `timeoutMs`. */
  async waitForLog(match: (line: LogLine) => boolean, timeoutMs = 15_000): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.logs.find(match);
      if (hit) return hit;
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(`process exited before the expected log line; output:\n${this.lines.join('\n')}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching log line within ${timeoutMs} ms; output:\n${this.lines.join('\n')}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** The exit, or an error after `timeoutMs`. */
  async waitForExit(timeoutMs = 15_000): Promise<{ code: number | null; signal: NodeJS.Signals | null; afterMs: number }> {
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      const result = await Promise.race([
        this.exited,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`process still running after ${timeoutMs} ms; output:\n${this.lines.join('\n')}`)), timeoutMs);
        }),
      ]);
      return { ...result, afterMs: Date.now() - started };
    } finally {
      clearTimeout(timer);
    }
  }

  /** Ends the process if it still runs and waits for it. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }
}

/** The compiled API server (`node dist/src/main.js`) with exactly `env` (plus PATH). */
export function spawnServer(env: Record<string, string>): ChildServer {
  assertBuilt();
  return new ChildServer(MAIN_JS, env);
}

/**
 * A redis-server of the test's own on `port`, keeping nothing on disk, so a test can stop
 * and restart it without touching the shared Redis.
 */
export class OwnRedis {
  private proc: ChildProcess | null = null;

  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const proc = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc = proc;
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis-server did not start on ${this.port}: ${output}`)), 10_000);
      proc.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${code}: ${output}`));
      });
    });
  }

  async stop(): Promise<void> {
    const proc = this.proc;
    this.proc = null;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill('SIGKILL');
    });
  }
}
