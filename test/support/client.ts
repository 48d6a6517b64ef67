import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type GraphQLFormattedError } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

export interface GraphQLResponse<T> {
  status: number;
  data: T | null | undefined;
  errors: GraphQLFormattedError[] | undefined;
  headers: Headers;
}

export interface RequestOptions {
  headers?: Record<string, string>;
}

/** POSTs a generated, typed operation to the real server over HTTP. */
export async function gql<TResult, TVariables>(
  url: string,
  document: TypedDocumentNode<TResult, TVariables>,
  variables?: TVariables,
  options: RequestOptions = {},
): Promise<GraphQLResponse<TResult>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...options.headers },
    body: JSON.stringify({ query: print(document), variables: variables ?? {} }),
  });
  const body = (await response.json()) as { data?: TResult | null; errors?: GraphQLFormattedError[] };
  return { status: response.status, data: body.data, errors: body.errors, headers: response.headers };
}

/** The `extensions.code` of each error, for compact assertions. */
export function errorCodes(response: { errors?: readonly GraphQLFormattedError[] }): string[] {
  return (response.errors ?? []).map((e) => String(e.extensions?.code));
}

/** A graphql-ws client on the real server; closed by the caller. */
export function wsClient(url: string, connectionParams: Record<string, unknown> = {}, headers: Record<string, string> = {}): Client {
  return createClient({
    url,
    connectionParams,
    retryAttempts: 0,
    lazy: true,
    webSocketImpl: class extends WebSocket {
      constructor(address: string, protocols?: string | string[]) {
        super(address, protocols, { headers });
      }
    },
  });
}

/**
 * Runs a subscription to completion (or error) and returns every payload it received.
 * `onNext` sees each payload as it arrives (a test waits on the first one, say, before it
 * makes the next change).
 */
export function collect<TResult, TVariables extends Record<string, unknown>>(
  client: Client,
  document: TypedDocumentNode<TResult, TVariables>,
  variables: TVariables,
  onNext?: (value: { data?: TResult | null; errors?: readonly GraphQLFormattedError[] }) => void,
): Promise<{ results: Array<{ data?: TResult | null; errors?: readonly GraphQLFormattedError[] }>; error?: unknown }> {
  const results: Array<{ data?: TResult | null; errors?: readonly GraphQLFormattedError[] }> = [];
  return new Promise((resolve) => {
    client.subscribe<TResult>(
      { query: print(document), variables },
      {
        next: (value) => {
          results.push(value);
          onNext?.(value);
        },
        error: (error) => resolve({ results, error }),
        complete: () => resolve({ results }),
      },
    );
  });
}
