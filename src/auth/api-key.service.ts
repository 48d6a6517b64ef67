import type { EntityManager } from '@mikro-orm/core';
import { BadUserInputError, NotFoundError } from '../common/errors';
import { isUuid } from '../common/ids';
import type { Orm } from '../db/orm';
import type { Logger } from '../observability/logger';
import { LRUCache } from 'lru-cache';
import type { RedisBroadcast } from '../redis/broadcast';
import { assertCanAccessBusiness, assertPlatform } from './access';
import { ApiKeyEntity } from './api-key.entity';
import { generateSecret, hashSecret, MAX_SECRET_LENGTH, sameHash } from './api-key.secret';
import { LastUsedTracker } from './last-used.tracker';
import type { ApiKeyAuthenticator, Principal } from '../common/principal';
import type { FailureLimiter } from '../common/rate-limit';

export interface ApiKeyServiceOptions {
  orm: Orm;
  logger: Logger;
  /** sha256 hex digests of platform keys from ADMIN_API_KEY_HASHES. */
  configuredHashes: readonly string[];
  /** Revocations to and from every process; absent in the CLI when Redis is unreachable. */
  broadcast?: RedisBroadcast;
  /** Whether a business exists (a business key is created only for one that does). */
  businessExists(id: string): Promise<boolean>;
  /** How long a positive lookup is reused on this process. */
  cacheTtlMs?: number;
  /** How often buffered `lastUsedAt` times are written. */
  lastUsedFlushMs?: number;
  /** How long an unknown digest is remembered as unknown on this process. */
  unknownTtlMs?: number;
  /** Counts the wrong keys a client presents (RATE_LIMIT_AUTH_FAILURES). */
  failures?: FailureLimiter;
}

const MAX_CACHE_ENTRIES = 1_000;
const MAX_UNKNOWN_ENTRIES = 20_000;
const CHANNEL = 'apikey:revoked';
const NAME_MAX = 100;

/**
 * Creates, lists, revokes and authenticates API keys. Secrets are shown once and stored only
 * as sha256 digests, looked up by digest and compared in constant time.
 *
 * Lookups are cached per process for `cacheTtlMs` (default 5 s). A revocation drops the entry
 * here at once and is published over Redis so every other process drops it too; if that
 * publish is lost (Redis down), other processes honour a revoked key for at most the TTL, and
 * every process empties its cache when its subscriber reconnects.
 * `lastUsedAt` is buffered in memory and written in one UPDATE every `lastUsedFlushMs`
 * (default 30 s) and on close: a crash loses at most that window of last-use times.
 *
 * Wrong keys: an unknown digest is remembered for `unknownTtlMs` (default 30 s; a separate LRU,
 * so a flood cannot evict the valid keys), so repeating it costs no query. A key created later
 * cannot be in it (its secret is new, so is its digest). Per client (`clientIp`), wrong keys are
 * counted by `failures`; once they are used up every keyed request of that client is
 * RATE_LIMITED before any lookup, valid key or not, until the window passes. Redis down: the
 * limiter fails closed, so keyed requests are SERVICE_UNAVAILABLE (admin calls need Redis for
 * most of their work anyway).
 */
export class ApiKeyService implements ApiKeyAuthenticator {
  private readonly cache: LRUCache<string, Principal>;
  private readonly unknown: LRUCache<string, true>;
  private readonly configured: readonly string[];
  private readonly cacheTtlMs: number;
  /** Holders of long-lived connections authenticated by a key (WebSockets), by digest. */
  private readonly watchers = new Map<string, Set<() => void>>();
  readonly lastUsed: LastUsedTracker;

  constructor(private readonly options: ApiKeyServiceOptions) {
    this.configured = options.configuredHashes;
    this.cacheTtlMs = options.cacheTtlMs ?? 5_000;
    this.cache = new LRUCache({ max: MAX_CACHE_ENTRIES, ttl: this.cacheTtlMs });
    this.unknown = new LRUCache({ max: MAX_UNKNOWN_ENTRIES, ttl: options.unknownTtlMs ?? 30_000 });
    this.lastUsed = new LastUsedTracker(options.orm, options.logger, options.lastUsedFlushMs ?? 30_000);
  }

  /** Subscribes to revocations from other processes and starts the last-use flusher. */
  async start(): Promise<void> {
    // Revocations published while the subscriber was disconnected are lost: start over then.
    await this.options.broadcast?.listen(CHANNEL, {
      message: (hash) => {
        if (hash === '*') this.cache.clear();
        else this.cache.delete(hash);
        this.recheck(hash);
      },
      // Revocations may have been missed: every watched key is checked again.
      reset: () => {
        this.cache.clear();
        this.recheck('*');
      },
    });
    this.lastUsed.start();
  }

  /** Flushes buffered last-use times. The Redis connections belong to the caller. */
  async close(): Promise<void> {
    await this.lastUsed.close();
  }

  async authenticate(secret: string, clientIp?: string): Promise<Principal | null> {
    const { failures } = this.options;
    if (clientIp && failures) await failures.assertNotExhausted('authFailures', clientIp);
    const principal = await this.lookup(secret);
    if (!principal && clientIp && failures) await failures.consume('authFailures', clientIp);
    return principal;
  }

  private async lookup(secret: string): Promise<Principal | null> {
    if (!secret || secret.length > MAX_SECRET_LENGTH) return null;
    const hash = hashSecret(secret);
    // Every configured hash is compared, so the time taken does not depend on which matched.
    let configured = false;
    for (const h of this.configured) configured = sameHash(h, hash) || configured;
    if (configured) return { kind: 'platform', keyId: null };

    const hit = this.cache.get(hash);
    if (hit) {
      this.lastUsed.touch(hit.keyId);
      return hit;
    }
    if (this.unknown.has(hash)) return null;
    const row = await this.findByHash(hash);
    if (!row || row.revokedAt || !sameHash(row.hash, hash)) {
      this.unknown.set(hash, true);
      return null;
    }
    const principal: Principal = row.businessId ? { kind: 'business', businessId: row.businessId, keyId: row.id } : { kind: 'platform', keyId: row.id };
    this.cache.set(hash, principal);
    this.lastUsed.touch(row.id);
    return principal;
  }

  /** The one Postgres query of a lookup. */
  private findByHash(hash: string): Promise<ApiKeyEntity | null> {
    return this.options.orm.em.fork().findOne(ApiKeyEntity, { hash }, { disableIdentityMap: true });
  }

  /**
   * Calls `onRevoked` once the key `secret` stops being valid (revoked or deleted, on this
   * process or any other: the revocation broadcast reaches every process at once; if a publish
   * is lost, on the next subscriber reconnect). The WebSocket server closes the socket then, so
   * a revoked key's open subscriptions end within moments. Returns the unsubscribe function.
   */
  watch(secret: string, onRevoked: () => void): () => void {
    if (!secret || secret.length > MAX_SECRET_LENGTH) return () => undefined;
    const hash = hashSecret(secret);
    let set = this.watchers.get(hash);
    if (!set) this.watchers.set(hash, (set = new Set()));
    const entry = () => onRevoked();
    set.add(entry);
    return () => {
      set.delete(entry);
      if (set.size === 0 && this.watchers.get(hash) === set) this.watchers.delete(hash);
    };
  }

  /** Checks watched keys after a revocation of `hash` ('*': every key); calls the watchers of those no longer valid. */
  private recheck(hash: string): void {
    const hashes = hash === '*' ? [...this.watchers.keys()] : this.watchers.has(hash) ? [hash] : [];
    for (const h of hashes) {
      void this.isValid(h)
        .then((valid) => {
          if (valid) return;
          for (const onRevoked of [...(this.watchers.get(h) ?? [])]) onRevoked();
          this.watchers.delete(h);
        })
        .catch((err: unknown) => this.options.logger.warn('could not recheck a revoked api key; its sockets stay open', { error: String(err) }));
    }
  }

  private async isValid(hash: string): Promise<boolean> {
    if (this.configured.some((h) => sameHash(h, hash))) return true;
    const row = await this.options.orm.em.fork().findOne(ApiKeyEntity, { hash }, { disableIdentityMap: true });
    return row !== null && !row.revokedAt;
  }

  /**
   * Creates a key and returns its secret, which is never shown again. A key without
   * `businessId` is a platform key: only platform callers may create one.
   */
  async create(principal: Principal, input: { name: string; businessId?: string | null }): Promise<{ key: ApiKeyEntity; secret: string }> {
    const name = input.name.trim();
    if (!name || name.length > NAME_MAX) throw new BadUserInputError(`name: must be 1 to ${NAME_MAX} characters`, { field: 'name' });
    const businessId = input.businessId ?? null;
    if (businessId === null) assertPlatform(principal);
    else assertCanAccessBusiness(principal, businessId);
    const em = this.options.orm.em.fork();
    if (businessId !== null && (!isUuid(businessId) || !(await this.options.businessExists(businessId)))) {
      throw new NotFoundError('Business');
    }
    const { secret, prefix, hash } = generateSecret();
    const key = em.create(ApiKeyEntity, { name, businessId, prefix, hash, createdAt: new Date() });
    await em.persistAndFlush(key);
    return { key, secret };
  }

  /** Keys the principal may see: all for platform keys, its business's for a business key. */
  async list(principal: Principal): Promise<ApiKeyEntity[]> {
    const where = principal.kind === 'platform' ? {} : { businessId: principal.businessId };
    return this.options.orm.em.fork().find(ApiKeyEntity, where, { orderBy: { createdAt: 'asc', id: 'asc' } });
  }

  /** Revokes a key now (idempotent). NOT_FOUND for an unknown id, FORBIDDEN for another business's key. */
  async revoke(principal: Principal, id: string): Promise<boolean> {
    if (!isUuid(id)) throw new NotFoundError('API key');
    const em = this.options.orm.em.fork();
    const key = await em.findOne(ApiKeyEntity, { id });
    if (!key) throw new NotFoundError('API key');
    if (key.businessId) assertCanAccessBusiness(principal, key.businessId);
    else assertPlatform(principal);
    if (!key.revokedAt) {
      key.revokedAt = new Date();
      await em.flush();
    }
    await this.forget([key.hash]);
    return true;
  }

  /**
   * Deletes every key of a business inside the caller's transaction (deleteBusiness); call
   * {@link forgetAll} once the transaction has committed.
   */
  async deleteForBusiness(em: EntityManager, businessId: string): Promise<void> {
    await em.nativeDelete(ApiKeyEntity, { businessId });
  }

  /** Empties the key cache on every process (after keys were deleted in bulk). */
  async forgetAll(): Promise<void> {
    await this.forget(['*']);
  }

  /** Drops digests from this process's cache and tells every other process to do the same. */
  async forget(hashes: string[]): Promise<void> {
    for (const h of hashes) {
      if (h === '*') this.cache.clear();
      else this.cache.delete(h);
      this.recheck(h);
    }
    const { broadcast } = this.options;
    if (!broadcast) return;
    for (const h of hashes) {
      if (!(await broadcast.publish(CHANNEL, h))) {
        this.options.logger.warn('api key revocation not published; other processes honour the key until their cache expires', { ttlMs: this.cacheTtlMs });
        return;
      }
    }
  }
}
