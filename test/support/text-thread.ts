import path from 'node:path';
import { Worker } from 'node:worker_threads';

/**
 * Runs exported functions of a TypeScript module of ours on a worker thread, each call with a
 * deadline past which the thread is terminated (that stops even a synchronous runaway regex,
 * which a Jest timeout cannot). The fuzz tests use the deadline as their failure signal: it is
 * generous (never a speed assertion), it only tells "finished" from "did not finish".
 */
const BOOTSTRAP = `
const fs = require('node:fs');
const ts = require('typescript');
const { parentPort, workerData } = require('node:worker_threads');
require.extensions['.ts'] = (module, filename) => {
  const out = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    fileName: filename,
  });
  module._compile(out.outputText, filename);
};
const mod = require(workerData.file);
parentPort.on('message', ({ id, fn, args }) => {
  try {
    parentPort.postMessage({ id, result: mod[fn](...args) });
  } catch (err) {
    parentPort.postMessage({ id, error: String(err && err.stack || err) });
  }
});
`;

export class ModuleThread {
  private worker: Worker | null = null;
  private nextId = 1;
  private onError: (err: Error) => void = () => undefined;

  constructor(private readonly file: string) {}

  /** Calls `fn(...args)` on the thread; rejects with "did not finish" past `deadlineMs`. */
  call<T>(fn: string, args: unknown[], deadlineMs: number): Promise<T> {
    const worker = (this.worker ??= this.spawn());
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        worker.off('message', onMessage);
        this.worker = null;
        void worker.terminate();
        reject(new Error(`${fn} did not finish within ${deadlineMs} ms (a super-linear path?)`));
      }, deadlineMs);
      const onMessage = (message: { id: number; result?: T; error?: string }) => {
        if (message.id !== id) return;
        clearTimeout(timer);
        worker.off('message', onMessage);
        if (message.error !== undefined) reject(new Error(message.error));
        else resolve(message.result as T);
      };
      worker.on('message', onMessage);
      this.onError = (err) => {
        clearTimeout(timer);
        reject(err);
      };
      worker.postMessage({ id, fn, args });
    });
  }

  private spawn(): Worker {
    const worker = new Worker(BOOTSTRAP, { eval: true, workerData: { file: path.resolve(this.file) } });
    worker.on('error', (err) => {
      this.worker = null;
      this.onError(err);
    });
    return worker;
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    if (worker) await worker.terminate();
  }
}
