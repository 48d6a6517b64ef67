import { createClient, type Client } from 'graphql-ws';
import type { TypedDocumentString } from '../generated/graphql';

/**
 * The widget's whole conversation with the server: GraphQL over HTTP for queries and
 * mutations (POST /graphql, JSON; multipart for voice) and graphql-ws for reply streams
 * (WS /graphql). The documents are the typed strings codegen makes from
 * widget/operations/widget.graphql.
 */

/** An error the server answered with (`code` is its `extensions.code`), or `NETWORK`. */
export class ChatApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** For RATE_LIMITED: when the visitor may try again. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'ChatApiError';
  }
}

interface GraphQLBody<R> {
  data?: R | null;
  errors?: Array<{ message: string; extensions?: { code?: unknown; retryAfterSeconds?: unknown } }>;
}

function toError(errors: NonNullable<GraphQLBody<unknown>['errors']>): ChatApiError {
  const first = errors[0];
  const code = first.extensions?.code;
  const retry = first.extensions?.retryAfterSeconds;
  return new ChatApiError(typeof code === 'string' ? code : 'INTERNAL_SERVER_ERROR', first.message, typeof retry === 'number' ? retry : undefined);
}

/** A running subscription: `done` settles when it completes (or fails); `cancel` stops it. */
export interface Subscription {
  done: Promise<void>;
  cancel(): void;
}

export class ChatApi {
  private socket: Client | null = null;

  /** `server` is the origin the script came from, e.g. https://chat.example.com. */
  constructor(private readonly server: string) {}

  private get httpUrl(): string {
    return `${this.server}/graphql`;
  }

  private get wsUrl(): string {
    return `${this.server.replace(/^http/, 'ws')}/graphql`;
  }

  /** Runs a query or mutation over HTTP. */
  async request<R, V>(document: TypedDocumentString<R, V>, variables: V): Promise<R> {
    return this.send({
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: document.toString(), variables }),
    });
  }

  /**
   * Runs a mutation with one file (GraphQL multipart request spec): `fileVariable` names the
   * Upload variable, which is sent as null in `operations` and mapped to the file part.
   */
  async upload<R, V>(document: TypedDocumentString<R, V>, variables: V, fileVariable: keyof V & string, file: Blob, fileName: string): Promise<R> {
    const form = new FormData();
    form.append('operations', JSON.stringify({ query: document.toString(), variables: { ...variables, [fileVariable]: null } }));
    form.append('map', JSON.stringify({ 0: [`variables.${fileVariable}`] }));
    form.append('0', file, fileName);
    // Multipart is a "simple" content type: the server's CSRF check wants this header.
    return this.send({ method: 'POST', headers: { 'apollo-require-preflight': 'true' }, body: form });
  }

  private async send<R>(init: RequestInit): Promise<R> {
    let body: GraphQLBody<R>;
    try {
      const response = await fetch(this.httpUrl, init);
      body = (await response.json()) as GraphQLBody<R>;
    } catch {
      // Offline, or refused by CORS (this site may not use this business's chat).
      throw new ChatApiError('NETWORK', 'The chat server could not be reached.');
    }
    if (body.errors?.length) throw toError(body.errors);
    if (!body.data) throw new ChatApiError('INTERNAL_SERVER_ERROR', 'The chat server sent no answer.');
    return body.data;
  }

  /**
   * Subscribes over the WebSocket. `done` rejects with a ChatApiError: the server's code for
   * an operation error, `NETWORK` when the connection dropped (the caller may resubscribe).
   */
  subscribe<R, V>(document: TypedDocumentString<R, V>, variables: V, onData: (data: R) => void): Subscription {
    // One lazy socket for the page; it closes itself when no subscription is running, and the
    // next subscription opens a new one. No automatic retry: the caller resumes with fromSeq.
    this.socket ??= createClient({ url: this.wsUrl, lazy: true, retryAttempts: 0, keepAlive: 15_000 });
    let cancel: () => void = () => undefined;
    const done = new Promise<void>((resolve, reject) => {
      cancel = this.socket!.subscribe<R>(
        { query: document.toString(), variables: variables as Record<string, unknown> },
        {
          next: (result) => {
            if (result.errors?.length) reject(toError(result.errors as NonNullable<GraphQLBody<unknown>['errors']>));
            else if (result.data) onData(result.data);
          },
          error: (error: unknown) => {
            if (Array.isArray(error)) reject(toError(error));
            else reject(new ChatApiError('NETWORK', 'The connection to the chat server dropped.'));
          },
          complete: () => resolve(),
        },
      );
    });
    return { done, cancel: () => cancel() };
  }

  /** Closes the socket (the element left the page). */
  close(): void {
    void this.socket?.dispose();
    this.socket = null;
  }
}
