// The async iterator a GraphQL subscription reads: a feed pushes values as they happen,
// the subscription pulls them. Bounded, because a slow client must never grow the server's
// memory: past `capacity`, a queue either drops its oldest values and tells the consumer
// how many with the next one (log output, where the workspace keeps everything; snapshots,
// where only the latest matters), or ends with an error (job updates, where a silent gap
// would mislead; the client resumes from its cursor). Hand-written rather than an async generator:
// a generator parked on `await` cannot be returned early, so an unsubscribing client would
// hold its listeners until the next value.

import { AppError } from "../domain/errors.ts";

export type OverflowPolicy = "drop-oldest" | "end";

export interface LiveQueue<T> extends AsyncIterableIterator<T> {
  push(value: T): void;
  /** Stops the iteration at once (the consumer unsubscribed, or setting up failed). */
  return(): Promise<IteratorResult<T>>;
  /** Ends the iteration after what is queued; with an error, the consumer's next pull throws it. */
  end(error?: Error): void;
  readonly ended: boolean;
  /** Resolves when the iteration has ended, however it ended. */
  readonly closed: Promise<void>;
}

export interface LiveQueueOptions<T> {
  capacity: number;
  overflow: OverflowPolicy;
  /** Called once when the iteration ends, however it ends: the feed stops pushing here. */
  onClose?: () => void;
  /** drop-oldest: how the next value taken tells of the values dropped before it. */
  annotate?: (value: T, dropped: number) => T;
}

/** A subscriber that fell further behind than its queue holds; it resumes from its cursor. */
export class SlowConsumerError extends AppError {
  constructor() {
    super("INVALID_STATE", "the client fell too far behind; subscribe again with `after`");
  }
}

export function createLiveQueue<T>(options: LiveQueueOptions<T>): LiveQueue<T> {
  const queue: T[] = [];
  let dropped = 0;
  let ended = false;
  let failure: Error | undefined;
  let waiting: { resolve: (r: IteratorResult<T>) => void; reject: (e: Error) => void } | null =
    null;

  let markClosed = () => {};
  const closed = new Promise<void>((resolve) => {
    markClosed = resolve;
  });
  const close = () => {
    if (ended) return;
    ended = true;
    options.onClose?.();
    markClosed();
  };

  /** The next queued value, annotated with the drops before it. */
  const take = (): T => {
    const value = queue.shift() as T;
    if (dropped === 0 || !options.annotate) return value;
    const annotated = options.annotate(value, dropped);
    dropped = 0;
    return annotated;
  };

  const settleWaiting = () => {
    if (!waiting) return;
    const { resolve, reject } = waiting;
    if (queue.length > 0) {
      waiting = null;
      resolve({ value: take(), done: false });
    } else if (ended) {
      waiting = null;
      if (failure) reject(failure);
      else resolve({ value: undefined, done: true });
    }
  };

  const iterator: LiveQueue<T> = {
    push(value) {
      if (ended) return;
      if (queue.length >= options.capacity) {
        if (options.overflow === "end") {
          iterator.end(new SlowConsumerError());
          return;
        }
        queue.shift();
        dropped += 1;
      }
      queue.push(value);
      settleWaiting();
    },
    end(error) {
      if (ended) return;
      failure = error;
      close();
      settleWaiting();
    },
    get ended() {
      return ended;
    },
    closed,
    next() {
      if (queue.length > 0) return Promise.resolve({ value: take(), done: false });
      if (ended) {
        if (failure) {
          const error = failure;
          failure = undefined;
          return Promise.reject(error);
        }
        return Promise.resolve({ value: undefined, done: true });
      }
      return new Promise((resolve, reject) => {
        waiting = { resolve, reject };
      });
    },
    return() {
      queue.length = 0;
      close();
      const parked = waiting;
      waiting = null;
      parked?.resolve({ value: undefined, done: true });
      return Promise.resolve({ value: undefined, done: true });
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
