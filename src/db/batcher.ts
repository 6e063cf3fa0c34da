// Groups items that arrive close together into one flush, as a group commit does: a worker
// finishing hundreds of jobs a second writes their outcomes in a few transactions, and a
// burst of submissions shares transactions instead of paying a commit and a dozen round
// trips each. Each `add` resolves (or rejects) with the flush that carried its item.
//
// A flush starts when `maxItems` are waiting or `maxDelayMs` after the first one arrived.
// With `maxInFlight`, at most that many flushes run at once; items that arrive meanwhile
// wait for one to end and then leave together, so an idle batcher adds no delay (with
// `maxDelayMs: 0`) and a busy one makes batches as large as the load.
//
// A flush carries items of many callers, possibly of several tenants, so it runs as platform
// work (src/db/tenant-scope.ts), whichever caller's arrival started it.
import { withTenantScope } from "./tenant-scope.ts";

export interface Batcher<T, R> {
  add(item: T): Promise<R>;
}

export interface BatcherOptions {
  maxItems: number;
  maxDelayMs: number;
  maxInFlight?: number;
}

export function createBatcher<T, R>(
  flush: (items: T[]) => Promise<R[]>,
  options: BatcherOptions,
): Batcher<T, R> {
  let pending: Array<{ item: T; resolve: (r: R) => void; reject: (e: unknown) => void }> = [];
  let timer: NodeJS.Timeout | null = null;
  let inFlight = 0;
  const maxInFlight = options.maxInFlight ?? Number.POSITIVE_INFINITY;

  const run = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    while (pending.length > 0 && inFlight < maxInFlight) {
      const batch = pending.slice(0, options.maxItems);
      pending = pending.slice(batch.length);
      inFlight += 1;
      withTenantScope(null, () => flush(batch.map((entry) => entry.item)))
        .then(
          (results) => {
            batch.forEach((entry, i) => {
              entry.resolve(results[i] as R);
            });
          },
          (error: unknown) => {
            for (const entry of batch) entry.reject(error);
          },
        )
        .finally(() => {
          inFlight -= 1;
          if (pending.length > 0) run();
        });
    }
  };

  return {
    add(item) {
      return new Promise<R>((resolve, reject) => {
        pending.push({ item, resolve, reject });
        if (pending.length >= options.maxItems || options.maxDelayMs <= 0) run();
        else timer ??= setTimeout(run, options.maxDelayMs);
      });
    },
  };
}
