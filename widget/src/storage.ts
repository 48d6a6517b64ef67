/**
 * What the widget keeps in the visitor's browser, per business (localStorage key
 * `warmprospect-chat:<businessId>`): the session id, so a page load continues the same
 * conversation, and the reply being streamed, so a reload mid-reply shows it to the end.
 * Where storage is unavailable (privacy modes), it is kept in memory for the page's life.
 */

export interface StoredChat {
  sessionId?: string;
  /** A reply that had not finished when it was last seen. */
  pendingReplyId?: string;
  /**
   * The visitor's thumbs on this session's answers, by message id, so the pressed button is
   * shown again after a reload (the public session query does not return ratings). The newest
   * {@link MAX_RATINGS} are kept.
   */
  ratings?: Record<string, 'UP' | 'DOWN'>;
}

export const MAX_RATINGS = 100;

const memory = new Map<string, StoredChat>();

export class ChatStorage {
  private readonly key: string;

  constructor(businessId: string) {
    this.key = `warmprospect-chat:${businessId}`;
  }

  read(): StoredChat {
    try {
      const raw = window.localStorage.getItem(this.key);
      if (raw) {
        const parsed: unknown = JSON.parse(raw);
        if (parsed && typeof parsed === 'object') return parsed; // every field is optional
      }
      return {};
    } catch {
      return memory.get(this.key) ?? {};
    }
  }

  update(change: Partial<StoredChat>): void {
    const next = { ...this.read(), ...change };
    for (const k of Object.keys(next) as Array<keyof StoredChat>) if (next[k] === undefined) delete next[k];
    try {
      window.localStorage.setItem(this.key, JSON.stringify(next));
    } catch {
      memory.set(this.key, next);
    }
  }

  clear(): void {
    try {
      window.localStorage.removeItem(this.key);
    } catch {
      memory.delete(this.key);
    }
  }
}
