import type { Logger } from '../observability/logger';

/**
 * The one ordered list of what a process must close. Whatever opens a resource adds its
 * closer right away; `closeAll` runs them last-added first (what was opened last depends on
 * what was opened before it), logs and skips a closer that fails, and runs once.
 */
export class ShutdownList {
  private readonly steps: Array<{ name: string; close: () => Promise<unknown> }> = [];
  private closing: Promise<void> | undefined;

  constructor(private readonly logger: Logger) {}

  add(name: string, close: () => Promise<unknown>): void {
    this.steps.push({ name, close });
  }

  closeAll(): Promise<void> {
    this.closing ??= (async () => {
      for (const step of [...this.steps].reverse()) {
        await step.close().catch((err: unknown) => this.logger.warn('error while closing', { step: step.name, error: String(err) }));
      }
    })();
    return this.closing;
  }
}
