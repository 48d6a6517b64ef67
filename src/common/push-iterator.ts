/**
 * A minimal push-based async iterator: the producer calls `push`/`end`, one consumer pulls.
 * Used for subscriptions instead of Node's `events.on()` iterator, which measured about four
 * times the heap per subscription (DESIGN.md). `onClose` runs once, when the consumer stops
 * (return) or the iterator has ended and drained.
 */
export class PushIterator<T> implements AsyncIterableIterator<T> {
  private readonly queue: T[] = [];
  private waiter: ((result: IteratorResult<T>) => void) | null = null;
  private ended = false;
  private closed = false;

  constructor(private readonly onClose?: () => void) {}

  push(value: T): void {
    if (this.ended) return;
    if (this.waiter) {
      const resolve = this.waiter;
      this.waiter = null;
      resolve({ value, done: false });
    } else {
      this.queue.push(value);
    }
  }

  /** No more values; the consumer still receives what is queued. */
  end(): void {
    this.ended = true;
    if (this.waiter && this.queue.length === 0) {
      const resolve = this.waiter;
      this.waiter = null;
      this.close();
      resolve({ value: undefined, done: true });
    }
  }

  next(): Promise<IteratorResult<T>> {
    if (this.queue.length > 0) return Promise.resolve({ value: this.queue.shift() as T, done: false });
    if (this.ended) {
      this.close();
      return Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  return(): Promise<IteratorResult<T>> {
    this.ended = true;
    this.queue.length = 0;
    if (this.waiter) {
      const resolve = this.waiter;
      this.waiter = null;
      resolve({ value: undefined, done: true });
    }
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose?.();
  }
}
