import {
  createSourceEventStream,
  execute,
  getOperationAST,
  GraphQLError,
  Kind,
  parse,
  validate,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLSchema,
} from 'graphql';
import type { Context } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import type { IncomingMessage } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import proxyAddr from 'proxy-addr';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { type RequestContext } from '../common/request-context';
import { clientKey } from '../common/rate-limit';
import { apiKeyFromHeaders } from './context';
import { classifyError, toPublicError } from './format-error';
import type { OriginAccess } from '../business/business.origins';
import { isSameOrigin, mayConnect } from './origins';

export interface WebSocketOptions {
  schema: GraphQLSchema;
  path: string;
  /** The server's public base URL for a socket's request (PUBLIC_URL, or its Host). */
  publicBaseUrl: (request: IncomingMessage) => string;
  /** The origin rule: the upgrade is refused for pages no business and no operator lists. */
  origins: Pick<OriginAccess, 'mayConnect'>;
  logger: Logger;
  metrics: Metrics;
  isProduction: boolean;
  trustProxy: number;
  /** Largest message a client may send, in bytes. */
  maxPayloadBytes?: number;
  /** Subscriptions one socket may hold at once. */
  maxSubscriptionsPerSocket?: number;
  /** Open sockets one client address (an IPv6 /64, see clientKey) may hold (WS_MAX_SOCKETS_PER_CLIENT). */
  maxSocketsPerClient?: number;
  /**
   * Subscription root fields whose result for an event cannot differ per subscriber (no
   * context, no per-caller auth): an event fanned out to many sockets is executed once.
   */
  sharedSubscriptionFields?: readonly string[];
  /**
   * Tells when the API key a socket authenticated with is revoked (ApiKeyService.watch); the
   * socket is then closed with 4403, ending every subscription it holds.
   */
  watchKey?: (secret: string, onRevoked: () => void) => () => void;
  /**
   * Parses and validates a document with the same limits and introspection policy as HTTP
   * (server/graphql-hardening.ts); returns the document or the errors to send.
   */
  prepareOperation?: (schema: GraphQLSchema, query: string, apiKey: string | null) => Promise<DocumentNode | readonly GraphQLError[]>;
}

type Extra = { socket: WebSocket; request: IncomingMessage };

/** Results already computed for one event object, by operation (document, name, variables). */
const sharedResults = new WeakMap<object, Map<string, Promise<ExecutionResult>>>();
const documentKeys = new WeakMap<DocumentNode, number>();
let nextDocumentKey = 0;

function operationKey(args: ExecutionArgs): string {
  let doc = documentKeys.get(args.document);
  if (doc === undefined) documentKeys.set(args.document, (doc = nextDocumentKey++));
  return `${doc}\0${args.operationName ?? ''}\0${JSON.stringify(args.variableValues ?? {})}`;
}

/**
 * graphql's `subscribe` (the source stream, then `execute` per event with the event as root
 * value, as graphql-js does), except that an event object delivered to several subscriptions
 * of the same operation — a reply chunk the hub fans out to every socket following the reply —
 * is executed once and every subscriber gets that result. Only for root fields whose result
 * cannot differ per subscriber (`sharedFields`: no context, no per-caller auth); any other
 * subscription executes per subscriber as before. Documents are shared by the hardening's
 * cache, so subscribers sending the same text share a key.
 */
async function sharedSubscribe(args: ExecutionArgs, sharedFields: ReadonlySet<string>): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
  const operation = getOperationAST(args.document, args.operationName);
  const fields = operation?.selectionSet.selections ?? [];
  const shareable = fields.length > 0 && fields.every((f) => f.kind === Kind.FIELD && sharedFields.has(f.name.value));
  const source = await createSourceEventStream(args);
  if (!(Symbol.asyncIterator in source)) return source;
  const events = source as AsyncIterableIterator<unknown>;
  const key = shareable ? operationKey(args) : null;
  const run = (event: unknown): Promise<ExecutionResult> => Promise.resolve(execute({ ...args, rootValue: event }));
  const resultOf = (event: unknown): Promise<ExecutionResult> => {
    if (key === null || typeof event !== 'object' || event === null) return run(event);
    let byOperation = sharedResults.get(event);
    if (!byOperation) sharedResults.set(event, (byOperation = new Map()));
    let result = byOperation.get(key);
    if (!result) byOperation.set(key, (result = run(event)));
    return result;
  };
  const iterator: AsyncIterableIterator<ExecutionResult> & { throw(err: unknown): Promise<IteratorResult<ExecutionResult>> } = {
    async next() {
      const r = await events.next();
      return r.done ? { value: undefined, done: true } : { value: await resultOf(r.value), done: false };
    },
    async return() {
      await events.return?.();
      return { value: undefined, done: true };
    },
    async throw(err: unknown) {
      if (events.throw) await events.throw(err);
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
  return iterator;
}

interface RunningOperation {
  requestId: string;
  operationName?: string;
  startedAt: number;
  errorCodes: string[];
}

function newOperation(operationName: string | null | undefined): RunningOperation {
  return { requestId: randomUUID(), operationName: operationName ?? undefined, startedAt: performance.now(), errorCodes: [] };
}

/**
 * graphql-ws (graphql-transport-ws) on a `ws` server that shares the HTTP port. The Origin
 * header is checked at the upgrade, before graphql-ws sees the socket: a browser page from
 * an origin outside the allow-list gets 403 and no handshake.
 */
export class GraphQLWebSocketServer {
  private readonly wss: WebSocketServer;
  private readonly disposable: { dispose: () => void | Promise<void> };
  /** Operations running on each socket, by graphql-ws operation id. */
  private readonly operations = new WeakMap<WebSocket, Map<string, RunningOperation>>();
  /** Open sockets per client key (this process only). */
  private readonly socketsPerClient = new Map<string, number>();

  constructor(private readonly options: WebSocketOptions) {
    this.wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayloadBytes ?? 64 * 1024 });
    const maxSubs = options.maxSubscriptionsPerSocket ?? 20;
    const shared = new Set(options.sharedSubscriptionFields ?? []);
    const trust = (_addr: string, hop: number) => hop < options.trustProxy;
    const format = (errors: readonly GraphQLError[], op?: RunningOperation) =>
      errors.map((e) => {
        const formatted = toPublicError(e.toJSON(), e, options.isProduction);
        const code = String(formatted.extensions?.code);
        options.metrics.graphqlErrors.inc({ code });
        op?.errorCodes.push(code);
        return formatted as never;
      });

    this.wss.on('connection', (socket) => {
      options.metrics.openSockets.inc();
      socket.once('close', () => options.metrics.openSockets.dec());
    });

    this.disposable = useServer<Record<string, unknown>, Extra>(
      {
        schema: options.schema,
        connectionInitWaitTimeout: 3_000,
        subscribe: (args: ExecutionArgs) => sharedSubscribe(args, shared),
        onConnect: (ctx: Context<Record<string, unknown>, Extra>) => {
          const key = apiKeyFromHeaders(ctx.connectionParams ?? {});
          if (!key || !options.watchKey) return true;
          const socket = ctx.extra.socket;
          const stop = options.watchKey(key, () => {
            options.logger.info('websocket closed: its api key was revoked');
            socket.close(4403, 'API key revoked');
          });
          socket.once('close', stop);
          return true;
        },
        context: (ctx: Context<Record<string, unknown>, Extra>, id: string) => {
          const params = ctx.connectionParams ?? {};
          const requestId = this.operations.get(ctx.extra.socket)?.get(id)?.requestId ?? randomUUID();
          const base: RequestContext = {
            requestId,
            logger: options.logger.child({ requestId, transport: 'ws' }),
            transport: 'ws',
            clientIp: proxyAddr(ctx.extra.request, trust),
            origin: typeof ctx.extra.request.headers.origin === 'string' ? ctx.extra.request.headers.origin : null,
            sameOrigin: isSameOrigin(ctx.extra.request.headers.origin, ctx.extra.request.headers.host),
            publicBaseUrl: options.publicBaseUrl(ctx.extra.request),
            apiKey: apiKeyFromHeaders(params),
            meta: { errorCodes: [] },
          };
          return base;
        },
        // Parse and validate here, so that only operations that will run are counted. (When
        // graphql-ws validates, an invalid document ends without onComplete, and the count
        // and the active-subscriptions gauge would never come down.)
        onSubscribe: async (ctx, id, payload) => {
          const socket = ctx.extra.socket;
          const running = this.operations.get(socket) ?? new Map<string, RunningOperation>();
          this.operations.set(socket, running);
          // Returned raw: graphql-ws hands them to onError, which formats them once.
          const reject = (errors: readonly GraphQLError[]) => {
            running.delete(id);
            const op = newOperation(payload.operationName);
            op.errorCodes.push(...errors.map((e) => classifyError(e, options.isProduction).code));
            this.logOperation(op, 'rejected');
            return errors;
          };
          if (running.size >= maxSubs) {
            return reject([
              new GraphQLError(`At most ${maxSubs} operations may run on one socket`, {
                extensions: { code: 'RATE_LIMITED', retryAfterSeconds: 1 },
              }),
            ]);
          }
          // Reserve the slot before any await: operations arriving together must not all see the old count.
          const op = newOperation(payload.operationName);
          running.set(id, op);
          let document: DocumentNode;
          if (options.prepareOperation) {
            let prepared: DocumentNode | readonly GraphQLError[];
            try {
              prepared = await options.prepareOperation(options.schema, payload.query, apiKeyFromHeaders(ctx.connectionParams ?? {}));
            } catch (err) {
              running.delete(id);
              throw err;
            }
            if (Array.isArray(prepared)) return reject(prepared as readonly GraphQLError[]);
            document = prepared as DocumentNode;
          } else {
            try {
              document = parse(payload.query);
            } catch (err) {
              return reject([err instanceof GraphQLError ? err : new GraphQLError('Syntax error')]);
            }
            const errors = validate(options.schema, document);
            if (errors.length > 0) return reject(errors);
          }
          const operation = getOperationAST(document, payload.operationName);
          if (!operation) return reject([new GraphQLError('Unable to identify the operation')]);
          op.operationName ??= operation.name?.value;
          options.metrics.activeSubscriptions.inc();
          // Already validated: graphql-ws executes these arguments as they are.
          return { schema: options.schema, document, operationName: payload.operationName, variableValues: payload.variables };
        },
        onComplete: (ctx, id) => {
          const running = this.operations.get(ctx.extra.socket);
          const op = running?.get(id);
          if (!op) return;
          running?.delete(id);
          options.metrics.activeSubscriptions.dec();
          this.logOperation(op, op.errorCodes.length ? 'graphql_error' : 'ok');
        },
        onNext: (ctx, id, _payload, _args, result) => {
          if (!('errors' in result) || !result.errors?.length) return undefined;
          return { ...result, errors: format(result.errors, this.operations.get(ctx.extra.socket)?.get(id)) };
        },
        onError: (ctx, id, _payload, errors) => format(errors, this.operations.get(ctx.extra.socket)?.get(id)),
      },
      this.wss,
    );
  }

  /** One log line per WebSocket operation, like the HTTP request line (never its params). */
  private logOperation(op: RunningOperation, outcome: 'ok' | 'graphql_error' | 'rejected'): void {
    this.options.logger.info('operation', {
      requestId: op.requestId,
      transport: 'ws',
      operationName: op.operationName,
      durationMs: Math.round((performance.now() - op.startedAt) * 10) / 10,
      outcome,
      errorCodes: op.errorCodes.length ? op.errorCodes : undefined,
    });
  }

  /** Wired to the HTTP server's `upgrade` event. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname !== this.options.path) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const origin = request.headers.origin;
    if (!mayConnect(this.options.origins, origin, request.headers.host)) {
      this.options.logger.warn('websocket upgrade refused', { reason: 'origin not allowed', origin });
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    // At most maxSocketsPerClient open sockets per client address, counted from the completed
    // handshake (ws calls back synchronously, so upgrades arriving together cannot all slip
    // under the count) to the socket's close.
    const max = this.options.maxSocketsPerClient ?? Infinity;
    const key = clientKey(proxyAddr(request, (_addr: string, hop: number) => hop < this.options.trustProxy));
    if ((this.socketsPerClient.get(key) ?? 0) >= max) {
      this.options.logger.warn('websocket upgrade refused', { reason: 'too many sockets from one client', max });
      socket.end('HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\nRetry-After: 10\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(request, socket, head, (ws) => {
      this.socketsPerClient.set(key, (this.socketsPerClient.get(key) ?? 0) + 1);
      ws.once('close', () => {
        const left = (this.socketsPerClient.get(key) ?? 1) - 1;
        if (left > 0) this.socketsPerClient.set(key, left);
        else this.socketsPerClient.delete(key);
      });
      this.wss.emit('connection', ws, request);
    });
  }

  get socketCount(): number {
    return this.wss.clients.size;
  }

  /**
   * Lets open sockets finish for up to `graceMs`, then closes the rest with 1001 (going away).
   */
  async close(graceMs: number): Promise<void> {
    const deadline = Date.now() + graceMs;
    while (this.wss.clients.size > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, Math.min(100, Math.max(1, deadline - Date.now()))));
    }
    for (const client of this.wss.clients) client.close(1001, 'Server shutting down');
    await this.disposable.dispose();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}
