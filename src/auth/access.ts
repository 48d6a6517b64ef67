import { ForbiddenError, UnauthenticatedError } from '../common/errors';
import type { RequestContext } from '../common/request-context';
import type { Principal } from '../common/principal';

/**
 * The one place that decides business scope. Services call these with the principal the
 * auth checker resolved; features built later (knowledge, voice) reuse them.
 */

/** Throws FORBIDDEN unless the principal may act on `businessId` (platform keys: any). */
export function assertCanAccessBusiness(principal: Principal, businessId: string): void {
  if (principal.kind === 'platform') return;
  if (principal.businessId !== businessId) throw new ForbiddenError('This API key belongs to another business');
}

/** Throws FORBIDDEN unless the principal is a platform key (all businesses). */
export function assertPlatform(principal: Principal): asserts principal is Extract<Principal, { kind: 'platform' }> {
  if (principal.kind !== 'platform') throw new ForbiddenError('This operation needs a platform API key');
}

/** The businesses a principal may see: null = all (platform), else exactly one id. */
export function visibleBusinessIds(principal: Principal): string[] | null {
  return principal.kind === 'platform' ? null : [principal.businessId];
}

/**
 * The principal of an `@Authorized()` resolver's request. The auth checker has set it before
 * the resolver runs; the throw guards against a resolver that forgot `@Authorized()`.
 */
export function principalOf(ctx: RequestContext): Principal {
  if (!ctx.principal) throw new UnauthenticatedError();
  return ctx.principal;
}
