import 'reflect-metadata';
import type { AppConfig } from './config/config';
import { openOrm, type Orm } from './db/orm';
import { createLogger, type Logger } from './observability/logger';
import { Metrics } from './observability/metrics';
import { RedisBroadcast } from './redis/broadcast';
import { closeRedis, connectRedis, createRedis, type RedisClient } from './redis/redis';
import { ShutdownList } from './common/shutdown-list';
import { OutboundClient, type LookupFunction } from './outbound/outbound.client';
import { RateLimitService } from './common/rate-limit';
import { bullConnection, BullMqJobQueue } from './jobs/bullmq.queue';
import { InlineJobQueue } from './jobs/inline.queue';
import { JobRegistry, type JobQueue } from './jobs/job-queue';
import { ApiKeyService } from './auth/api-key.service';
import { BusinessCache } from './business/business.cache';
import { BusinessService } from './business/business.service';
import { BusinessOriginIndex, OriginAccess } from './business/business.origins';
import { createLlmProvider, type LlmSetup } from './llm/llm.factory';
import type { SpeechRecognizer } from './llm/speech-recognizer';
import { AnalyticsService } from './analytics/analytics.service';
import { RedisConversationLog } from './analytics/conversation.log';
import { ConversationRecorder, eraseConversations } from './analytics/conversation.recorder';
import { rollUpDays } from './analytics/analytics.rollup';
import { ConversationEnder } from './analytics/conversation.ending';
import { purgeConversations, type ConversationTasks } from './analytics/conversation.worker';
import { ChatService } from './chat/chat.service';
import { PendingTurns } from './chat/pending-turns';
import { ReplyStreamHub } from './chat/reply-stream.hub';
import { ReplyGenerator } from './chat/reply.generator';
import { parseJobRef, SessionStore } from './chat/session.store';
import { SessionErasure } from './chat/session.erasure';
import { IndexJobStore } from './knowledge/index-job.store';
import { IndexJobUpdates } from './knowledge/index-job.updates';
import { KnowledgeIndexer } from './knowledge/knowledge.indexer';
import { BusinessJobSlots } from './knowledge/business-slot';
import { createRetriever } from './knowledge/retrieval.setup';
import { ChunkEmbeddings } from './knowledge/chunk-embeddings';
import { GeminiEmbedder } from './llm/gemini.embedder';
import { KnowledgeService } from './knowledge/knowledge.service';
import type { Retriever } from './knowledge/retrieval';
import { WebsiteCrawlRunner } from './knowledge/website.crawl-job';
import { TextExtractor } from './knowledge/text-extractor';
import { VoiceAudioStore } from './voice/audio.store';
import { PocketsphinxRecognizer } from './voice/pocketsphinx.recognizer';
import { DEFAULT_VOICE_TEMP_ROOT, VoiceTempDirs } from './voice/temp-dir';
import { FfmpegTranscoder, resolveFfmpegPath } from './voice/transcoder';
import { processVoiceJob, VOICE_JOB_NAME, voiceJobProcessor, voiceJobQueue, type VoiceJobOutcome, type VoiceJobPayload, type VoiceJobQueue } from './voice/voice.job';
import { VoiceService, type Transcriber } from './voice/voice.service';
import { VoiceTurnService } from './voice/voice-turn.service';
import { WebhookDispatcher } from './webhooks/webhook.dispatcher';
import { LeadService } from './leads/lead.service';
import { SecretBox, secretsKey } from './webhooks/webhook.secret';
import { WebhookService } from './webhooks/webhook.service';

/** A store the server cannot run without did not answer at start-up. */
export class StartupError extends Error {
  constructor(
    readonly service: 'Redis' | 'Postgres',
    cause: unknown,
  ) {
    super(`${service} is unreachable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'StartupError';
  }
}

/** Seams tests (and only tests) replace. */
export interface CoreOverrides {
  logger?: Logger;
  /** Knowledge retrieval for chat turns; default: the knowledge base (Postgres full-text search). */
  retriever?: Retriever;
  /** Local speech recognition for the offline provider; default: pocketsphinx. */
  speechRecognizer?: SpeechRecognizer;
  /**
   * Voice's seams: `queue` (default: the jobs queue; present but null or undefined: every upload
   * is transcribed in the request), `transcriber` (default: the LLM provider).
   */
  voice?: { queue?: VoiceJobQueue | null; transcriber?: Transcriber };
  /**
   * DNS resolution of the outbound client (every tenant-given URL); default `dns.lookup`.
   * Tests map made-up names to addresses with it; the address checks still apply.
   */
  outboundLookup?: LookupFunction;
  /** BullMQ driver: how long a job may wait for a worker before the api warns (default 30 s; tests shorten it). */
  unclaimedJobWarnMs?: number;
}

/**
 * The Redis connections of a process, a fixed set: `commands` (fail-fast, every ordinary
 * command and publish), `subscriber` (every pub/sub channel of the process), `blocking` (the
 * reply streams' XREAD BLOCK), and `jobs` (BullMQ's own, which must wait through outages).
 */
export interface RedisConnections {
  commands: RedisClient;
  subscriber: RedisClient;
  blocking: RedisClient;
  jobs: RedisClient;
}

export interface Core {
  config: AppConfig;
  logger: Logger;
  metrics: Metrics;
  /** The commands connection (see {@link RedisConnections}). */
  redis: RedisClient;
  connections: RedisConnections;
  orm: Orm;
  /** Every job processor of the process, by name; the queue drivers run jobs from it. */
  jobRegistry: JobRegistry;
  /** The one job queue (BullMQ producer, or the inline driver that runs jobs here). */
  jobs: JobQueue;
  /**
   * The one HTTP client for tenant-given URLs (crawls, robots.txt, sitemaps, webhooks): only
   * public addresses (or `OUTBOUND_ALLOW_HOSTS`), ports 80/443, every redirect hop checked.
   */
  outbound: OutboundClient;
  /** Business rows for the chat hot path, invalidated across processes. */
  businesses: BusinessCache;
  /** Which browser pages may use which business's public chat (ALLOWED_ORIGINS and each business's allowedOrigins). */
  origins: OriginAccess;
  apiKeys: ApiKeyService;
  businessService: BusinessService;
  llm: LlmSetup;
  chat: {
    service: ChatService;
    sessions: SessionStore;
    /** endSession's and deleteBusiness's erasure; register a SessionEraser for data kept elsewhere. */
    erasure: SessionErasure;
    /** Replies generated in this process. */
    generator: ReplyGenerator;
    pendingTurns: PendingTurns;
    rateLimits: RateLimitService;
  };
  knowledge: {
    service: KnowledgeService;
    /** Index job update streams of this process. */
    updates: IndexJobUpdates;
    /** What chat retrieves with. */
    retriever: Retriever;
  };
  /** Conversation records and analytics: the worker's tasks (tests call them directly). */
  conversations: { recorder: ConversationRecorder; tasks: ConversationTasks; analytics: AnalyticsService };
  voice: {
    turns: VoiceTurnService;
    service: VoiceService;
    audioStore: VoiceAudioStore;
    tempDirs: VoiceTempDirs;
    /** The worker's processing of one large voice file (what VOICE_JOB_NAME runs). */
    processVoiceJob(payload: VoiceJobPayload, signal?: AbortSignal): Promise<VoiceJobOutcome>;
  };
  /**
   * The webhooks outbox (`enqueue` in the caller's transaction; `eraseForLead` for deleteLead)
   * and its sender (`start`: the poller of the worker process; `runDue`: one pass, for tests).
   */
  webhooks: WebhookDispatcher;
  /** Admin operations on webhooks and their delivery log. */
  webhookService: WebhookService;
  leads: {
    /** Capture in chat turns (the generator's `capture`), the widget's form, the admin API, leadUpdates. */
    service: LeadService;
  };
  /** Closes everything the core opened, last opened first. Idempotent. */
  close(): Promise<void>;
}

async function connect(client: RedisClient, timeoutMs: number): Promise<void> {
  try {
    await connectRedis(client, timeoutMs);
  } catch (err) {
    throw new StartupError('Redis', err);
  }
}

/**
 * The composition root: builds, with plain `new`, every store and service of a process
 * (api or worker) and registers every job processor. Nothing else opens a connection.
 * `buildApp` adds HTTP, GraphQL and WebSocket; `buildWorker` adds the queue consumer.
 * Throws {@link StartupError} when Redis or Postgres does not answer; whatever was opened
 * before a failure is closed again.
 */
export async function buildCore(config: AppConfig, overrides: CoreOverrides = {}): Promise<Core> {
  const logger = overrides.logger ?? createLogger(config.logLevel);
  const metrics = new Metrics();
  const shutdown = new ShutdownList(logger);
  const prefix = config.redisKeyPrefix;

  try {
    // ---- stores ----
    const commands = createRedis(config, { name: 'concierge' });
    shutdown.add('redis', () => closeRedis(commands));
    await connect(commands, Math.max(config.redisConnectTimeoutMs, 1_000));
    watchRedis(commands, metrics, logger);

    let orm: Orm;
    try {
      orm = await openOrm(config);
    } catch (err) {
      throw new StartupError('Postgres', err);
    }
    shutdown.add('postgres', () => orm.close(true));
    metrics.postgresUp.set(1);

    const subscriber = createRedis(config, { name: 'concierge-sub', blocking: true });
    shutdown.add('redis subscriber', () => closeRedis(subscriber));
    await connect(subscriber, config.redisConnectTimeoutMs);
    subscriber.on('error', () => undefined); // the commands connection logs outages

    const blocking = createRedis(config, { name: 'concierge-blocking', blocking: true });
    shutdown.add('redis blocking', () => closeRedis(blocking));
    await connect(blocking, config.redisConnectTimeoutMs);
    blocking.on('error', () => undefined);

    const jobsConnection = bullConnection(config, 'concierge-jobs');
    shutdown.add('redis jobs', () => closeRedis(jobsConnection));
    const jobRegistry = new JobRegistry();
    const retry = { attempts: config.jobs.attempts, backoffMs: config.jobs.backoffMs };
    const jobs: JobQueue =
      config.jobs.driver === 'inline' ? new InlineJobQueue(jobRegistry, retry, logger) : new BullMqJobQueue(jobsConnection, config, jobRegistry, retry, undefined, { logger, afterMs: overrides.unclaimedJobWarnMs });

    // ---- outbound HTTP (every URL a tenant gives us) ----
    const outbound = new OutboundClient({ allowHosts: config.outbound.allowHosts, lookup: overrides.outboundLookup });
    shutdown.add('outbound http', () => outbound.close());

    // ---- businesses and keys ----
    // Every pub/sub channel of the process on the one subscriber (cache invalidations, job updates).
    const broadcast = new RedisBroadcast(commands, subscriber, prefix, logger);
    // Per-client limits (RATE_LIMIT_*), counted in Redis across processes.
    const rateLimits = new RateLimitService(commands, prefix, {
      chat: config.rateLimitChat,
      navigation: config.rateLimitNavigation,
      session: config.rateLimitSession,
      authFailures: config.rateLimitAuthFailures,
    });
    const businesses = new BusinessCache(orm, broadcast, { failures: rateLimits });
    await businesses.start();
    const originIndex = new BusinessOriginIndex(orm, logger);
    await originIndex.start(businesses);
    shutdown.add('business origin index', async () => originIndex.close());
    const origins = new OriginAccess(config.allowedOrigins, originIndex);
    const apiKeys = new ApiKeyService({
      orm,
      logger,
      configuredHashes: config.adminApiKeyHashes,
      broadcast,
      businessExists: async (id) => (await businesses.get(id)) !== null,
      failures: rateLimits,
    });
    await apiKeys.start();
    shutdown.add('api key last-use times', () => apiKeys.close());
    const businessService = new BusinessService(orm, businesses, logger, origins);
    businessService.onDelete((em, businessId) => apiKeys.deleteForBusiness(em, businessId));
    // Deleted keys may sit in key caches on any process: drop those caches after the commit.
    businessService.onDeleted(() => apiKeys.forgetAll());

    // ---- language model (voice's recogniser serves the offline provider's transcribe) ----
    const tempDirs = new VoiceTempDirs(config.voice.tempDir ?? DEFAULT_VOICE_TEMP_ROOT, logger);
    const speechRecognizer =
      overrides.speechRecognizer ??
      new PocketsphinxRecognizer({ binary: config.voice.pocketsphinxPath, timeoutMs: config.voice.ffmpegTimeoutMs, tempDirs });
    const llm = createLlmProvider(config, { metrics, logger, speechRecognizer });
    shutdown.add('llm', async () => llm.close());

    // ---- knowledge ----
    const indexJobs = new IndexJobStore(orm, broadcast);
    const indexJobUpdates = new IndexJobUpdates(broadcast, indexJobs);
    await indexJobUpdates.start();
    await broadcast.start();
    // Semantic retrieval when Gemini answers: the worker embeds chunks, each turn its question.
    const { llm: llmConfig } = config;
    const embedder =
      llmConfig.provider === 'gemini' && llmConfig.geminiApiKey
        ? new GeminiEmbedder({ apiKey: llmConfig.geminiApiKey, model: llmConfig.geminiEmbeddingModel, baseUrl: llmConfig.geminiBaseUrl, timeoutMs: llmConfig.geminiTimeoutMs })
        : null;
    const retrieval = createRetriever(orm, metrics, logger, embedder);
    shutdown.add('wordnet files', async () => retrieval.close());
    const retriever = overrides.retriever ?? retrieval.retriever;
    // Markdown/HTML extraction of large documents on a worker thread, bounded in time.
    const extractor = new TextExtractor();
    shutdown.add('text extraction thread', () => extractor.close());
    const slots = new BusinessJobSlots(commands, prefix);
    const indexer = new KnowledgeIndexer(
      orm,
      indexJobs,
      metrics,
      logger,
      new WebsiteCrawlRunner(orm, config, outbound, extractor, metrics, logger),
      slots,
      undefined,
      embedder ? new ChunkEmbeddings(orm, embedder, logger) : null,
    );
    jobRegistry.registerAll(indexer.processors(), 'knowledge');
    const knowledge = new KnowledgeService(orm, config, jobs, indexJobs, indexJobUpdates, retriever, businesses, outbound, extractor, logger);

    // ---- webhooks (the outbox; the worker's poller sends) ----
    // Production encrypts secrets only with WEBHOOK_SECRET_KEY; elsewhere a key derived from DATABASE_URL stands in.
    const secrets = new SecretBox(secretsKey(config.webhooks.secretKey, config.databaseUrl));
    const canSeal = config.webhooks.secretKey !== undefined || !config.isProduction;
    const webhookService = new WebhookService(orm, businesses, outbound, canSeal ? secrets : null, logger);
    const { timeoutMs, maxAttempts, backoffMs } = config.webhooks;
    const webhooks = new WebhookDispatcher({ orm, outbound, secrets, metrics, logger, timeoutMs, maxAttempts, backoffMs });
    shutdown.add('webhook deliveries', () => webhooks.stop());

    // ---- leads (captured in chat turns; their events go through the webhooks outbox) ----
    const leads = new LeadService({ orm, outbox: webhooks, broadcast, redis: commands, keyPrefix: prefix, sessionTtlSeconds: config.sessionTtlSeconds, metrics, logger });
    await leads.start();

    // ---- chat ----
    // Every chat event is queued in Redis without being awaited; the worker stores them.
    const chatEvents = new RedisConversationLog(commands, prefix, config.sessionTtlSeconds, metrics, logger);
    const sessions = new SessionStore(commands, prefix, config.sessionTtlSeconds, config.sessionUnusedTtlSeconds);
    const hub = new ReplyStreamHub(commands, blocking, prefix, metrics, logger);
    await hub.start();
    shutdown.add('reply stream readers', () => hub.close());
    const generator = new ReplyGenerator({
      sessions,
      provider: llm.provider,
      fallbackSummarizer: llm.offline === llm.provider ? undefined : llm.offline,
      retriever,
      metrics,
      logger,
      maxHistoryTurns: config.maxHistoryTurns,
      maxReplyChars: config.maxReplyChars,
      capture: leads,
      events: chatEvents,
    });
    shutdown.add('replies being generated', () => generator.close());
    const streams = {
      prefix,
      ttlSeconds: config.replyStreamTtlSeconds,
      interruptMs: config.replyInterruptSeconds * 1000,
      coalesceMs: config.replyCoalesceMs,
      coalesceChars: config.replyCoalesceChars,
    };
    // endSession and deleteBusiness: seal, then these erasers in order, then the session's Redis
    // keys. Features holding visitor data elsewhere (Postgres records) register theirs here.
    const erasure = new SessionErasure(sessions, logger);
    erasure.register({
      name: 'queued jobs',
      eraseSessions: async (sealed) => {
        for (const session of sealed)
          for (const ref of session.refs) {
            const job = parseJobRef(ref);
            if (job) await jobs.remove(job.name, job.jobId);
          }
      },
    });
    // The visitor's contact details go with their session (the lead, its delivery payloads).
    erasure.register({ name: 'leads', eraseSessions: (sealed) => leads.eraseSessions(sealed.map((s) => s.id)) });
    const chat = new ChatService({ redis: commands, sessions, businesses, hub, generator, streams, origins, erasure, limits: rateLimits, events: chatEvents, maxHistoryTurns: config.maxHistoryTurns });
    // A pending voice reply waits as long as its parked audio lives (see PendingTurns).
    const pendingMs = config.voice.audioTtlSeconds * 1000;
    const pendingTurns = new PendingTurns({ redis: commands, sessions, businesses, generator, streams, pendingMs, logger, events: chatEvents });
    // ---- conversation records and analytics ----
    const recorder = new ConversationRecorder({ redis: commands, orm, prefix, metrics, logger });
    // Idle conversations: summarised and classified (Gemini when configured), CONVERSATION_ENDED
    // queued in the webhooks outbox. The lease outlives the slowest model answer: two calls
    // (summary + classify), each up to its timeout on every try.
    const ender = new ConversationEnder({
      orm,
      llm,
      outbox: webhooks,
      metrics,
      logger,
      idleMs: config.conversations.idleMs,
      leaseMs: 2 * config.llm.geminiTimeoutMs * (config.llm.geminiMaxRetries + 1) + 30_000,
      // Gemini failed: tried again after a minute (or the idle time, if shorter); offline after three tries.
      retryMs: Math.min(60_000, config.conversations.idleMs),
    });
    const conversationTasks: ConversationTasks = {
      drain: () => recorder.drainOnce(),
      endIdle: (now) => ender.endIdle(now),
      purge: (now) => purgeConversations(orm, new Date(now.getTime() - config.conversations.retentionDays * 86_400_000)),
      rollup: (now) => rollUpDays(orm, now),
    };
    // endSession/deleteBusiness erase the conversation records: the record in Postgres (with a
    // tombstone the worker respects), then the events still queued in Redis. A failure throws,
    // so the session stays sealed and the next erasure runs this again.
    erasure.register({
      name: 'conversation records',
      eraseSessions: async (sealed) => {
        const ids = sealed.map((s) => s.id);
        await eraseConversations(orm, ids);
        // CONVERSATION_ENDED payloads carry the transcript: erased (and not sent) too.
        await webhooks.eraseForSessions(orm.em.fork(), ids);
        await chatEvents.forget(ids);
      },
    });
    // A deleted business's visitors lose their transcripts now, not when the session TTL runs out.
    // Its session set names them: no keyspace SCAN.
    businessService.onDeleted(async (id) => void (await erasure.eraseBusiness(id)));

    // ---- voice ----
    await tempDirs.start();
    shutdown.add('voice temp dirs', () => tempDirs.close());
    const audioStore = new VoiceAudioStore(commands, prefix, config.voice.audioTtlSeconds);
    const voice = new VoiceService({
      tempDirs,
      transcoder: new FfmpegTranscoder({
        ffmpegPath: resolveFfmpegPath(config),
        timeoutMs: config.voice.ffmpegTimeoutMs,
        maxSeconds: config.voice.maxAudioSeconds,
        maxConcurrent: config.voice.ffmpegMaxConcurrency,
      }),
      transcriber: overrides.voice?.transcriber ?? llm.provider,
      metrics,
      logger,
      maxAudioBytes: config.voice.maxAudioBytes,
      workerThresholdBytes: config.voice.workerThresholdBytes,
      audioStore,
    });
    const voiceQueue = overrides.voice && 'queue' in overrides.voice ? (overrides.voice.queue ?? null) : voiceJobQueue(jobs);
    const voiceTurns = new VoiceTurnService({ voice, chat, pendingTurns, queue: voiceQueue, audioStore, sessions });
    const voiceJobDeps = { voice, audioStore, pendingTurns, logger };
    // Its own queue: a tenant's crawls and rebuilds never hold the slots voice messages wait for.
    jobRegistry.register(VOICE_JOB_NAME, voiceJobProcessor(voiceJobDeps), 'voice');

    // Last opened, first closed: inline jobs (voice turns, index builds) finish before the
    // generator, temp dirs, Postgres and Redis they use go away.
    shutdown.add('job queue', () => jobs.close());

    return {
      config,
      logger,
      metrics,
      redis: commands,
      connections: { commands, subscriber, blocking, jobs: jobsConnection },
      orm,
      jobRegistry,
      jobs,
      outbound,
      businesses,
      origins,
      apiKeys,
      businessService,
      llm,
      chat: { service: chat, sessions, erasure, generator, pendingTurns, rateLimits },
      knowledge: { service: knowledge, updates: indexJobUpdates, retriever },
      conversations: { recorder, tasks: conversationTasks, analytics: new AnalyticsService({ orm, metrics, chat }) },
      voice: {
        turns: voiceTurns,
        service: voice,
        audioStore,
        tempDirs,
        processVoiceJob: (payload, signal) => processVoiceJob(payload, voiceJobDeps, signal),
      },
      webhooks,
      webhookService,
      leads: { service: leads },
      close: () => shutdown.closeAll(),
    };
  } catch (err) {
    await shutdown.closeAll();
    throw err;
  }
}

/** `redis_up` and one log line per outage and recovery, from the commands connection. */
function watchRedis(redis: RedisClient, metrics: Metrics, logger: Logger): void {
  let wasReady = true;
  metrics.redisUp.set(1);
  redis.on('ready', () => {
    metrics.redisUp.set(1);
    if (!wasReady) logger.info('redis connection restored');
    wasReady = true;
  });
  redis.on('error', (err: Error) => {
    metrics.redisUp.set(0);
    if (wasReady) logger.error('redis connection lost', { error: err.message });
    wasReady = false;
  });
}
