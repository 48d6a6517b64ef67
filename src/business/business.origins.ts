import type { Orm } from '../db/orm';
import { ForbiddenError } from '../common/errors';
import type { RequestContext } from '../common/request-context';
import type { Logger } from '../observability/logger';
import type { BusinessCache } from './business.cache';
import type { BusinessProfile } from './business.profile';

/**
 * Which browser pages may use which business's public chat.
 *
 * - `ALLOWED_ORIGINS` is the operator's list: its origins may reach the server (CORS, the
 *   WebSocket upgrade) and chat with every business that lists no origins of its own.
 * - A business's own `allowedOrigins` are accepted for ITS public chat operations (and only
 *   those origins are, for that business), with no restart: the list is read from the business
 *   row (the cache, invalidated over Redis) and from {@link BusinessOriginIndex} for the
 *   requests that name no business yet (a CORS preflight, a WebSocket upgrade).
 * - A page this server served itself (the demo page, the Playground: Origin's host equals Host)
 *   is always accepted.
 * A site listed by business A that asks for business B gets FORBIDDEN, and the HTTP layer
 * sends no CORS header for it (RequestMeta.originRefused).
 */

/** The caller as the origin rule needs it. */
export type OriginCaller = Pick<RequestContext, 'origin'> & Partial<Pick<RequestContext, 'sameOrigin' | 'meta'>>;

/**
 * Every origin some business lists, in memory, for the requests that cannot name their business
 * (a CORS preflight carries no body; a WebSocket upgrade precedes every operation). Loaded at
 * start, refreshed for one business whenever the business cache drops it (in this process at
 * once, in the others over the Redis broadcast), reloaded whole when the broadcast reconnects
 * and every `reloadMs` (bounds staleness if a broadcast was lost while Redis was down).
 * If Postgres fails during a refresh, the old entries stay (logged) until the next reload.
 */
export class BusinessOriginIndex {
  /** Business id → its origins (only businesses that list some). */
  private byBusiness = new Map<string, readonly string[]>();
  /** Origin → how many businesses list it. */
  private counts = new Map<string, number>();
  /** Bumped on every change request for an id: an older read never overwrites a newer one. */
  private readonly versions = new Map<string, number>();
  private reloadTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly orm: Orm,
    private readonly logger: Logger,
    private readonly reloadMs = 60_000,
  ) {}

  /** Loads every listed origin and follows the cache's invalidations. */
  async start(cache: BusinessCache): Promise<void> {
    cache.watch({
      changed: (id) => (id === '*' ? this.reload() : this.refresh(id)),
      reset: () => this.reload(),
    });
    await this.reload();
    this.reloadTimer = setInterval(() => void this.reload(), this.reloadMs);
    this.reloadTimer.unref();
  }

  close(): void {
    clearInterval(this.reloadTimer);
  }

  /** True when at least one business lists `origin`. */
  isListed(origin: string): boolean {
    return (this.counts.get(origin) ?? 0) > 0;
  }

  /** Re-reads one business's origins (after it was created, updated or deleted). */
  async refresh(id: string): Promise<void> {
    const version = (this.versions.get(id) ?? 0) + 1;
    this.versions.set(id, version);
    try {
      const rows = await this.orm.em
        .fork()
        .getConnection()
        .execute<Array<{ allowed_origins: string[] | null }>>('select allowed_origins from businesses where id = ?', [id]);
      if (this.versions.get(id) !== version) return;
      this.set(id, rows[0]?.allowed_origins ?? []);
    } catch (err) {
      this.logger.warn('business origins not refreshed', { businessId: id, error: String(err) });
    }
  }

  /** Re-reads every business's origins. */
  async reload(): Promise<void> {
    const started = new Map(this.versions);
    try {
      const rows = await this.orm.em
        .fork()
        .getConnection()
        .execute<Array<{ id: string; allowed_origins: string[] }>>(`select id, allowed_origins from businesses where allowed_origins <> '[]'::jsonb`);
      const fresh = new Map(rows.map((r) => [r.id, r.allowed_origins] as const));
      // A business refreshed while this ran keeps what its refresh read.
      const changedMeanwhile = (id: string) => this.versions.get(id) !== started.get(id);
      for (const id of [...this.byBusiness.keys()]) if (!fresh.has(id) && !changedMeanwhile(id)) this.set(id, []);
      for (const [id, origins] of fresh) if (!changedMeanwhile(id)) this.set(id, origins);
    } catch (err) {
      this.logger.warn('business origins not reloaded', { error: String(err) });
    }
  }

  private set(id: string, origins: readonly string[]): void {
    for (const o of this.byBusiness.get(id) ?? []) {
      const n = (this.counts.get(o) ?? 1) - 1;
      if (n > 0) this.counts.set(o, n);
      else this.counts.delete(o);
    }
    const clean = [...new Set(origins.map((o) => o.replace(/\/$/, '')))];
    if (clean.length === 0) {
      this.byBusiness.delete(id);
      return;
    }
    this.byBusiness.set(id, clean);
    for (const o of clean) this.counts.set(o, (this.counts.get(o) ?? 0) + 1);
  }
}

/** The origin rule (see the top of this file), shared by HTTP, WebSocket, chat and publicBusiness. */
export class OriginAccess {
  private readonly anyOperatorOrigin: boolean;
  private readonly operatorOrigins: ReadonlySet<string>;

  constructor(
    operatorOrigins: readonly string[],
    private readonly index: Pick<BusinessOriginIndex, 'isListed'>,
  ) {
    this.anyOperatorOrigin = operatorOrigins.includes('*');
    this.operatorOrigins = new Set(operatorOrigins);
  }

  /** In ALLOWED_ORIGINS (or ALLOWED_ORIGINS is `*`). */
  byOperator(origin: string): boolean {
    return this.anyOperatorOrigin || this.operatorOrigins.has(origin);
  }

  /**
   * Whether a request that names no business yet may come in from `origin`: a CORS preflight,
   * a WebSocket upgrade. No Origin: not a browser page, nothing to decide.
   */
  mayConnect(origin: string | null | undefined): boolean {
    if (origin === undefined || origin === null) return true;
    return this.byOperator(origin) || this.index.isListed(origin);
  }

  /** Whether `business`'s public chat accepts the caller's page. */
  allowsChat(business: Pick<BusinessProfile, 'allowedOrigins'>, caller: OriginCaller): boolean {
    const origin = caller.origin;
    if (!origin || caller.sameOrigin) return true;
    if (business.allowedOrigins.length > 0) return business.allowedOrigins.some((o) => o.replace(/\/$/, '') === origin);
    return this.byOperator(origin);
  }

  /** FORBIDDEN (and no CORS header on the answer) when the business does not accept the page. */
  assertChat(business: Pick<BusinessProfile, 'allowedOrigins'>, caller: OriginCaller): void {
    if (this.allowsChat(business, caller)) return;
    if (caller.meta) caller.meta.originRefused = true;
    throw new ForbiddenError("This website may not use this business's chat");
  }
}
