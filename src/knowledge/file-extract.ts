import type { Readable } from 'node:stream';
import { fromBuffer } from 'file-type';
import { BadUserInputError, PayloadTooLargeError } from '../common/errors';
import { DocumentFormat } from './knowledge.entity';
import { ExtractBusyError, ExtractTimeoutError, type TextExtractor } from './text-extractor';

/** What `uploadKnowledgeFile` accepts, decided from the file's bytes (the name only tells Markdown from plain text). */
export interface SniffedFile {
  format: DocumentFormat;
  /** The text for TEXT, MARKDOWN and HTML; PDF and DOCX still need {@link extractText}. */
  text: string | null;
}

export interface FileLimits {
  maxBytes: number;
  maxPdfPages: number;
  extractTimeoutMs: number;
}

const unsupported = () =>
  new BadUserInputError('The file is not one of the accepted formats: PDF, DOCX, plain text, Markdown or HTML.', { reason: 'unsupported_format', field: 'file' });

/**
 * Reads an upload into memory, failing with `PAYLOAD_TOO_LARGE` as soon as it passes
 * `maxBytes`; the rest of the stream is drained and dropped, never kept.
 */
export async function readUpload(stream: Readable, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of stream) {
    bytes += (chunk as Buffer).length;
    if (bytes > maxBytes) {
      stream.resume();
      throw new PayloadTooLargeError(`The file is larger than ${maxBytes} bytes.`);
    }
    chunks.push(chunk as Buffer);
  }
  if (!bytes) throw new BadUserInputError('The file is empty.', { reason: 'empty', field: 'file' });
  return Buffer.concat(chunks);
}

/** PDF and DOCX by their signatures; otherwise UTF-8 text: HTML by its markup, Markdown by its name, else plain text. */
export async function sniffFile(bytes: Buffer, filename: string): Promise<SniffedFile> {
  const type = await fromBuffer(bytes);
  if (type?.ext === 'pdf') return { format: DocumentFormat.PDF, text: null };
  if (type?.ext === 'docx') return { format: DocumentFormat.DOCX, text: null };
  if (type && !['xml', 'html'].includes(type.ext)) throw unsupported();
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw unsupported();
  }
  if (text.includes('\u0000')) throw unsupported();
  const head = text.slice(0, 2048).trimStart().toLowerCase();
  if (/^(<!doctype html|<html[\s>]|<head[\s>]|<body[\s>])/.test(head) || /\.html?$/i.test(filename)) return { format: DocumentFormat.HTML, text };
  if (/\.(md|markdown)$/i.test(filename)) return { format: DocumentFormat.MARKDOWN, text };
  return { format: DocumentFormat.TEXT, text };
}

/**
 * The text of a PDF or DOCX, read on the process's one extraction thread (`TextExtractor`, the
 * thread that also extracts large Markdown and HTML), bounded in time (`extractTimeoutMs`, then
 * the thread is terminated and replaced) and memory (256 MB of heap), so the api's event loop
 * never runs the parser. A PDF over `maxPdfPages`, an unreadable file, and a PDF with no text
 * (a scan) are `BAD_USER_INPUT` with a `reason`; too many files waiting is `ExtractBusyError`.
 */
export async function extractText(extractor: TextExtractor, bytes: Buffer, format: DocumentFormat.PDF | DocumentFormat.DOCX, limits: FileLimits): Promise<string> {
  const job = { bytes: new Uint8Array(bytes), kind: format === DocumentFormat.PDF ? ('pdf' as const) : ('docx' as const), maxPages: limits.maxPdfPages };
  let result: { text?: string; error?: string; pages?: number };
  try {
    result = await extractor.extractFile(job, limits.extractTimeoutMs);
  } catch (err) {
    if (err instanceof ExtractBusyError) throw err;
    result = { error: err instanceof ExtractTimeoutError ? 'timeout' : 'unreadable' };
  }
  const kind = format === DocumentFormat.PDF ? 'PDF' : 'DOCX';
  if (result.error === 'too_many_pages') {
    throw new BadUserInputError(`The PDF has ${result.pages} pages; the limit is ${limits.maxPdfPages}.`, { reason: 'too_many_pages', field: 'file' });
  }
  if (result.error === 'timeout') throw new BadUserInputError(`Reading the ${kind} took longer than ${limits.extractTimeoutMs} ms; split it into smaller files.`, { reason: 'timeout', field: 'file' });
  if (result.error || result.text === undefined) throw new BadUserInputError(`The ${kind} could not be read; it may be damaged or encrypted.`, { reason: 'undecodable', field: 'file' });
  const text = result.text.replace(/[ \t]+\n/g, '\n').trim();
  if (!text) {
    throw new BadUserInputError(
      format === DocumentFormat.PDF ? 'The PDF has no text: it looks scanned. Run it through OCR (or export it as text) and upload that.' : 'The DOCX has no text.',
      { reason: 'no_text', field: 'file' },
    );
  }
  return text;
}
