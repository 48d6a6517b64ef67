import { existsSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { FileJob, FileText } from './file-readers';
import { extractText, type ExtractedPage, type ExtractRequest } from './text-extract';

/** The extraction of a document did not finish in time (its worker thread was stopped). */
export class ExtractTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`text extraction did not finish within ${timeoutMs} ms`);
    this.name = 'ExtractTimeoutError';
  }
}

/** Too many documents are waiting for the extraction thread. */
export class ExtractBusyError extends Error {
  constructor() {
    super('too many documents are being processed; try again shortly');
    this.name = 'ExtractBusyError';
  }
}

export interface TextExtractorOptions {
  /** Documents up to this many UTF-16 code units are extracted inline (cheap); larger ones in the thread. */
  inlineMaxChars: number;
  /** An extraction running longer is stopped (the thread terminated and replaced). */
  timeoutMs: number;
  /** Documents waiting for the thread at most; past it {@link ExtractBusyError}. */
  maxQueued: number;
}

export const DEFAULT_EXTRACTOR_OPTIONS: TextExtractorOptions = { inlineMaxChars: 64 * 1024, timeoutMs: 30_000, maxQueued: 32 };

/**
 * When the sources run as TypeScript (ts-jest), the worker loads the `.ts` file through a
 * minimal require hook built on the TypeScript compiler; built code (dist/) loads the `.js`.
 */
const TS_BOOTSTRAP = `
const fs = require('node:fs');
const ts = require('typescript');
require.extensions['.ts'] = (module, filename) => {
  const out = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    fileName: filename,
  });
  module._compile(out.outputText, filename);
};
require(require('node:worker_threads').workerData.file);
`;

/** The thread's heap bound: a hostile file fails the job (the thread is replaced), never the process. */
const THREAD_HEAP_MB = 256;

function spawn(): Worker {
  const js = path.join(__dirname, 'text-extract.worker.js');
  const resourceLimits = { maxOldGenerationSizeMb: THREAD_HEAP_MB };
  if (existsSync(js)) return new Worker(js, { resourceLimits });
  return new Worker(TS_BOOTSTRAP, { eval: true, workerData: { file: path.join(__dirname, 'text-extract.worker.ts') }, resourceLimits });
}

type Job = { req: ExtractRequest; file?: undefined } | { file: FileJob; req?: undefined };

interface Pending {
  id: number;
  job: Job;
  timeoutMs: number;
  resolve: (result: never) => void;
  reject: (err: Error) => void;
}

/**
 * Text extraction off the event loop. Markdown (markdown-it) and HTML (linkedom, Readability)
 * are linear-ish but a 2 MB document still takes seconds of CPU (docs/security.md): small
 * documents are extracted inline, larger ones on one worker thread (started on first use), one
 * at a time, each bounded by `timeoutMs` — past it the thread is terminated (that stops even a
 * runaway parse) and a fresh one serves the next document. So no document freezes the
 * process's event loop (chat, subscriptions, BullMQ lock renewals) for more than the inline bound.
 */
export class TextExtractor {
  private worker: Worker | null = null;
  private readonly queue: Pending[] = [];
  private current: (Pending & { timer: NodeJS.Timeout }) | null = null;
  private nextId = 1;
  private closed = false;

  constructor(private readonly options: TextExtractorOptions = DEFAULT_EXTRACTOR_OPTIONS) {}

  extract(req: ExtractRequest): Promise<ExtractedPage> {
    if (req.content.length <= this.options.inlineMaxChars) return Promise.resolve(extractText(req));
    return this.enqueue<ExtractedPage>({ req }, this.options.timeoutMs);
  }

  /**
   * The text of a PDF or DOCX (`uploadKnowledgeFile`), always on the thread, bounded by
   * `timeoutMs` (then {@link ExtractTimeoutError}, the thread replaced). Parser failures come
   * back as `{ error }` reason codes (`too_many_pages`, `unreadable`).
   */
  extractFile(file: FileJob, timeoutMs: number): Promise<FileText> {
    return this.enqueue<FileText>({ file }, timeoutMs);
  }

  private enqueue<T>(job: Job, timeoutMs: number): Promise<T> {
    if (this.closed) return Promise.reject(new Error('the text extractor is closed'));
    if (this.queue.length >= this.options.maxQueued) return Promise.reject(new ExtractBusyError());
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, job, timeoutMs, resolve: resolve, reject });
      this.pump();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) p.reject(new Error('the text extractor is closed'));
    if (this.current) {
      clearTimeout(this.current.timer);
      this.current.reject(new Error('the text extractor is closed'));
      this.current = null;
    }
    const worker = this.worker;
    this.worker = null;
    if (worker) await worker.terminate();
  }

  private pump(): void {
    if (this.current || !this.queue.length || this.closed) return;
    const job = this.queue.shift()!;
    const worker = this.ensureWorker();
    const timer = setTimeout(() => {
      // A runaway extraction: stop the thread; the next document gets a new one.
      this.fail(new ExtractTimeoutError(job.timeoutMs), true);
    }, job.timeoutMs);
    this.current = { ...job, timer };
    worker.ref(); // busy: keeps the process alive until the document is done
    worker.postMessage({ id: job.id, ...job.job });
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = spawn();
    worker.unref(); // an idle extraction thread never keeps the process alive
    worker.on('message', (message: { id: number; result?: never; error?: string }) => {
      const job = this.current;
      if (!job || job.id !== message.id) return;
      clearTimeout(job.timer);
      this.current = null;
      worker.unref();
      if (message.result) job.resolve(message.result);
      else job.reject(new Error(message.error ?? 'text extraction failed'));
      this.pump();
    });
    worker.on('error', (err) => this.fail(err, true));
    worker.on('exit', () => {
      if (this.worker === worker) this.worker = null;
      if (this.current) this.fail(new Error('the text extraction thread stopped'), false);
    });
    this.worker = worker;
    return worker;
  }

  private fail(err: Error, terminate: boolean): void {
    const job = this.current;
    this.current = null;
    if (job) {
      clearTimeout(job.timer);
      job.reject(err);
    }
    if (terminate && this.worker) {
      const worker = this.worker;
      this.worker = null;
      void worker.terminate();
    }
    this.pump();
  }
}
