import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Every Prometheus metric of the process, on a registry of its own so that several apps
 * built in one test process do not collide. Features add their metrics here, so /metrics
 * documents itself in one place.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly redisUp = new Gauge({ name: 'redis_up', help: '1 while Redis answers, else 0', registers: [this.registry] });
  readonly postgresUp = new Gauge({ name: 'postgres_up', help: '1 while Postgres answers, else 0', registers: [this.registry] });

  readonly httpRequestDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route and status code',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly graphqlErrors = new Counter({
    name: 'graphql_errors_total',
    help: 'GraphQL errors by extensions.code',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });

  readonly openSockets = new Gauge({ name: 'ws_open_sockets', help: 'Open GraphQL WebSocket connections', registers: [this.registry] });
  readonly activeSubscriptions = new Gauge({
    name: 'graphql_active_subscriptions',
    help: 'Active GraphQL subscriptions',
    registers: [this.registry],
  });

  readonly chatLatency = new Histogram({
    name: 'chat_reply_duration_seconds',
    help: 'Time from a chat message being accepted to its reply being complete, by provider and outcome',
    labelNames: ['provider', 'outcome'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60],
    registers: [this.registry],
  });

  readonly timeToFirstToken = new Histogram({
    name: 'chat_time_to_first_token_seconds',
    help: 'Time from a chat message being accepted to the first reply delta, by provider',
    labelNames: ['provider'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15],
    registers: [this.registry],
  });

  readonly geminiRequestDuration = new Histogram({
    name: 'gemini_request_duration_seconds',
    help: 'Gemini API request duration (streams: until the last chunk), by operation and outcome',
    labelNames: ['operation', 'outcome'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60],
    registers: [this.registry],
  });

  readonly geminiFailures = new Counter({
    name: 'gemini_failures_total',
    help: 'Failed Gemini attempts by kind (timeout, rate_limited, server, client, network, circuit_open, aborted)',
    labelNames: ['operation', 'kind'] as const,
    registers: [this.registry],
  });

  readonly llmFallbacks = new Counter({
    name: 'llm_fallbacks_total',
    help: 'Replies answered by the offline provider because Gemini failed before its first token, by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly chatSummaryFolds = new Counter({
    name: 'chat_summary_folds_total',
    help: 'Attempts to fold old turns into a session summary, by outcome',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly retrievalDuration = new Histogram({
    name: 'knowledge_retrieval_duration_seconds',
    help: 'Time to retrieve knowledge passages for one question (one SQL query)',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [this.registry],
  });

  readonly indexJobDuration = new Histogram({
    name: 'knowledge_index_job_duration_seconds',
    help: 'Duration of knowledge index job attempts by kind and outcome',
    labelNames: ['kind', 'outcome'] as const,
    buckets: [0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600],
    registers: [this.registry],
  });

  readonly indexJobFailures = new Counter({
    name: 'knowledge_index_job_failures_total',
    help: 'Knowledge index jobs that failed for good (after their last retry), by kind',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  readonly crawlPages = new Counter({
    name: 'knowledge_crawl_pages_total',
    help: 'Website crawl page fetches by outcome (fetched, failed)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly replyStreamReaders = new Gauge({
    name: 'chat_reply_stream_readers',
    help: 'Replies this process follows in Redis (one reader per reply, shared by its subscribers)',
    registers: [this.registry],
  });

  readonly voiceTranscodingFailures = new Counter({
    name: 'voice_transcoding_failures_total',
    help: 'Voice messages that were not transcribed, by reason (too_large, too_long, empty, unsupported_format, undecodable, no_speech, timeout, aborted, ffmpeg_missing, recognizer_missing, provider_failed)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly voiceAudioDuration = new Histogram({
    name: 'voice_audio_duration_seconds',
    help: 'Duration of voice messages after decoding',
    buckets: [1, 2, 5, 10, 20, 30, 60, 90, 120, 300],
    registers: [this.registry],
  });
  readonly voiceTranscriptionDuration = new Histogram({
    name: 'voice_transcription_duration_seconds',
    help: 'Speech-to-text latency by provider (gemini, offline), after transcoding',
    labelNames: ['provider'] as const,
    buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 60],
    registers: [this.registry],
  });
  readonly voiceTranscodingDuration = new Histogram({
    name: 'voice_transcoding_duration_seconds',
    help: 'ffmpeg time to decode a voice message to 16 kHz mono WAV',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    registers: [this.registry],
  });
  readonly webhookDeliveries = new Counter({
    name: 'webhook_deliveries_total',
    help: 'Webhook delivery attempts by outcome (delivered, retry, failed, refused)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly webhookDeliveryLatency = new Histogram({
    name: 'webhook_delivery_latency_seconds',
    help: 'Time from an event being queued to its webhook delivery succeeding (retries included)',
    buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 1800, 3600, 21_600, 86_400],
    registers: [this.registry],
  });
  readonly leadsCaptured = new Counter({
    name: 'leads_captured_total',
    help: 'Leads created (the first valid contact detail of a session), by source (CHAT, VOICE, FORM)',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });
  readonly leadFieldsRejected = new Counter({
    name: 'lead_fields_rejected_total',
    help: 'Contact details not stored because they were invalid, by field (NAME, EMAIL, PHONE) and path (chat, form, admin)',
    labelNames: ['field', 'path'] as const,
    registers: [this.registry],
  });
  readonly leadCaptureFailures = new Counter({
    name: 'lead_capture_failures_total',
    help: 'Chat turns whose contact capture could not read or write the lead (Postgres or Redis down); the reply went on without it',
    labelNames: ['stage'] as const,
    registers: [this.registry],
  });

  readonly unansweredReplies = new Counter({
    name: 'chat_unanswered_replies_total',
    help: 'Replies in which the provider said it could not answer from what the business shared, by provider',
    labelNames: ['provider'] as const,
    registers: [this.registry],
  });
  readonly conversationsEnded = new Counter({
    name: 'conversations_ended_total',
    help: 'Conversations ended by the worker after CONVERSATION_IDLE_MINUTES without a message, by sentiment',
    labelNames: ['sentiment'] as const,
    registers: [this.registry],
  });
  readonly feedback = new Counter({
    name: 'chat_feedback_total',
    help: 'Ratings of assistant messages (rateMessage), by rating (UP, DOWN)',
    labelNames: ['rating'] as const,
    registers: [this.registry],
  });
  readonly conversationRecords = new Counter({
    name: 'conversation_records_total',
    help: 'Chat events handed to the conversation record (recorded: queued in Redis; dropped: Redis refused them; stored: written to Postgres by the worker)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}
