import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ServerResponse } from 'node:http';
import { processRequest } from 'graphql-upload-minimal';

/**
 * The GraphQL multipart request spec on Fastify (graphql-upload-minimal's `processRequest`
 * as the multipart/form-data body parser). The parser resolves as soon as the `operations`
 * and `map` fields are read; the file itself streams on into the resolver, which writes it to
 * disk while counting bytes (voice/upload.ts `saveUpload`). Nothing buffers the whole file in memory.
 */

/** Apollo's default CSRF-prevention headers; one of them must be present on a multipart request. */
const PREFLIGHT_HEADERS = ['apollo-require-preflight', 'x-apollo-operation-name'] as const;

class HttpStatusError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

export interface MultipartOptions {
  /** Largest `operations`/`map` field. */
  maxFieldBytes: number;
  /** Largest file (MAX_AUDIO_BYTES). */
  maxFileBytes: number;
}

export function registerMultipartUploads(fastify: FastifyInstance, options: MultipartOptions): void {
  fastify.addContentTypeParser('multipart/form-data', async (request: FastifyRequest) => {
    // Apollo's csrfPrevention would refuse this request too, but only after the parser had
    // started reading the upload: refuse before reading a byte.
    if (!PREFLIGHT_HEADERS.some((h) => typeof request.headers[h] === 'string' && request.headers[h] !== '')) {
      throw new HttpStatusError(
        400,
        'This operation has been blocked as a potential Cross-Site Request Forgery (CSRF). ' +
          'Multipart requests need an "apollo-require-preflight: true" (or "x-apollo-operation-name") header.',
      );
    }
    try {
      return await processRequest(request.raw, null as unknown as ServerResponse, {
        // busboy stops the file at the limit and emits 'limit' on it, which saveUpload answers
        // with PAYLOAD_TOO_LARGE at once (it also counts the bytes itself). The answer closes the
        // connection (the onSend hook in http-server.ts): the rest of the body is never read.
        maxFileSize: options.maxFileBytes,
        maxFieldSize: options.maxFieldBytes,
        maxFiles: 1,
      });
    } catch (err) {
      const status = (err as { status?: number }).status;
      throw new HttpStatusError(typeof status === 'number' && status >= 400 && status < 500 ? (status === 499 ? 400 : status) : 400, (err as Error).message);
    }
  });
}

