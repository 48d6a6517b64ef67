import type { Principal } from '../auth/principal';
import { ForbiddenError, UnauthenticatedError } from '../common/errors';

/**
 * Whether the caller may touch this business's knowledge: a platform key may touch any; a
 * business key only its own. The one place knowledge asks this, so the admin branch's
 * shared check can replace it.
 */
export function assertBusinessAccess(principal: Principal | null | undefined, businessId: string): void {
  if (!principal) throw new UnauthenticatedError();
  if (principal.kind === 'platform') return;
  if (principal.businessId !== businessId) throw new ForbiddenError();
}
