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

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}
