import type { AppConfig } from '../config/config';
import type { Retriever } from '../knowledge/retriever';
import { createLlmProvider } from '../llm/llm.factory';
import type { LlmProvider } from '../llm/llm.provider';
import type { SpeechRecognizer } from '../llm/speech-recognizer';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { closeRedis, connectRedis, createRedis, type RedisClient } from '../redis/redis';
import type { RequestContext } from '../common/request-context';
import { ChatResolver, type ChatContext } from './chat.resolver';
import { ChatService, type BusinessLookup } from './chat.service';
import { RateLimitService } from './rate-limit';
import { ReplyStreamHub } from './reply-stream.hub';
import { ReplyGenerator } from './reply.generator';
import { SessionStore } from './session.store';
import { ChatVoiceTurns } from './voice-turn.adapter';

export interface ChatModuleDeps {
  config: AppConfig;
  redis: RedisClient;
  businesses: BusinessLookup;
  retriever: Retriever;
  metrics: Metrics;
  logger: Logger;
  speechRecognizer?: SpeechRecognizer;
}

export interface ChatModule {
  resolvers: object[];
  chat: ChatService;
  provider: LlmProvider;
  /** Chat sessions in Redis; deleteBusiness erases a business's sessions through it. */
  sessions: SessionStore;
  rateLimits: RateLimitService;
  /** Chat's side of the voice seam: voice hands transcripts and pending turns to it. */
  voiceTurns: ChatVoiceTurns;
  /** Adds the chat service and rate limits to every operation's context. */
  extendContext<T extends RequestContext>(ctx: T): T & ChatContext;
  close(): Promise<void>;
}

/** Wires the chat feature: sessions, reply streams, providers, limits and its resolver. */
export async function createChatModule(deps: ChatModuleDeps): Promise<ChatModule> {
  const { config, redis, metrics, logger } = deps;
  const prefix = config.redisKeyPrefix;
  const blocking = createRedis(config, { blocking: true, name: 'concierge-replies' });
  await connectRedis(blocking, config.redisConnectTimeoutMs);
  blocking.on('error', () => undefined); // the main connection logs outages

  const llm = createLlmProvider(config, { metrics, logger, speechRecognizer: deps.speechRecognizer });
  const sessions = new SessionStore(redis, prefix, config.sessionTtlSeconds);
  const hub = new ReplyStreamHub(redis, blocking, prefix, metrics, logger);
  await hub.start();
  const generator = new ReplyGenerator({
    sessions,
    provider: llm.provider,
    fallbackSummarizer: llm.offline === llm.provider ? undefined : llm.offline,
    retriever: deps.retriever,
    metrics,
    logger,
    maxHistoryTurns: config.maxHistoryTurns,
  });
  const streams = { prefix, ttlSeconds: config.replyStreamTtlSeconds, interruptMs: config.replyInterruptSeconds * 1000 };
  const chat = new ChatService({ redis, sessions, businesses: deps.businesses, hub, generator, streams });
  const voiceTurns = new ChatVoiceTurns({
    chat,
    redis,
    sessions,
    businesses: deps.businesses,
    generator,
    streams,
    // A pending voice reply waits as long as its parked audio lives (see ChatVoiceTurns).
    pendingMs: config.voice.audioTtlSeconds * 1000,
    logger,
  });
  const rateLimits = new RateLimitService(redis, prefix, { chat: config.rateLimitChat });

  return {
    resolvers: [new ChatResolver(chat)],
    chat,
    provider: llm.provider,
    sessions,
    rateLimits,
    voiceTurns,
    extendContext: <T extends RequestContext>(ctx: T) => Object.assign(ctx, { chat, rateLimits }),
    async close() {
      await generator.close();
      await hub.close();
      llm.close();
      await closeRedis(blocking);
    },
  };
}
