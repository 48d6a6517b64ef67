import type { EntityManager } from '@mikro-orm/core';
import { assertCanAccessBusiness, assertPlatform } from '../auth/access';
import type { Principal } from '../common/principal';
import { NotFoundError } from '../common/errors';
import { isUuid } from '../common/ids';
import type { Orm } from '../db/orm';
import type { Logger } from '../observability/logger';
import type { BusinessCache } from './business.cache';
import type { BusinessProfile } from './business.profile';
import { BusinessEntity } from './business.entity';
import { businessPatch } from './business.validation';
import type { OriginAccess, OriginCaller } from './business.origins';
import type { CreateBusinessInput, UpdateBusinessInput } from './business.types';

/** Runs inside deleteBusiness's transaction: delete rows that belong to the business. */
export type BusinessDeleteHook = (em: EntityManager, businessId: string) => Promise<void>;
/** Runs after deleteBusiness committed: clean up outside Postgres (Redis keys, caches). */
export type BusinessDeletedHook = (businessId: string) => Promise<void>;

/**
 * Admin writes and reads of businesses. Writes go through MikroORM on a fresh fork, then
 * `businesses.invalidate(id)` drops every process's cached copy (if Redis is down at that
 * moment, other processes serve the old row until their cache entry expires, ≤ 60 s).
 * Scope: platform keys see every business; a business key sees and updates only its own and
 * can neither create nor delete businesses.
 */
export class BusinessService {
  private readonly deleteHooks: BusinessDeleteHook[] = [];
  private readonly deletedHooks: BusinessDeletedHook[] = [];

  constructor(
    private readonly orm: Orm,
    private readonly businesses: BusinessCache,
    private readonly logger: Logger,
    private readonly origins: Pick<OriginAccess, 'assertChat'>,
  ) {}

  /**
   * Registers cleanup for deleteBusiness, run inside the same transaction as the business
   * row's deletion (a failure rolls everything back). Features with rows keyed by business
   * id (knowledge documents, chunks, index jobs) register here.
   */
  onDelete(hook: BusinessDeleteHook): void {
    this.deleteHooks.push(hook);
  }

  /**
   * Registers cleanup run after the deletion committed (Redis sessions, caches). Failures are
   * logged, not raised: the business is already gone, and such data expires on its own.
   */
  onDeleted(hook: BusinessDeletedHook): void {
    this.deletedHooks.push(hook);
  }

  async list(principal: Principal): Promise<BusinessEntity[]> {
    const em = this.orm.em.fork();
    const where = principal.kind === 'platform' ? {} : { id: principal.businessId };
    return em.find(BusinessEntity, where, { orderBy: { createdAt: 'asc', id: 'asc' } });
  }

  /** The business, or null when it does not exist; FORBIDDEN for another business's key. */
  async get(principal: Principal, id: string): Promise<BusinessEntity | null> {
    assertCanAccessBusiness(principal, id);
    if (!isUuid(id)) return null;
    return this.orm.em.fork().findOne(BusinessEntity, { id });
  }

  async create(principal: Principal, input: CreateBusinessInput): Promise<BusinessEntity> {
    assertPlatform(principal);
    const patch = businessPatch(input, 'create');
    const em = this.orm.em.fork();
    const now = new Date();
    const business = Object.assign(new BusinessEntity(), patch, { createdAt: now, updatedAt: now });
    await em.persistAndFlush(business);
    // A lookup of this id may have cached "no such business" on some process.
    await this.businesses.invalidate(business.id);
    return business;
  }

  async update(principal: Principal, id: string, input: UpdateBusinessInput): Promise<BusinessEntity> {
    assertCanAccessBusiness(principal, id);
    const patch = businessPatch(input, 'update');
    if (!isUuid(id)) throw new NotFoundError('Business');
    const em = this.orm.em.fork();
    const business = await em.findOne(BusinessEntity, { id });
    if (!business) throw new NotFoundError('Business');
    em.assign(business, patch);
    business.updatedAt = new Date();
    await em.flush();
    await this.businesses.invalidate(id);
    return business;
  }

  /** Deletes the business and everything registered through onDelete, in one transaction. */
  async delete(principal: Principal, id: string): Promise<boolean> {
    assertPlatform(principal);
    if (!isUuid(id)) throw new NotFoundError('Business');
    await this.orm.em.fork().transactional(async (em) => {
      const exists = await em.count(BusinessEntity, { id });
      if (!exists) throw new NotFoundError('Business');
      for (const hook of this.deleteHooks) await hook(em, id);
      await em.nativeDelete(BusinessEntity, { id });
    });
    await this.businesses.invalidate(id);
    for (const hook of this.deletedHooks) {
      await hook(id).catch((err: unknown) => this.logger.warn('business cleanup after delete failed', { businessId: id, error: String(err) }));
    }
    return true;
  }

  /**
   * For the public widget: served from the in-process cache. FORBIDDEN for a page the business
   * does not accept (see business.origins.ts), like its chat operations. The caller's
   * `clientIp` limits its lookups of unknown ids (RATE_LIMIT_AUTH_FAILURES, see BusinessCache).
   */
  async getPublic(id: string, caller: OriginCaller & { clientIp?: string }): Promise<BusinessProfile | null> {
    const business = await this.businesses.get(id, caller.clientIp);
    if (business) this.origins.assertChat(business, caller);
    return business;
  }
}
