import { createWriteStream } from 'node:fs';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FileUpload } from 'graphql-upload-minimal';
import { VoiceAbortedError, VoiceInputError, VoiceTooLargeError } from './voice.errors';

export interface SavedUpload {
  bytes: number;
  filename: string;
  /** What the client claimed; logged, never trusted. */
  clientMime: string;
}

/**
 * Streams an upload to `path` (mode 0600), counting bytes, and fails with
 * {@link VoiceTooLargeError} as soon as it passes `maxBytes` — before the rest arrives.
 * A client that disconnects midway, or `signal`, fails it with {@link VoiceAbortedError}.
 */
export async function saveUpload(upload: Promise<FileUpload> | FileUpload, path: string, maxBytes: number, signal?: AbortSignal): Promise<SavedUpload> {
  let file: FileUpload;
  let source: Readable;
  try {
    file = await upload;
    source = file.createReadStream();
  } catch (err) {
    throw translateUploadError(err, maxBytes);
  }
  let bytes = 0;
  let overLimit: (error: Error) => void = () => undefined;
  const tooLarge = new Promise<never>((_resolve, reject) => {
    overLimit = reject;
  });
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      if (bytes <= maxBytes) return callback(null, chunk);
      // Past the limit: answer now, and drop what still arrives (no disk, no memory) until the
      // answer has gone out and the HTTP server closes the connection (it does for every answer
      // sent before its request body was complete). Failing the stream instead would stall
      // busboy and the request, and the client would never read our answer.
      overLimit(new VoiceTooLargeError(maxBytes));
      callback();
    },
  });
  // The multipart parser's own maxFileSize (= maxBytes, server/multipart.ts): busboy truncates
  // the file there and emits 'limit', and the upload library unpipes it, so the bytes we would
  // count may never reach us. Its 'limit' is the overflow too.
  source.once('limit', () => overLimit(new VoiceTooLargeError(maxBytes)));
  const written = pipeline(source, counter, createWriteStream(path, { mode: 0o600 }), { signal });
  written.catch(() => undefined); // still draining after a too-large answer
  tooLarge.catch(() => undefined); // observed through the race below
  try {
    await Promise.race([written, tooLarge]);
  } catch (err) {
    if (signal?.aborted) throw new VoiceAbortedError();
    throw translateUploadError(err, maxBytes);
  }
  if (bytes === 0) throw new VoiceInputError('empty', 'The recording is empty');
  return { bytes, filename: file.filename, clientMime: file.mimetype };
}

function translateUploadError(err: unknown, maxBytes: number): Error {
  if (err instanceof VoiceTooLargeError || err instanceof VoiceInputError || err instanceof VoiceAbortedError) return err;
  const status = (err as { status?: number }).status;
  if (status === 413) return new VoiceTooLargeError(maxBytes);
  if (status === 499) return new VoiceAbortedError();
  if (status === 400) return new VoiceInputError('empty', 'The request has no audio file');
  return err instanceof Error ? err : new Error(String(err));
}

/**
 * Reads and drops an upload nobody consumed (the request failed before its audio was needed),
 * so the rest of the request body flows and the client receives the answer. Nothing is stored;
 * the bytes cost only bandwidth.
 */
export async function discardUpload(upload: Promise<FileUpload> | FileUpload): Promise<void> {
  try {
    const file = await upload;
    file.createReadStream().resume();
  } catch {
    // Already consumed (createReadStream throws the second time) or the upload failed.
  }
}
