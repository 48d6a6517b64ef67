import { assertCanAccessBusiness } from '../auth/access';
import type { Principal } from '../common/principal';
import { UnauthenticatedError } from '../common/errors';

/**
 * Whether the caller may touch this business's knowledge: the auth feature's one scope check
 * (platform keys: any business; business keys: their own), for a principal that may be absent.
 */
export function assertBusinessAccess(principal: Principal | null | undefined, businessId: string): void {
  if (!principal) throw new UnauthenticatedError();
  assertCanAccessBusiness(principal, businessId);
}
