// Groups items that arrive close together into one flush: a worker finishing hundreds of
// jobs a second writes their outcomes in a few transactions, not one each. Each `add`
// resolves (or rejects) with the flush that carried its item.

export interface Batcher<T, R> {
  add(item: T): Promise<R>;
}

export function createBatcher<T, R>(
  flush: (items: T[]) => Promise<R[]>,
  options: { maxItems: number; maxDelayMs: number },
): Batcher<T, R> {
  let pending: Array<{ item: T; resolve: (r: R) => void; reject: (e: unknown) => void }> = [];
  let timer: NodeJS.Timeout | null = null;

  const run = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    const batch = pending;
    pending = [];
    flush(batch.map((entry) => entry.item)).then(
      (results) => {
        batch.forEach((entry, i) => {
          entry.resolve(results[i] as R);
        });
      },
      (error: unknown) => {
        for (const entry of batch) entry.reject(error);
      },
    );
  };

  return {
    add(item) {
      return new Promise<R>((resolve, reject) => {
        pending.push({ item, resolve, reject });
        if (pending.length >= options.maxItems) run();
        else timer ??= setTimeout(run, options.maxDelayMs);
      });
    },
  };
}
