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

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}
