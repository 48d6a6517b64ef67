import { parentPort } from 'node:worker_threads';
import { extractText, type ExtractRequest } from './text-extract';

/**
 * The worker thread of TextExtractor (text-extractor.ts): extracts one document per message,
 * `{ id, req }` → `{ id, result }` or `{ id, error }`.
 */
parentPort?.on('message', (message: { id: number; req: ExtractRequest }) => {
  try {
    parentPort!.postMessage({ id: message.id, result: extractText(message.req) });
  } catch (err) {
    parentPort!.postMessage({ id: message.id, error: err instanceof Error ? err.message : String(err) });
  }
});
