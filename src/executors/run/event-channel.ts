// The stream of a run's events between a backend (the producer) and the worker (the one
// consumer). Bounded: log lines that arrive while the consumer is `capacity` events behind
// are counted, not kept, and the consumer gets one `dropped` event for them, so a job that
// prints gigabytes cannot grow the worker's memory. Phase and usage events are never
// dropped (there are few of them); container.log keeps every line up to its own cap.
import type { RunEvent } from "../types.ts";

export interface EventChannel {
  push(event: RunEvent): void;
  /** No more events; the iterator ends once the consumer has taken what is queued. */
  end(): void;
  readonly events: AsyncIterable<RunEvent>;
}

export function createEventChannel(capacity = 2000): EventChannel {
  const queue: RunEvent[] = [];
  let ended = false;
  let waiting: ((result: IteratorResult<RunEvent>) => void) | null = null;
  let taken = false;

  const next = (): IteratorResult<RunEvent> | null => {
    const event = queue.shift();
    if (event) return { value: event, done: false };
    return ended ? { value: undefined, done: true } : null;
  };

  const wake = () => {
    if (!waiting) return;
    const result = next();
    if (!result) return;
    const resolve = waiting;
    waiting = null;
    resolve(result);
  };

  const iterator: AsyncIterableIterator<RunEvent> = {
    next: () => {
      const result = next();
      if (result) return Promise.resolve(result);
      return new Promise((resolve) => {
        waiting = resolve;
      });
    },
    // A consumer that stops reading lets the producer go on without buffering for it.
    return: () => {
      ended = true;
      queue.length = 0;
      return Promise.resolve({ value: undefined, done: true });
    },
    [Symbol.asyncIterator]: () => {
      if (taken) throw new Error("a run's events have one consumer");
      taken = true;
      return iterator;
    },
  };

  return {
    push(event) {
      if (ended) return;
      if (event.type === "log" && queue.length >= capacity) {
        // Where the lines went missing, in order: one marker per stretch of dropped lines.
        const last = queue.at(-1);
        if (last?.type === "dropped") last.lines += 1;
        else queue.push({ type: "dropped", lines: 1, at: event.at });
      } else queue.push(event);
      wake();
    },
    end() {
      ended = true;
      wake();
    },
    events: iterator,
  };
}
