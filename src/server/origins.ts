/**
 * The browser-origin allow-list from ALLOWED_ORIGINS, shared by CORS and the WebSocket
 * upgrade. A request without an Origin header is not a browser cross-origin request and is
 * let through (CORS does not apply to it); a present Origin must match exactly.
 */
export class OriginPolicy {
  private readonly any: boolean;
  private readonly origins: ReadonlySet<string>;

  constructor(allowed: readonly string[]) {
    this.any = allowed.includes('*');
    this.origins = new Set(allowed);
  }

  isAllowed(origin: string | undefined | null): boolean {
    if (origin === undefined || origin === null) return true;
    return this.any || this.origins.has(origin);
  }
}
