import { watch } from 'node:fs';

/**
 * Reads `read()` now and again on every change of `dir`'s entries (fs.watch: inotify on Linux)
 * until `done` holds for what it read, and resolves with that; after `timeoutMs`, with a last
 * read, so the caller's assertion shows what was there. Changes deeper down are not seen.
 */
export function whenDir<T>(dir: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 5000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let finished = false;
    let reading = false;
    let changedWhileReading = false;
    const finish = (outcome: () => void) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      watcher.close();
      outcome();
    };
    const check = async (): Promise<void> => {
      if (reading) {
        changedWhileReading = true;
        return;
      }
      reading = true;
      try {
        do {
          changedWhileReading = false;
          const value = await read();
          if (done(value)) return finish(() => resolve(value));
        } while (changedWhileReading && !finished);
      } catch (err) {
        finish(() => reject(asError(err)));
      } finally {
        reading = false;
      }
    };
    // Watch first, then read: a change between the two is seen by one or the other.
    const watcher = watch(dir, () => void check());
    watcher.on('error', (err) => finish(() => reject(err)));
    const timer = setTimeout(() => {
      read().then(
        (value) => finish(() => resolve(value)),
        (err: unknown) => finish(() => reject(asError(err))),
      );
    }, timeoutMs);
    void check();
  });
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
