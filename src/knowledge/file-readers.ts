import mammoth from 'mammoth';
import { PDFParse } from 'pdf-parse';

/** One PDF or DOCX to read, in the extraction thread (`text-extract.worker.ts`). */
export interface FileJob {
  bytes: Uint8Array;
  kind: 'pdf' | 'docx';
  maxPages: number;
}

export type FileText = { text: string; pages?: number } | { error: string; pages?: number };

/** The text of a PDF (pdf-parse, pdf.js inside) or DOCX (mammoth); `too_many_pages` past `maxPages`. */
export async function readFile(job: FileJob): Promise<FileText> {
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
