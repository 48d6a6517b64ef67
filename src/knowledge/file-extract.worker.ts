import { parentPort, workerData } from 'node:worker_threads';
import mammoth from 'mammoth';
import { PDFParse } from 'pdf-parse';

/**
 * Runs in a worker thread (`file-extract.ts`): the text of one PDF or DOCX, so that parsing a
 * hostile or huge file never blocks the api's event loop and can be stopped (terminate) at
 * its time bound or memory limit. Posts `{ text, pages }` or `{ error }` (a reason code).
 */
interface Job {
  bytes: Uint8Array;
  kind: 'pdf' | 'docx';
  maxPages: number;
}

async function extract(job: Job): Promise<{ text: string; pages?: number } | { error: string }> {
  if (job.kind === 'docx') {
    const { value } = await mammoth.extractRawText({ buffer: Buffer.from(job.bytes) });
    return { text: value };
  }
  const parser = new PDFParse({ data: job.bytes });
  try {
    const info = await parser.getInfo();
    if (info.total > job.maxPages) return { error: 'too_many_pages', pages: info.total };
    const result = await parser.getText();
    return { text: result.pages.map((p) => p.text).join('\n\n'), pages: info.total };
  } finally {
    await parser.destroy();
  }
}

extract(workerData as Job).then(
  (result) => parentPort?.postMessage(result),
  () => parentPort?.postMessage({ error: 'unreadable' }),
);
