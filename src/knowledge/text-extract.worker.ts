import { parentPort } from 'node:worker_threads';
import type * as FileReaders from './file-readers';
import { extractText, type ExtractRequest } from './text-extract';

/**
 * The worker thread of TextExtractor (text-extractor.ts), the one extraction thread of the
 * process: one job per message, `{ id, req }` (Markdown/HTML) or `{ id, file }` (a PDF or
 * DOCX) → `{ id, result }` or `{ id, error }`. The file parsers are loaded on the first file.
 */
let readers: typeof FileReaders | null = null;

parentPort?.on('message', (message: { id: number; req?: ExtractRequest; file?: FileReaders.FileJob }) => {
  if (message.file) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use: pdf.js is large
    readers ??= require('./file-readers') as typeof FileReaders;
    readers.readFile(message.file).then(
      (result) => parentPort!.postMessage({ id: message.id, result }),
      () => parentPort!.postMessage({ id: message.id, result: { error: 'unreadable' } }),
    );
    return;
  }
  try {
    parentPort!.postMessage({ id: message.id, result: extractText(message.req!) });
  } catch (err) {
    parentPort!.postMessage({ id: message.id, error: err instanceof Error ? err.message : String(err) });
  }
});
