import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type GraphQLFormattedError } from 'graphql';
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import type { GraphQLResponse } from './client';

/**
 * GraphQL multipart request spec clients for tests: `upload` like a browser's fetch + FormData,
 * and `streamUpload`, which writes the body piece by piece so a test can stop midway.
 */

export interface UploadOptions {
  filename?: string;
  /** The client's claimed MIME type (the server ignores it). */
  mime?: string;
  /** Send the CSRF preflight header (default true). */
  preflight?: boolean;
  headers?: Record<string, string>;
}

function operations<TVariables>(document: TypedDocumentNode<unknown, TVariables>, variables: TVariables, fileVariable: string) {
  return JSON.stringify({ query: print(document), variables: { ...variables, [fileVariable]: null } });
}

/** POSTs `document` with `file` as `variables[fileVariable]`, as a browser would. */
export async function upload<TResult, TVariables>(
  url: string,
  document: TypedDocumentNode<TResult, TVariables>,
  variables: Omit<TVariables, 'audio'>,
  file: Buffer,
  options: UploadOptions = {},
  fileVariable = 'audio',
): Promise<GraphQLResponse<TResult>> {
  const form = new FormData();
  form.append('operations', operations(document, variables as TVariables, fileVariable));
  form.append('map', JSON.stringify({ 0: [`variables.${fileVariable}`] }));
  form.append('0', new Blob([new Uint8Array(file)], { type: options.mime ?? 'audio/webm' }), options.filename ?? 'voice.webm');
  const headers: Record<string, string> = { ...(options.preflight === false ? {} : { 'apollo-require-preflight': 'true' }), ...options.headers };
  const response = await fetch(url, { method: 'POST', body: form, headers });
  const text = await response.text();
  let body: { data?: TResult | null; errors?: GraphQLFormattedError[] } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    body = { errors: [{ message: text }] };
  }
  return { status: response.status, data: body.data, errors: body.errors, headers: response.headers };
}

export interface StreamingUpload {
  request: ClientRequest;
  /** Writes `bytes` of the file (resolves when flushed to the socket). */
  write(bytes: Buffer): Promise<void>;
  /** Finishes the body. */
  end(): void;
  /** Resolves with the response as soon as the server answers (even mid-body). */
  response: Promise<{ status: number; body: { data?: unknown; errors?: GraphQLFormattedError[] } }>;
  /** Cuts the connection mid-upload, as a closed browser tab would. */
  abort(): void;
}

/** A multipart upload written piece by piece over a raw HTTP request. */
export function streamUpload<TVariables>(
  url: string,
  document: TypedDocumentNode<unknown, TVariables>,
  variables: Omit<TVariables, 'audio'>,
  declaredLength?: number,
): StreamingUpload {
  const boundary = `----voice${Date.now()}`;
  const preamble =
    `--${boundary}\r\ncontent-disposition: form-data; name="operations"\r\n\r\n${operations(document, variables as TVariables, 'audio')}\r\n` +
    `--${boundary}\r\ncontent-disposition: form-data; name="map"\r\n\r\n${JSON.stringify({ 0: ['variables.audio'] })}\r\n` +
    `--${boundary}\r\ncontent-disposition: form-data; name="0"; filename="voice.webm"\r\ncontent-type: audio/webm\r\n\r\n`;
  const closing = `\r\n--${boundary}--\r\n`;
  const req = httpRequest(url, {
    method: 'POST',
    headers: {
      'content-type': `multipart/form-data; boundary=${boundary}`,
      'apollo-require-preflight': 'true',
      ...(declaredLength !== undefined ? { 'content-length': String(Buffer.byteLength(preamble) + declaredLength + closing.length) } : {}),
    },
  });
  req.on('error', () => undefined); // aborts and early answers surface through `response`
  req.write(preamble);
  const response = new Promise<{ status: number; body: { data?: unknown; errors?: GraphQLFormattedError[] } }>((resolve, reject) => {
    req.on('response', (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as never });
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      });
    });
    req.on('close', () => reject(new Error('connection closed without a response')));
  });
  response.catch(() => undefined);
  return {
    request: req,
    write: (bytes) => new Promise<void>((resolve) => (req.write(bytes) ? resolve() : req.once('drain', () => resolve()))),
    end: () => req.end(closing),
    response,
    abort: () => req.destroy(),
  };
}
