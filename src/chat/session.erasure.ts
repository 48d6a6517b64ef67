import type { Logger } from '../observability/logger';
import type { SealedSession, SessionStore } from './session.store';

/**
 * Something outside the session's own Redis keys that holds a visitor's data and must go when
 * the session is erased (queued job payloads, Postgres conversation records, …). The
 * composition root registers one per feature on {@link SessionErasure}.
 *
 * Called with sealed sessions (no write to them succeeds any more), in batches: one session for
 * `endSession`, up to a few hundred at a time for `deleteBusiness`. Must be idempotent: after a
 * failure the same sessions are handed over again by the next attempt. A thrown error stops the
 * erasure before the session's Redis keys are deleted, so the caller can retry.
 */
export interface SessionEraser {
  /** For logs. */
  readonly name: string;
  eraseSessions(sessions: readonly SealedSession[]): Promise<void>;
}

/**
 * Erasure of visitor sessions (`endSession`, `deleteBusiness`): seal (one Lua script: every
 * later write to the sessions fails, so a reply still generating stores nothing), then every
 * registered {@link SessionEraser} in registration order, then the session's Redis keys and
 * every key its index names (one Lua script: reply streams, heartbeats, parked audio).
 *
 * Failures midway: Redis down at the seal → nothing changed, the caller gets the error. An
 * eraser failing (Redis or Postgres down) → the session stays sealed: visitors see it as ended
 * (NOT_FOUND), its keys keep their TTL, and the next `endSession` of the same id (sealed
 * sessions are still found for erasure) or `deleteBusiness` runs every step again.
 */
export class SessionErasure {
  private readonly erasers: SessionEraser[] = [];

  constructor(
    private readonly sessions: SessionStore,
    private readonly logger: Logger,
  ) {}

  /** Adds an eraser; they run in the order registered. */
  register(eraser: SessionEraser): this {
    this.erasers.push(eraser);
    return this;
  }

  /** Erases one session; false when it did not exist (or was already erased). */
  async eraseSession(id: string): Promise<boolean> {
    const sealed = await this.sessions.seal([id]);
    if (sealed.length === 0) return false;
    await this.run(sealed);
    return true;
  }

  /**
   * Erases every session of a business from its session set, batch by batch (no keyspace
   * SCAN), then the set itself. Returns how many sessions existed.
   */
  async eraseBusiness(businessId: string, batch = 500): Promise<number> {
    let erased = 0;
    for await (const ids of this.sessions.businessSessions(businessId, batch)) {
      const sealed = (await this.sessions.seal(ids)).filter((s) => s.businessId === businessId);
      await this.run(sealed);
      // Ids of sessions that expired on their own: nothing to seal, nothing left to erase.
      erased += sealed.length;
    }
    await this.sessions.forgetBusiness(businessId);
    return erased;
  }

  private async run(sealed: SealedSession[]): Promise<void> {
    if (sealed.length === 0) return;
    for (const eraser of this.erasers) {
      try {
        await eraser.eraseSessions(sealed);
      } catch (err) {
        this.logger.warn('session eraser failed; the sessions stay sealed until erased again', { eraser: eraser.name, sessions: sealed.length, error: String(err) });
        throw err;
      }
    }
    await this.sessions.erase(sealed.map((s) => s.id));
  }
}
