// The async iterator a GraphQL subscription reads: a feed pushes values as they happen,
// the subscription pulls them. Bounded, because a slow client must never grow the server's
// memory: past `capacity`, a queue either drops its oldest values and tells the consumer
// how many with the next one (log output, where the workspace keeps everything; snapshots,
// where only the latest matters), or ends with an error (job updates, where a silent gap
// would mislead; the client resumes from its cursor).
//
// A class rather than closures or an async generator: thousands of live subscriptions each
// hold one, so its methods live once on the prototype; and a generator parked on `await`
// cannot be returned early, so an unsubscribing client would hold its listeners until the
// next value.
import { AppError } from "../domain/errors.ts";

export type OverflowPolicy = "drop-oldest" | "end";

export interface LiveQueueOptions<T> {
  capacity: number;
  overflow: OverflowPolicy;
  /** Called once when the iteration ends, however it ends: the feed stops pushing here. */
  onClose?: () => void;
  /** drop-oldest: how the next value taken tells of the values dropped before it. */
  annotate?: (value: T, dropped: number) => T;
}

/** The last value of a queue that ended with an error, when the consumer wants it as one. */
export interface Ended {
  ended: Error;
}

/** A subscriber that fell further behind than its queue holds; it resumes from its cursor. */
export class SlowConsumerError extends AppError {
  constructor() {
    super("INVALID_STATE", "the client fell too far behind; subscribe again with `after`");
  }
}

type Waiting<T> = { resolve: (r: IteratorResult<T | Ended>) => void };

export class LiveQueue<T> implements AsyncIterableIterator<T | Ended> {
  private readonly queue: T[] = [];
  private dropped = 0;
  private done = false;
  private failure: Error | undefined;
  private waiting: Waiting<T> | null = null;
  private closeListeners: Array<() => void> = [];

  constructor(private readonly options: LiveQueueOptions<T>) {}

  get ended(): boolean {
    return this.done;
  }

  /** Calls `listener` once the iteration has ended (at once if it has). */
  onClose(listener: () => void): void {
    if (this.done) listener();
    else this.closeListeners.push(listener);
  }

  push(value: T): void {
    if (this.done) return;
    if (this.queue.length >= this.options.capacity) {
      if (this.options.overflow === "end") {
        this.end(new SlowConsumerError());
        return;
      }
      this.queue.shift();
      this.dropped += 1;
    }
    this.queue.push(value);
    this.settle();
  }

  /** Ends the iteration after what is queued; with an error, the consumer gets it last. */
  end(error?: Error): void {
    if (this.done) return;
    this.failure = error;
    this.close();
    this.settle();
  }

  /**
   * The next value; after an end with an error, that error once as an `Ended` value (a
   * subscription raises it as a typed GraphQL error), then the end.
   */
  next(): Promise<IteratorResult<T | Ended>> {
    if (this.queue.length > 0 || this.done) return Promise.resolve(this.result());
    return new Promise((resolve) => {
      this.waiting = { resolve };
    });
  }

  /** Stops the iteration at once (the consumer unsubscribed, or setting up failed). */
  return(): Promise<IteratorResult<T | Ended>> {
    this.queue.length = 0;
    this.close();
    const parked = this.waiting;
    this.waiting = null;
    parked?.resolve({ value: undefined, done: true });
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** The next queued value, annotated with the drops before it. */
  private take(): T {
    const value = this.queue.shift() as T;
    if (this.dropped === 0 || !this.options.annotate) return value;
    const annotated = this.options.annotate(value, this.dropped);
    this.dropped = 0;
    return annotated;
  }

  private result(): IteratorResult<T | Ended> {
    if (this.queue.length > 0) return { value: this.take(), done: false };
    const failure = this.failure;
    if (failure) {
      this.failure = undefined;
      return { value: { ended: failure }, done: false };
    }
    return { value: undefined, done: true };
  }

  private settle(): void {
    const waiting = this.waiting;
    if (!waiting || (this.queue.length === 0 && !this.done)) return;
    this.waiting = null;
    waiting.resolve(this.result());
  }

  private close(): void {
    if (this.done) return;
    this.done = true;
    this.options.onClose?.();
    for (const listener of this.closeListeners) listener();
    this.closeListeners = [];
  }
}

export const createLiveQueue = <T>(options: LiveQueueOptions<T>): LiveQueue<T> =>
  new LiveQueue(options);
