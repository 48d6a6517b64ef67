import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { fastifyApolloHandler } from '@as-integrations/fastify';
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { DocumentNode, GraphQLError, GraphQLSchema, ParseOptions, ValidationRule } from 'graphql';
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import type { AppConfig } from '../config/config';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { type RequestContext, type RequestMeta } from '../common/request-context';
import { apiKeyFromHeaders } from './context';
import { classifyError, toPublicError } from './format-error';
import type { HealthService } from './health';
import type { OriginAccess } from '../business/business.origins';
import { isSameOrigin } from './origins';
import { PLAYGROUND_HTML, playgroundAsset, wantsPlayground } from './playground';
import { GraphQLWebSocketServer } from './websocket';
import { registerMultipartUploads } from './multipart';
import { registerWidgetRoutes, requestBaseUrl } from './widget';
import type { BusinessProfile } from '../business/business.profile';

declare module 'fastify' {
  interface FastifyRequest {
    gqlMeta?: RequestMeta;
  }
}

export const GRAPHQL_PATH = '/graphql';

export interface HttpServerOptions {
  config: AppConfig;
  schema: GraphQLSchema;
  logger: Logger;
  metrics: Metrics;
  health: HealthService;
  /** The origin rule (ALLOWED_ORIGINS and every business's allowedOrigins). */
  origins: OriginAccess;
  /** Business lookups for the demo page (the in-process business cache). */
  businesses: { get(id: string): Promise<BusinessProfile | null> };
  /** Extra Apollo plugins (query limits, introspection policy). */
  apolloPlugins?: ApolloServerPlugin<RequestContext>[];
  /** Extra validation rules for HTTP operations (query limits). */
  validationRules?: ValidationRule[];
  /** Options of graphql-js's parser for HTTP operations (the token limit). */
  parseOptions?: ParseOptions;
  /** Parses and validates WebSocket operations with the same limits (see GraphQLWebSocketServer). */
  prepareWsOperation?: (schema: GraphQLSchema, query: string, apiKey: string | null) => Promise<DocumentNode | readonly GraphQLError[]>;
  /** Revocation of the key a WebSocket authenticated with closes it (ApiKeyService.watch). */
  watchKey?: (secret: string, onRevoked: () => void) => () => void;
}

export interface HttpServer {
  fastify: FastifyInstance;
  apollo: ApolloServer<RequestContext>;
  ws: GraphQLWebSocketServer;
  close(): Promise<void>;
}

/** Records the operation name and error codes of a request for its log line and metrics. */
function requestMetaPlugin(metrics: Metrics, isProduction: boolean): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ contextValue, operationName }) {
          contextValue.meta.operationName = operationName ?? undefined;
        },
        async didEncounterErrors({ contextValue, errors }) {
          for (const error of errors) {
            const c = classifyError(error, isProduction);
            contextValue.meta.errorCodes.push(c.code);
            metrics.graphqlErrors.inc({ code: c.code });
            if (c.unexpected) {
              contextValue.logger.error('unexpected error', {
                operationName: contextValue.meta.operationName,
                error: error.originalError?.stack ?? error.stack ?? error.message,
              });
            }
          }
        },
      };
    },
  };
}

/**
 * Fastify 5 + Apollo Server 5 + graphql-ws, all on one port at /graphql, with health,
 * readiness, metrics and the in-browser IDE. Built, never listened: `main.ts` listens.
 */
export async function createHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const { config, schema, logger, metrics, health } = options;
  const origins = options.origins;

  const fastify = Fastify({
    logger: false,
    bodyLimit: config.bodyLimitBytes,
    trustProxy: (_address: string, hop: number) => hop < config.trustProxy,
    genReqId: () => randomUUID(),
    // Requests in flight finish on close; idle keep-alive sockets are dropped at once.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    // REQUEST_TIMEOUT_MS bounds receiving a request, headers and body (Fastify's default 0 would
    // switch Node's own bound off): a slowloris that trickles headers or a body is answered 408
    // and cut. Node checks its connections every connectionsCheckingInterval, so a request is
    // cut between 1× and 1.25× the timeout. The response itself is not bounded here (a `chat`
    // mutation waits for the whole reply); idle keep-alive sockets close after keepAliveTimeout.
    requestTimeout: config.requestTimeoutMs,
    http: {
      requestTimeout: config.requestTimeoutMs,
      headersTimeout: Math.min(60_000, config.requestTimeoutMs),
      connectionsCheckingInterval: Math.min(30_000, Math.max(50, Math.floor(config.requestTimeoutMs / 4))),
    },
  });

  // Security headers on every route (nosniff, frame-ancestors, referrer policy, HSTS, …) and one
  // CSP for everything we serve: our own scripts only (the Playground loads GraphiQL from
  // /playground/*, no inline script), inline styles allowed (GraphiQL and CodeMirror set them),
  // same-origin fetch and WebSocket, never framed. Routes with needs of their own (widget.js:
  // cross-origin resource policy; /widget/demo: its CSP) set their headers and override these.
  await fastify.register(helmet, {
    global: true,
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        workerSrc: ["'self'", 'blob:'],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    // The API answers cross-origin widget requests (CORS decides who); this header only
    // concerns no-cors loads, which the widget script needs from other sites.
    crossOriginResourcePolicy: { policy: 'same-site' },
  });

  await fastify.register(cors, {
    // Preflights name no business: every origin that could be allowed something gets through;
    // the answer to the operation itself loses the header when its business refuses the page.
    origin: (origin, cb) => cb(null, origin !== undefined && origins.mayConnect(origin)),
    methods: ['GET', 'POST', 'OPTIONS'],
    allowedHeaders: ['content-type', 'x-api-key', 'authorization', 'apollo-require-preflight', 'x-apollo-operation-name', 'x-request-id'],
    maxAge: 600,
  });

  fastify.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const durationMs = reply.elapsedTime;
    metrics.httpRequestDuration.observe({ method: request.method, route, status: String(reply.statusCode) }, durationMs / 1000);
    if (route === '/healthz' || route === '/readyz' || route === '/metrics' || route === '/widget.js' || route.startsWith('/playground')) return;
    const meta = request.gqlMeta;
    logger.info('request', {
      requestId: request.id,
      method: request.method,
      path: request.url.split('?')[0],
      status: reply.statusCode,
      durationMs: Math.round(durationMs * 10) / 10,
      operationName: meta?.operationName,
      outcome: reply.statusCode >= 500 ? 'error' : meta?.errorCodes.length ? 'graphql_error' : reply.statusCode >= 400 ? 'rejected' : 'ok',
      errorCodes: meta?.errorCodes.length ? meta.errorCodes : undefined,
    });
  });

  fastify.addHook('onSend', async (request, reply, payload) => {
    if (request.gqlMeta?.originRefused) reply.removeHeader('access-control-allow-origin');
    return payload;
  });

  // GraphQL multipart requests (voice uploads); the file streams on into its resolver.
  registerMultipartUploads(fastify, { maxFieldBytes: 64 * 1024, maxFileBytes: config.voice.maxAudioBytes });

  // A response sent before its request body has fully arrived (an upload refused midway: too
  // large, wrong session, rate limited) closes the connection: Node would otherwise read and
  // drop the rest of the body to keep the socket alive, however large it is. The client reads
  // the answer, then the socket is closed; what it still sends is not read.
  fastify.addHook('onSend', async (request, reply, payload) => {
    if (!request.raw.complete && !reply.raw.headersSent) void reply.header('connection', 'close');
    return payload;
  });

  // Errors Fastify raises before GraphQL runs (body too large, bad JSON, unsupported media
  // type) still answer in GraphQL's error shape with a contract code.
  fastify.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode ?? 500;
    let code = 'INTERNAL_SERVER_ERROR';
    let message = config.isProduction ? 'Internal server error' : error.message;
    if (status === 413) {
      code = 'PAYLOAD_TOO_LARGE';
      message = `Request body exceeds ${config.bodyLimitBytes} bytes`;
    } else if (status >= 400 && status < 500) {
      code = 'BAD_USER_INPUT';
      message = error.message;
    } else {
      logger.error('unhandled HTTP error', { requestId: request.id, error: error.stack ?? error.message });
    }
    void reply.code(status).type('application/json').send({ errors: [{ message, extensions: { code } }] });
  });

  const ws = new GraphQLWebSocketServer({
    schema,
    path: GRAPHQL_PATH,
    origins,
    logger,
    metrics,
    isProduction: config.isProduction,
    trustProxy: config.trustProxy,
    maxSocketsPerClient: config.wsMaxSocketsPerClient,
    prepareOperation: options.prepareWsOperation,
    // A reply chunk's result is the same for every socket following the reply.
    sharedSubscriptionFields: ['replyStream'],
    watchKey: options.watchKey,
    publicBaseUrl: (request) => {
      if (config.publicUrl) return config.publicUrl;
      // As Fastify derives it for HTTP: X-Forwarded-* only through trusted proxies.
      const forwarded = (name: string) => (config.trustProxy > 0 ? String(request.headers[name] ?? '').split(',')[0].trim() : '');
      const encrypted = 'encrypted' in request.socket && Boolean(request.socket.encrypted);
      const proto = forwarded('x-forwarded-proto') || (encrypted ? 'https' : 'http');
      return `${proto}://${forwarded('x-forwarded-host') || request.headers.host || 'localhost'}`;
    },
  });

  const apollo = new ApolloServer<RequestContext>({
    schema,
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    // Apollo would otherwise stop itself on SIGTERM while main.ts is still draining, failing
    // in-flight requests with "Cannot execute GraphQL operations after the server has stopped".
    stopOnTerminationSignals: false,
    // Apollo's own warnings go through our JSON logger, not console.
    logger: {
      debug: (message: unknown) => logger.debug(String(message), { component: 'apollo' }),
      info: (message: unknown) => logger.info(String(message), { component: 'apollo' }),
      warn: (message: unknown) => logger.warn(String(message), { component: 'apollo' }),
      error: (message: unknown) => logger.error(String(message), { component: 'apollo' }),
    },
    validationRules: options.validationRules,
    parseOptions: options.parseOptions,
    includeStacktraceInErrorResponses: !config.isProduction,
    // Introspection is decided per request by the policy plugin (admins only in production).
    introspection: true,
    formatError: (formatted, error) => toPublicError(formatted, error, config.isProduction),
    plugins: [ApolloServerPluginLandingPageDisabled(), requestMetaPlugin(metrics, config.isProduction), ...(options.apolloPlugins ?? [])],
  });
  await apollo.start();

  const graphqlHandler = fastifyApolloHandler<RequestContext>(apollo, {
    context: async (request: FastifyRequest, reply: FastifyReply) => {
      const meta: RequestMeta = { errorCodes: [] };
      // The response closing before it finished means the client went away.
      const aborter = new AbortController();
      reply.raw.once('close', () => {
        if (!reply.raw.writableFinished) aborter.abort();
      });
      request.gqlMeta = meta;
      const ctx: RequestContext = {
        requestId: request.id,
        logger: logger.child({ requestId: request.id }),
        transport: 'http',
        clientIp: request.ip,
        origin: typeof request.headers.origin === 'string' ? request.headers.origin : null,
        sameOrigin: isSameOrigin(request.headers.origin, request.headers.host),
        publicBaseUrl: requestBaseUrl(config, request),
        apiKey: apiKeyFromHeaders(request.headers),
        signal: aborter.signal,
        meta,
      };
      return ctx;
    },
  });

  fastify.route({
    method: ['GET', 'POST'],
    url: GRAPHQL_PATH,
    handler: async (request, reply) => {
      if (wantsPlayground(request.method, request.headers.accept, request.query)) {
        return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(PLAYGROUND_HTML);
      }
      return graphqlHandler.call(fastify, request as never, reply as never);
    },
  });

  fastify.get<{ Params: { asset: string } }>('/playground/:asset', async (request, reply) => {
    const asset = playgroundAsset(request.params.asset);
    if (!asset) return reply.code(404).send({ error: 'not found' });
    return reply.type(asset.type).header('cache-control', 'public, max-age=3600').send(asset.body);
  });

  registerWidgetRoutes(fastify, { config, logger, businesses: options.businesses });

  fastify.get('/healthz', async () => ({ status: 'ok' }));

  fastify.get('/readyz', async (_request, reply) => {
    const report = await health.readiness();
    return reply.code(report.ready ? 200 : 503).send({
      status: report.ready ? 'ready' : 'unavailable',
      checks: report.checks,
      failed: report.failed,
      closing: report.closing || undefined,
    });
  });

  // /metrics reads cached gauges (HealthService polls the stores on an interval): a scrape costs
  // no store round trip. With METRICS_TOKEN set it needs `Authorization: Bearer <token>`.
  const tokenDigest = config.metricsToken ? createHash('sha256').update(config.metricsToken).digest() : null;
  health.startPolling();
  fastify.get('/metrics', async (request, reply) => {
    if (tokenDigest) {
      const header = request.headers.authorization ?? '';
      const given = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim() ?? '';
      const ok = given !== '' && timingSafeEqual(createHash('sha256').update(given).digest(), tokenDigest);
      if (!ok) return reply.code(401).header('www-authenticate', 'Bearer realm="metrics"').type('text/plain; charset=utf-8').send('unauthorized\n');
    }
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  fastify.server.on('upgrade', (request, socket, head) => ws.handleUpgrade(request, socket, head));

  return {
    fastify,
    apollo,
    ws,
    async close() {
      health.markClosing();
      health.stopPolling();
      // In-flight requests get the grace period; what is still open then is cut.
      const force = setTimeout(() => fastify.server.closeAllConnections(), config.shutdownGraceMs);
      try {
        await Promise.all([fastify.close(), ws.close(config.shutdownGraceMs)]);
      } finally {
        clearTimeout(force);
      }
      await apollo.stop();
    },
  };
}
