import type { AuthChecker } from 'type-graphql';
import { ForbiddenError, UnauthenticatedError } from '../common/errors';
import type { RequestContext } from '../common/request-context';
import type { ApiKeyAuthenticator, Principal } from '../common/principal';

/** Role for `@Authorized(PLATFORM)`: operations no business key may run. */
export const PLATFORM = 'PLATFORM';

/**
 * Resolves the request's key once per request/operation and caches the principal on the
 * context. Unknown, malformed and revoked keys all end in the same null.
 */
export async function resolvePrincipal(ctx: RequestContext, authenticator: ApiKeyAuthenticator): Promise<Principal | null> {
  if (ctx.principal === undefined) {
    ctx.principal = ctx.apiKey ? await authenticator.authenticate(ctx.apiKey, ctx.clientIp) : null;
  }
  return ctx.principal;
}

/**
 * The one guard of the admin API (type-graphql `authChecker`). `@Authorized()`: any valid key;
 * `@Authorized(PLATFORM)`: platform keys only. Business scope (which business a key may touch)
 * is checked by services with `assertCanAccessBusiness`, because it depends on arguments.
 */
export function createAuthChecker(authenticator: ApiKeyAuthenticator): AuthChecker<RequestContext> {
  return async ({ context }, roles) => {
    const principal = await resolvePrincipal(context, authenticator);
    if (!principal) throw new UnauthenticatedError();
    if (roles.includes(PLATFORM) && principal.kind !== 'platform') {
      throw new ForbiddenError('This operation needs a platform API key');
    }
    return true;
  };
}
