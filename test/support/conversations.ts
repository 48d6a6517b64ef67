import type { Core } from '../../src/core';

/**
 * Drains the chat event stream into Postgres until `done()` holds. Chat records events without
 * awaiting them (the turn must not wait), so the reply's event may reach Redis a moment after
 * the reply's last chunk: this waits for the records to be there, not for a fixed time.
 */
export async function drainUntil(core: Pick<Core, 'conversations'>, done: () => Promise<boolean>, what = 'conversation records'): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    await core.conversations.tasks.drain();
    if (await done()) return;
    if (Date.now() > deadline) throw new Error(`${what} did not arrive`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Rows of a query on the core's database (test assertions on what the worker stored). */
export async function rows<T = Record<string, unknown>>(core: Pick<Core, 'orm'>, sql: string, bindings: unknown[] = []): Promise<T[]> {
  const res = await core.orm.em.getKnex().raw<{ rows: T[] }>(sql, bindings as never);
  return res.rows;
}
