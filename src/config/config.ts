import { z } from 'zod';
import { parseAllowList } from '../outbound/address-policy';

/**
 * Environment → typed, validated configuration. This is the only module that reads
 * `process.env`; everything else receives a {@link AppConfig}.
 */

const RATE_RE = /^(\d+)\/(second|minute|hour)$/;
const HEX64 = /^[0-9a-f]{64}$/;

const csv = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);

const intFrom = (min: number, max: number) =>
  z.coerce.number({ invalid_type_error: 'must be a number' }).int('must be an integer').min(min).max(max);

const rawSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: intFrom(0, 65535).default(4000),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATABASE_URL: z.string().url('must be a postgres:// URL').optional(),
  DB_POOL_MIN: intFrom(0, 100).default(0),
  DB_POOL_MAX: intFrom(1, 200).default(10),
  DB_POOL_IDLE_MS: intFrom(1000, 3_600_000).default(30_000),
  DB_POOL_ACQUIRE_MS: intFrom(100, 120_000).default(5_000),
  REDIS_URL: z.string().url('must be a redis:// URL').optional(),
  REDIS_KEY_PREFIX: z.string().regex(/^[A-Za-z0-9:_-]*$/, 'letters, digits, ":", "_" and "-" only').default('concierge:'),
  REDIS_CONNECT_TIMEOUT_MS: intFrom(100, 60_000).default(5_000),
  REDIS_COMMAND_TIMEOUT_MS: intFrom(50, 60_000).default(2_000),
  ALLOWED_ORIGINS: z.string().optional(),
  ADMIN_API_KEY_HASHES: z.string().optional(),
  LLM_PROVIDER: z.enum(['gemini', 'offline']).optional(),
  GEMINI_API_KEY: z.string().min(1).optional(),
  GEMINI_MODEL: z.string().min(1).default('gemini-2.5-flash'),
  GEMINI_BASE_URL: z.string().url('must be an http(s) URL').optional(),
  /** Embedding model for semantic retrieval (used when Gemini is the provider). */
  GEMINI_EMBEDDING_MODEL: z.string().min(1).default('gemini-embedding-001'),
  GEMINI_TIMEOUT_MS: intFrom(1000, 600_000).default(30_000),
  GEMINI_MAX_RETRIES: intFrom(0, 10).default(2),
  // Tests set a few seconds; production keeps at least a minute (checked below).
  SESSION_TTL_SECONDS: intFrom(1, 365 * 86_400).default(604_800),
  REPLY_STREAM_TTL_SECONDS: intFrom(10, 7 * 86_400).default(3_600),
  REPLY_INTERRUPT_SECONDS: intFrom(1, 600).default(15),
  REPLY_COALESCE_MS: intFrom(0, 1000).default(10),
  REPLY_COALESCE_CHARS: intFrom(1, 65_536).default(256),
  MAX_HISTORY_TURNS: intFrom(1, 200).default(10),
  RATE_LIMIT_CHAT: z
    .string()
    .regex(new RegExp(`${RATE_RE.source}|^off$`), 'must be N/second, N/minute, N/hour or off')
    .default('5/minute'),
  RATE_LIMIT_NAVIGATION: z
    .string()
    .regex(new RegExp(`${RATE_RE.source}|^off$`), 'must be N/second, N/minute, N/hour or off')
    .default('60/minute'),
  RATE_LIMIT_SESSION: z
    .string()
    .regex(new RegExp(`${RATE_RE.source}|^off$`), 'must be N/second, N/minute, N/hour or off')
    .default('30/hour'),
  RATE_LIMIT_AUTH_FAILURES: z
    .string()
    .regex(new RegExp(`${RATE_RE.source}|^off$`), 'must be N/second, N/minute, N/hour or off')
    .default('20/minute'),
  // A session the visitor never wrote in lives this long (startSession floods expire soon).
  SESSION_UNUSED_TTL_SECONDS: intFrom(1, 365 * 86_400).default(1_800),
  REQUEST_TIMEOUT_MS: intFrom(100, 3_600_000).default(30_000),
  WS_MAX_SOCKETS_PER_CLIENT: intFrom(1, 10_000).default(20),
  GEMINI_MAX_OUTPUT_TOKENS: intFrom(16, 65_536).default(1_024),
  FFMPEG_MAX_CONCURRENCY: intFrom(1, 64).default(2),
  TRUST_PROXY: intFrom(0, 10).default(0),
  LOG_LEVEL: z.enum(['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly']).default('info'),
  WEB_CONCURRENCY: intFrom(1, 64).default(1),
  BODY_LIMIT_BYTES: intFrom(1024, 100 * 1024 * 1024).default(2 * 1024 * 1024),
  SHUTDOWN_GRACE_MS: intFrom(0, 120_000).default(10_000),
  MAX_AUDIO_BYTES: intFrom(1024, 200 * 1024 * 1024).default(10 * 1024 * 1024),
  MAX_AUDIO_SECONDS: intFrom(1, 3600).default(120),
  FFMPEG_PATH: z.string().min(1).optional(),
  FFMPEG_TIMEOUT_MS: intFrom(1000, 600_000).default(30_000),
  POCKETSPHINX_PATH: z.string().min(1).default('pocketsphinx_continuous'),
  VOICE_TEMP_DIR: z.string().min(1).optional(),
  VOICE_WORKER_THRESHOLD_BYTES: intFrom(0, 1024 * 1024 * 1024).default(2 * 1024 * 1024),
  VOICE_AUDIO_TTL_SECONDS: intFrom(60, 86_400).default(3_600),
  JOB_DRIVER: z.enum(['bullmq', 'inline']).default('bullmq'),
  JOB_ATTEMPTS: intFrom(1, 20).default(3),
  JOB_BACKOFF_MS: intFrom(0, 600_000).default(2_000),
  // The knowledge queue's concurrency; JOB_CONCURRENCY is its older name (read when the new one is unset).
  JOB_CONCURRENCY: intFrom(1, 32).optional(),
  JOB_KNOWLEDGE_CONCURRENCY: intFrom(1, 32).optional(),
  JOB_VOICE_CONCURRENCY: intFrom(1, 32).default(2),
  KNOWLEDGE_MAX_DOCUMENT_BYTES: intFrom(1024, 50 * 1024 * 1024).default(2 * 1024 * 1024),
  KNOWLEDGE_MAX_FILE_BYTES: intFrom(1024, 100 * 1024 * 1024).default(10 * 1024 * 1024),
  KNOWLEDGE_MAX_PDF_PAGES: intFrom(1, 10_000).default(300),
  KNOWLEDGE_EXTRACT_TIMEOUT_MS: intFrom(100, 600_000).default(20_000),
  KNOWLEDGE_MAX_DOCUMENTS: intFrom(1, 10_000_000).default(5_000),
  KNOWLEDGE_MAX_BYTES: intFrom(1024, 100 * 1024 * 1024 * 1024).default(200 * 1024 * 1024),
  CRAWL_CONCURRENCY: intFrom(1, 8).default(3),
  CRAWL_MAX_DEPTH: intFrom(0, 20).default(4),
  CRAWL_MAX_SECONDS: intFrom(1, 86_400).default(600),
  CRAWL_REQUEST_TIMEOUT_MS: intFrom(100, 120_000).default(10_000),
  CRAWL_MAX_PAGE_BYTES: intFrom(1024, 50 * 1024 * 1024).default(2 * 1024 * 1024),
  CRAWL_RETRIES: intFrom(0, 10).default(2),
  CRAWL_USER_AGENT: z.string().min(1).default('WarmProspectConciergeBot/0.1'),
  OUTBOUND_ALLOW_HOSTS: z.string().optional(),
  METRICS_TOKEN: z
    .string()
    .optional()
    .refine((v) => !v || v.length >= 16, 'must be at least 16 characters (or empty: /metrics public)'),
  PUBLIC_URL: z.string().optional(),
  WORKER_METRICS_PORT: intFrom(0, 65535).optional(),
  WEBHOOK_TIMEOUT_MS: intFrom(100, 120_000).default(10_000),
  WEBHOOK_MAX_ATTEMPTS: intFrom(1, 50).default(8),
  WEBHOOK_BACKOFF_MS: intFrom(10, 86_400_000).default(30_000),
  WEBHOOK_SECRET_KEY: z.string().optional(),
  // Minutes, decimals allowed (tests end conversations after a fraction of a second).
  CONVERSATION_IDLE_MINUTES: z.coerce.number({ invalid_type_error: 'must be a number' }).positive('must be more than 0').max(7 * 24 * 60).default(30),
  CONVERSATION_RETENTION_DAYS: intFrom(1, 3650).default(90),
});

/** Every environment variable the server reads (docs/API.md's table and .env.example list them all). */
export const CONFIG_VARIABLES = Object.keys(rawSchema.shape) as ReadonlyArray<keyof typeof rawSchema.shape>;

export type NodeEnv = 'development' | 'production' | 'test';

export interface RateLimitConfig {
  points: number;
  durationSeconds: number;
}

export interface AppConfig {
  env: NodeEnv;
  isProduction: boolean;
  port: number;
  host: string;
  databaseUrl: string;
  dbPool: { min: number; max: number; idleTimeoutMillis: number; acquireTimeoutMillis: number };
  redisUrl: string;
  redisKeyPrefix: string;
  redisConnectTimeoutMs: number;
  redisCommandTimeoutMs: number;
  allowedOrigins: string[];
  /**
   * The server's public base URL (`https://chat.example.com`, no trailing slash) for
   * `Business.embedSnippet` and the demo page; null: derived from each request.
   */
  publicUrl: string | null;
  /** sha256 hex digests of platform admin keys; a secret. */
  adminApiKeyHashes: string[];
  llm: {
    provider: 'gemini' | 'offline';
    /** A secret: never logged. */
    geminiApiKey?: string;
    geminiModel: string;
    geminiBaseUrl?: string;
    geminiEmbeddingModel: string;
    geminiTimeoutMs: number;
    /** Retries on 429/5xx before the first token. */
    geminiMaxRetries: number;
    /** `maxOutputTokens` of every reply and summary request. */
    geminiMaxOutputTokens: number;
  };
  /** Longest assistant reply stored and streamed, in characters (8 per output token). */
  maxReplyChars: number;
  sessionTtlSeconds: number;
  maxHistoryTurns: number;
  /** Lifetime of a reply's Redis Stream after its last write. */
  replyStreamTtlSeconds: number;
  /** A reply whose generator stopped heartbeating this long ends with INTERRUPTED. */
  replyInterruptSeconds: number;
  /**
   * Deltas after a reply's first wait at most this long (ms) to share one stream entry; 0: one
   * entry per delta (REPLY_COALESCE_MS).
   */
  replyCoalesceMs: number;
  /** A waiting batch of deltas is written once it holds this many characters (REPLY_COALESCE_CHARS). */
  replyCoalesceChars: number;
  /** null when rate limiting is `off`. */
  rateLimitChat: RateLimitConfig | null;
  /** Replies that need no model (CTA navigation, greetings); null: `off`. */
  rateLimitNavigation: RateLimitConfig | null;
  /** startSession per client; null: `off`. */
  rateLimitSession: RateLimitConfig | null;
  /** Requests with a wrong API key (and lookups of unknown business ids) per client; null: `off`. */
  rateLimitAuthFailures: RateLimitConfig | null;
  /** Lifetime of a session the visitor has not written in yet (≤ sessionTtlSeconds). */
  sessionUnusedTtlSeconds: number;
  /** Bound on receiving one HTTP request, body included (Node's requestTimeout). */
  requestTimeoutMs: number;
  /** Open WebSockets one client address (an IPv6 /64) may hold. */
  wsMaxSocketsPerClient: number;
  trustProxy: number;
  logLevel: string;
  webConcurrency: number;
  bodyLimitBytes: number;
  shutdownGraceMs: number;
  voice: {
    maxAudioBytes: number;
    maxAudioSeconds: number;
    /** FFMPEG_PATH; unset: an npm-shipped ffmpeg if installed, else `ffmpeg` on PATH. */
    ffmpegPath?: string;
    ffmpegTimeoutMs: number;
    /** ffmpeg processes one process runs at once; past it a voice message is SERVICE_UNAVAILABLE. */
    ffmpegMaxConcurrency: number;
    pocketsphinxPath: string;
    /** Root of the per-request private temp dirs; default `os.tmpdir()/concierge-voice`. */
    tempDir?: string;
    /** Uploads larger than this go to the worker (0 = always, a huge value = never). */
    workerThresholdBytes: number;
    /** Lifetime of audio parked in Redis for the worker. */
    audioTtlSeconds: number;
  };
  /**
   * Background jobs: `bullmq` (production, consumed by `npm run worker`) or `inline` (tests).
   * `concurrency`: jobs one worker process runs at once, per queue (knowledge jobs and voice
   * jobs have a queue each, so neither can starve the other).
   */
  jobs: { driver: 'bullmq' | 'inline'; attempts: number; backoffMs: number; concurrency: { knowledge: number; voice: number } };
  knowledge: {
    /** Largest document content accepted, in UTF-8 bytes. */
    maxDocumentBytes: number;
    /** `uploadKnowledgeFile`: largest file, most PDF pages, and the time bound of text extraction. */
    files: { maxBytes: number; maxPdfPages: number; extractTimeoutMs: number };
    /** Quota: documents one business may keep (crawled pages included). */
    maxDocuments: number;
    /** Quota: total stored content of one business's documents, in UTF-8 bytes. */
    maxBytes: number;
    crawl: {
      concurrency: number;
      maxDepth: number;
      maxSeconds: number;
      requestTimeoutMs: number;
      maxPageBytes: number;
      retries: number;
      userAgent: string;
    };
  };
  /** `METRICS_TOKEN`: when set, /metrics needs `Authorization: Bearer <token>`. A secret. */
  metricsToken?: string;
  /** `WORKER_METRICS_PORT`: the worker process serves its own /metrics here (on HOST); unset: none. */
  workerMetricsPort?: number;
  /** Requests to tenant-given URLs (src/outbound/). */
  outbound: {
    /**
     * `OUTBOUND_ALLOW_HOSTS` entries (host, host:port, host:*, IP, IP:port, CIDR), validated:
     * what may be reached although loopback, private, link-local or otherwise non-public, and
     * the extra ports. Empty: only public addresses on ports 80/443.
     */
    allowHosts: string[];
  };
  /** Webhook delivery (src/webhooks/). */
  webhooks: {
    /** Bound on one delivery attempt (connect, request, answer). */
    timeoutMs: number;
    /** Attempts before a delivery is FAILED. */
    maxAttempts: number;
    /** Delay before the second attempt; doubled for every further one. */
    backoffMs: number;
    /** WEBHOOK_SECRET_KEY's 32 bytes, which encrypt webhook secrets at rest; a secret. */
    secretKey?: Buffer;
  };
  /** Conversation records and analytics (src/analytics/). */
  conversations: {
    /** A conversation with no message for this long is ended by the worker. */
    idleMs: number;
    /** Conversation records older than this are erased by the worker. */
    retentionDays: number;
  };
}

/** Names of variables whose values must never be printed. */
export const SECRET_VARIABLES = ['GEMINI_API_KEY', 'ADMIN_API_KEY_HASHES', 'DATABASE_URL', 'REDIS_URL', 'WEBHOOK_SECRET_KEY', 'METRICS_TOKEN'] as const;

/** Thrown by {@link loadConfig}; `variable` names the offending variable. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    reason: string,
  ) {
    super(`Invalid configuration: ${variable} ${reason}`);
    this.name = 'ConfigError';
  }
}

const DEV_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/concierge';
const DEV_REDIS_URL = 'redis://127.0.0.1:6379';
const DEV_ORIGINS = 'http://localhost:4000';

export function parseRate(value: string, variable = 'RATE_LIMIT_CHAT'): RateLimitConfig | null {
  if (value === 'off') return null;
  const m = RATE_RE.exec(value);
  if (!m) throw new ConfigError(variable, 'must be N/second, N/minute, N/hour or off');
  const seconds = { second: 1, minute: 60, hour: 3600 }[m[2] as 'second' | 'minute' | 'hour'];
  return { points: Number(m[1]), durationSeconds: seconds };
}

/** PUBLIC_URL: an http(s) URL with no query or fragment; the trailing slash is dropped. */
function parsePublicUrl(value: string | undefined): string | null {
  if (!value?.trim()) return null;
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new ConfigError('PUBLIC_URL', `is not a URL: "${value}"`);
  }
  if (!['http:', 'https:'].includes(url.protocol) || url.search || url.hash) {
    throw new ConfigError('PUBLIC_URL', `must be an http(s) URL without query or fragment: "${value}"`);
  }
  return url.href.replace(/\/+$/, '');
}

/** WEBHOOK_SECRET_KEY: 32 bytes as 64 hex characters or base64 (44 characters). */
function parseSecretKey(value: string | undefined): Buffer | undefined {
  if (value === undefined) return undefined;
  const key = /^[0-9a-fA-F]{64}$/.test(value) ? Buffer.from(value, 'hex') : /^[A-Za-z0-9+/_-]{43}=?$/.test(value) ? Buffer.from(value, 'base64') : undefined;
  if (!key || key.length !== 32) throw new ConfigError('WEBHOOK_SECRET_KEY', 'must be 32 bytes, as 64 hex characters or base64 (openssl rand -base64 32)');
  return key;
}

function parseOrigins(value: string, isProduction: boolean): string[] {
  const origins = csv(value);
  for (const origin of origins) {
    if (origin === '*') {
      if (isProduction) throw new ConfigError('ALLOWED_ORIGINS', 'must not be "*" in production');
      continue;
    }
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      throw new ConfigError('ALLOWED_ORIGINS', `has an entry that is not an origin: "${origin}"`);
    }
    if (!['http:', 'https:'].includes(url.protocol) || url.origin !== origin.replace(/\/$/, '')) {
      throw new ConfigError('ALLOWED_ORIGINS', `has an entry that is not a bare http(s) origin: "${origin}"`);
    }
  }
  return origins.map((o) => o.replace(/\/$/, ''));
}

/**
 * Parses the environment once. Throws {@link ConfigError} naming the first invalid variable;
 * the message never contains a secret value.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  // Empty strings mean "unset", as in most .env tooling.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = rawSchema.safeParse(cleaned);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const variable = String(issue.path[0] ?? 'environment');
    const secret = (SECRET_VARIABLES as readonly string[]).includes(variable);
    throw new ConfigError(variable, secret ? 'is invalid' : issue.message);
  }
  const raw = parsed.data;
  const isProduction = raw.NODE_ENV === 'production';

  const required = (name: 'DATABASE_URL' | 'REDIS_URL' | 'ALLOWED_ORIGINS', devDefault: string): string => {
    const value = raw[name];
    if (value) return value;
    if (isProduction) throw new ConfigError(name, 'is required when NODE_ENV=production');
    return devDefault;
  };

  const databaseUrl = required('DATABASE_URL', DEV_DATABASE_URL);
  if (!/^postgres(ql)?:\/\//.test(databaseUrl)) throw new ConfigError('DATABASE_URL', 'must be a postgres:// URL');
  const redisUrl = required('REDIS_URL', DEV_REDIS_URL);
  if (!/^rediss?:\/\//.test(redisUrl)) throw new ConfigError('REDIS_URL', 'must be a redis:// or rediss:// URL');
  const allowedOrigins = parseOrigins(required('ALLOWED_ORIGINS', DEV_ORIGINS), isProduction);

  const publicUrl = parsePublicUrl(raw.PUBLIC_URL);

  const adminApiKeyHashes = csv(raw.ADMIN_API_KEY_HASHES).map((h) => h.toLowerCase());
  if (adminApiKeyHashes.some((h) => !HEX64.test(h))) {
    throw new ConfigError('ADMIN_API_KEY_HASHES', 'must be comma-separated sha256 hex digests (64 hex characters each)');
  }

  if (raw.NODE_ENV !== 'test' && raw.SESSION_TTL_SECONDS < 60) {
    throw new ConfigError('SESSION_TTL_SECONDS', 'must be at least 60');
  }
  if (raw.NODE_ENV !== 'test' && raw.REQUEST_TIMEOUT_MS < 1_000) {
    throw new ConfigError('REQUEST_TIMEOUT_MS', 'must be at least 1000');
  }

  const allowHosts = csv(raw.OUTBOUND_ALLOW_HOSTS);
  try {
    parseAllowList(allowHosts);
  } catch (err) {
    throw new ConfigError('OUTBOUND_ALLOW_HOSTS', `has an invalid entry: ${(err as Error).message}`);
  }

  const webhookSecretKey = parseSecretKey(raw.WEBHOOK_SECRET_KEY);

  const provider = raw.LLM_PROVIDER ?? (raw.GEMINI_API_KEY ? 'gemini' : 'offline');
  if (provider === 'gemini' && !raw.GEMINI_API_KEY) {
    throw new ConfigError('GEMINI_API_KEY', 'is required when LLM_PROVIDER=gemini');
  }

  return {
    env: raw.NODE_ENV,
    isProduction,
    port: raw.PORT,
    host: raw.HOST,
    databaseUrl,
    dbPool: {
      min: raw.DB_POOL_MIN,
      max: raw.DB_POOL_MAX,
      idleTimeoutMillis: raw.DB_POOL_IDLE_MS,
      acquireTimeoutMillis: raw.DB_POOL_ACQUIRE_MS,
    },
    redisUrl,
    redisKeyPrefix: raw.REDIS_KEY_PREFIX,
    redisConnectTimeoutMs: raw.REDIS_CONNECT_TIMEOUT_MS,
    redisCommandTimeoutMs: raw.REDIS_COMMAND_TIMEOUT_MS,
    allowedOrigins,
    publicUrl,
    adminApiKeyHashes,
    llm: {
      provider,
      geminiApiKey: raw.GEMINI_API_KEY,
      geminiModel: raw.GEMINI_MODEL,
      geminiBaseUrl: raw.GEMINI_BASE_URL,
      geminiEmbeddingModel: raw.GEMINI_EMBEDDING_MODEL,
      geminiTimeoutMs: raw.GEMINI_TIMEOUT_MS,
      geminiMaxRetries: raw.GEMINI_MAX_RETRIES,
      geminiMaxOutputTokens: raw.GEMINI_MAX_OUTPUT_TOKENS,
    },
    maxReplyChars: raw.GEMINI_MAX_OUTPUT_TOKENS * 8,
    sessionTtlSeconds: raw.SESSION_TTL_SECONDS,
    maxHistoryTurns: raw.MAX_HISTORY_TURNS,
    replyStreamTtlSeconds: raw.REPLY_STREAM_TTL_SECONDS,
    replyInterruptSeconds: raw.REPLY_INTERRUPT_SECONDS,
    replyCoalesceMs: raw.REPLY_COALESCE_MS,
    replyCoalesceChars: raw.REPLY_COALESCE_CHARS,
    rateLimitChat: parseRate(raw.RATE_LIMIT_CHAT),
    rateLimitNavigation: parseRate(raw.RATE_LIMIT_NAVIGATION, 'RATE_LIMIT_NAVIGATION'),
    rateLimitSession: parseRate(raw.RATE_LIMIT_SESSION, 'RATE_LIMIT_SESSION'),
    rateLimitAuthFailures: parseRate(raw.RATE_LIMIT_AUTH_FAILURES, 'RATE_LIMIT_AUTH_FAILURES'),
    // Never longer than the full lifetime a used session gets.
    sessionUnusedTtlSeconds: Math.min(raw.SESSION_UNUSED_TTL_SECONDS, raw.SESSION_TTL_SECONDS),
    requestTimeoutMs: raw.REQUEST_TIMEOUT_MS,
    wsMaxSocketsPerClient: raw.WS_MAX_SOCKETS_PER_CLIENT,
    trustProxy: raw.TRUST_PROXY,
    logLevel: raw.LOG_LEVEL,
    webConcurrency: raw.WEB_CONCURRENCY,
    bodyLimitBytes: raw.BODY_LIMIT_BYTES,
    shutdownGraceMs: raw.SHUTDOWN_GRACE_MS,
    voice: {
      maxAudioBytes: raw.MAX_AUDIO_BYTES,
      maxAudioSeconds: raw.MAX_AUDIO_SECONDS,
      ffmpegPath: raw.FFMPEG_PATH,
      ffmpegTimeoutMs: raw.FFMPEG_TIMEOUT_MS,
      ffmpegMaxConcurrency: raw.FFMPEG_MAX_CONCURRENCY,
      pocketsphinxPath: raw.POCKETSPHINX_PATH,
      tempDir: raw.VOICE_TEMP_DIR,
      workerThresholdBytes: raw.VOICE_WORKER_THRESHOLD_BYTES,
      audioTtlSeconds: raw.VOICE_AUDIO_TTL_SECONDS,
    },
    jobs: {
      driver: raw.JOB_DRIVER,
      attempts: raw.JOB_ATTEMPTS,
      backoffMs: raw.JOB_BACKOFF_MS,
      concurrency: { knowledge: raw.JOB_KNOWLEDGE_CONCURRENCY ?? raw.JOB_CONCURRENCY ?? 2, voice: raw.JOB_VOICE_CONCURRENCY },
    },
    knowledge: {
      maxDocumentBytes: raw.KNOWLEDGE_MAX_DOCUMENT_BYTES,
      files: { maxBytes: raw.KNOWLEDGE_MAX_FILE_BYTES, maxPdfPages: raw.KNOWLEDGE_MAX_PDF_PAGES, extractTimeoutMs: raw.KNOWLEDGE_EXTRACT_TIMEOUT_MS },
      maxDocuments: raw.KNOWLEDGE_MAX_DOCUMENTS,
      maxBytes: raw.KNOWLEDGE_MAX_BYTES,
      crawl: {
        concurrency: raw.CRAWL_CONCURRENCY,
        maxDepth: raw.CRAWL_MAX_DEPTH,
        maxSeconds: raw.CRAWL_MAX_SECONDS,
        requestTimeoutMs: raw.CRAWL_REQUEST_TIMEOUT_MS,
        maxPageBytes: raw.CRAWL_MAX_PAGE_BYTES,
        retries: raw.CRAWL_RETRIES,
        userAgent: raw.CRAWL_USER_AGENT,
      },
    },
    outbound: { allowHosts },
    metricsToken: raw.METRICS_TOKEN || undefined,
    workerMetricsPort: raw.WORKER_METRICS_PORT,
    webhooks: {
      timeoutMs: raw.WEBHOOK_TIMEOUT_MS,
      maxAttempts: raw.WEBHOOK_MAX_ATTEMPTS,
      backoffMs: raw.WEBHOOK_BACKOFF_MS,
      secretKey: webhookSecretKey,
    },
    conversations: { idleMs: Math.round(raw.CONVERSATION_IDLE_MINUTES * 60_000), retentionDays: raw.CONVERSATION_RETENTION_DAYS },
  };
}

/** The configuration with every secret replaced, for a start-up log line. */
export function describeConfig(config: AppConfig): Record<string, unknown> {
  return {
    env: config.env,
    port: config.port,
    host: config.host,
    database: redactUrl(config.databaseUrl),
    redis: redactUrl(config.redisUrl),
    allowedOrigins: config.allowedOrigins,
    publicUrl: config.publicUrl,
    adminApiKeyHashes: config.adminApiKeyHashes.length,
    llmProvider: config.llm.provider,
    geminiModel: config.llm.geminiModel,
    webConcurrency: config.webConcurrency,
    rateLimitChat: config.rateLimitChat,
    rateLimitNavigation: config.rateLimitNavigation,
    rateLimitSession: config.rateLimitSession,
    rateLimitAuthFailures: config.rateLimitAuthFailures,
    requestTimeoutMs: config.requestTimeoutMs,
    wsMaxSocketsPerClient: config.wsMaxSocketsPerClient,
    outboundAllowHosts: config.outbound.allowHosts,
    webhooks: {
      timeoutMs: config.webhooks.timeoutMs,
      maxAttempts: config.webhooks.maxAttempts,
      backoffMs: config.webhooks.backoffMs,
      secretKeySet: config.webhooks.secretKey !== undefined,
    },
  };
}

function redactUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return '***';
  }
}
