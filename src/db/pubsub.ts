// Events over Postgres LISTEN/NOTIFY. Publishing inside a transaction delivers the event
// only if that transaction commits, so subscribers never see a state that was rolled back,
// and every API/scheduler/worker process sees every event without another broker.
import pg from "pg";
import { type Batcher, createBatcher } from "./batcher.ts";

const CHANNEL = "autoscorer_events";
/** Postgres rejects NOTIFY payloads of 8000 bytes or more. */
const MAX_PAYLOAD_BYTES = 7900;

export interface EventEnvelope {
  topic: string;
  /** Routing key inside the topic (a job id, tenant id, competition id …). */
  key: string;
  data: unknown;
}

/** Anything that can run SQL: a pg pool/client or a Prisma transaction. */
export type SqlRunner =
  | { query(text: string, values: unknown[]): Promise<unknown> }
  | { $executeRawUnsafe(text: string, ...values: unknown[]): Promise<unknown> };

export function encodeEvent(event: EventEnvelope): string {
  const text = JSON.stringify(event);
  if (Buffer.byteLength(text) > MAX_PAYLOAD_BYTES) {
    throw new RangeError(`event ${event.topic} is larger than a NOTIFY payload allows`);
  }
  return text;
}

export async function publish(runner: SqlRunner, event: EventEnvelope): Promise<void> {
  if ("query" in runner) return publishMany(runner, [event]);
  await runner.$executeRawUnsafe("SELECT pg_notify($1, $2)", CHANNEL, encodeEvent(event));
}

/**
 * Transactions of the job pipeline (db/sql.ts inTransaction) collect their events here and
 * send them right after COMMIT, in the same round trip (commitAndNotify). A NOTIFY inside a
 * transaction takes a database-wide lock that is held through the commit's WAL flush, so
 * every notifying transaction would commit one after another; sent after commit, a NOTIFY
 * writes no WAL and holds that lock for microseconds. Subscribers still see only committed
 * states.
 */
const outboxes = new WeakMap<object, EventEnvelope[]>();

export function openOutbox(transaction: object): void {
  outboxes.set(transaction, []);
}

/** Removes and returns what the transaction published (empty when it published nothing). */
export function takeOutbox(transaction: object): EventEnvelope[] {
  const events = outboxes.get(transaction) ?? [];
  outboxes.delete(transaction);
  return events;
}

// Counted rather than returned: pg_notify returns `void`, a type some drivers cannot read.
const NOTIFY_MANY =
  "SELECT count(*) FROM (SELECT pg_notify($1, payload) FROM unnest($2::text[]) AS payload) n";

/**
 * COMMIT, then the transaction's events, as one simple query: Postgres runs what follows a
 * COMMIT in a string in a transaction of its own, after the commit, so the events cost no
 * round trip of their own and still leave only if the commit succeeded. A simple query
 * takes no parameters, so each payload travels as a literal escaped by the driver.
 */
export function commitAndNotify(events: readonly EventEnvelope[]): string {
  if (events.length === 0) return "COMMIT";
  const payloads = events.map((event) => pg.escapeLiteral(encodeEvent(event))).join(", ");
  return `COMMIT; SELECT count(*) FROM (SELECT pg_notify('${CHANNEL}', payload)
    FROM unnest(ARRAY[${payloads}]::text[]) AS payload) n`;
}

/**
 * Whether an error of commitAndNotify's query came from its NOTIFY (a payload over the
 * limit, a full notification queue) rather than its COMMIT: the commit then stands, and
 * only the events were lost. A COMMIT of this platform's transactions fails otherwise
 * only with a lost connection (no constraint is deferred, every transaction reads
 * committed).
 */
export function isNotifyFailure(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "22023" || code === "54000";
}

/** Sends events now, outside any transaction. */
export async function notifyNow(
  runner: { query(text: string, values: unknown[]): Promise<unknown> },
  events: readonly EventEnvelope[],
): Promise<void> {
  if (events.length > 0) await runner.query(NOTIFY_MANY, [CHANNEL, events.map(encodeEvent)]);
}

/**
 * Sends the events of committed transactions (what inTransaction does after COMMIT), merged
 * with those of other transactions on the same pool committing meanwhile: one statement
 * for many transactions, and none on the committing transaction's own connection, which
 * goes back to the pool at once. Resolves when the events are sent.
 */
export function notifyAfterCommit(pool: pg.Pool, events: readonly EventEnvelope[]): Promise<void> {
  if (events.length === 0) return Promise.resolve();
  let notifier = notifiers.get(pool);
  if (!notifier) {
    notifier = createBatcher<readonly EventEnvelope[], void>(
      async (batches) => {
        await notifyNow(pool, batches.flat());
        return batches.map(() => undefined);
      },
      { maxItems: 256, maxDelayMs: 0, maxInFlight: 1 },
    );
    notifiers.set(pool, notifier);
  }
  return notifier.add(events);
}

/** One notifier per pool: the pool is what the events' transactions committed through. */
const notifiers = new WeakMap<pg.Pool, Batcher<readonly EventEnvelope[], void>>();

/**
 * Publishes events with one statement (a scheduler pass moves hundreds of jobs), or, inside
 * an inTransaction transaction, queues them to be sent once it commits.
 */
export async function publishMany(
  runner: { query(text: string, values: unknown[]): Promise<unknown> },
  events: readonly EventEnvelope[],
): Promise<void> {
  const outbox = outboxes.get(runner);
  if (outbox) {
    for (const event of events) encodeEvent(event); // refuse an oversized event now, not after commit
    outbox.push(...events);
    return;
  }
  // A statement on the pool itself committed on its own; its events join the pool's notifier.
  if (runner instanceof pg.Pool) return notifyAfterCommit(runner, events);
  await notifyNow(runner, events);
}

type Listener = (event: EventEnvelope) => void;

export interface Subscriber {
  /** Calls `listener` for every event of `topic` (and `key`, when given) until unsubscribed. */
  on(topic: string, key: string | undefined, listener: Listener): () => void;
  /** Async iterator form for GraphQL subscriptions; ends when `signal` aborts. */
  iterate<T>(topic: string, key: string | undefined, signal?: AbortSignal): AsyncIterable<T>;
  /** Resolves once LISTEN is in place (after a reconnect too). */
  ready(): Promise<void>;
  /** Listeners registered now: a gauge for leaks, and for tests. */
  listenerCount(): number;
  close(): Promise<void>;
}

export function createSubscriber(
  /** A URL, or connection settings (the session role). */
  connection: string | pg.ClientConfig,
  log: (message: string, error?: unknown) => void = () => {},
): Subscriber {
  const listeners = new Map<string, Set<Listener>>();
  let client: pg.Client | undefined;
  let closed = false;
  let readyPromise: Promise<void>;
  let retryMs = 100;

  const deliver = (message: pg.Notification) => {
    if (!message.payload) return;
    let event: EventEnvelope;
    try {
      event = JSON.parse(message.payload) as EventEnvelope;
    } catch (error) {
      log("dropped an undecodable event", error);
      return;
    }
    for (const id of [`${event.topic}:${event.key}`, `${event.topic}:*`]) {
      for (const listener of listeners.get(id) ?? []) listener(event);
    }
  };

  const connect = async (): Promise<void> => {
    const next = new pg.Client(connection);
    next.on("notification", deliver);
    next.on("error", (error) => {
      log("event listener connection failed; reconnecting", error);
      if (client === next) client = undefined;
      next.end().catch(() => {});
      if (!closed) readyPromise = reconnect();
    });
    await next.connect();
    await next.query(`LISTEN ${CHANNEL}`);
    client = next;
    retryMs = 100;
  };

  const reconnect = async (): Promise<void> => {
    while (!closed) {
      try {
        await connect();
        return;
      } catch (error) {
        log(`event listener reconnect failed; retrying in ${retryMs} ms`, error);
        await new Promise((resolve) => setTimeout(resolve, retryMs));
        retryMs = Math.min(retryMs * 2, 5000);
      }
    }
  };

  readyPromise = connect();

  const on = (topic: string, key: string | undefined, listener: Listener) => {
    const id = `${topic}:${key ?? "*"}`;
    const set = listeners.get(id) ?? new Set<Listener>();
    listeners.set(id, set);
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) listeners.delete(id);
    };
  };

  // A hand-written iterator rather than an async generator: a generator parked on `await`
  // cannot be returned early, so a client that unsubscribes would leak until the next event.
  const iterate = <T>(topic: string, key: string | undefined, signal?: AbortSignal) => {
    const queue: T[] = [];
    let pending: ((result: IteratorResult<T>) => void) | undefined;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      off();
      signal?.removeEventListener("abort", finish);
      pending?.({ value: undefined, done: true });
      pending = undefined;
    };
    const off = on(topic, key, (event) => {
      const value = event.data as T;
      if (pending) {
        pending({ value, done: false });
        pending = undefined;
      } else queue.push(value);
    });
    signal?.addEventListener("abort", finish);
    if (signal?.aborted) finish();
    const iterator: AsyncIterableIterator<T> = {
      next: () => {
        if (queue.length > 0) return Promise.resolve({ value: queue.shift() as T, done: false });
        if (done) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => {
          pending = resolve;
        });
      },
      return: () => {
        finish();
        return Promise.resolve({ value: undefined, done: true });
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  };

  return {
    on,
    iterate,
    ready: () => readyPromise,
    listenerCount: () => [...listeners.values()].reduce((sum, set) => sum + set.size, 0),
    close: async () => {
      closed = true;
      await client?.end().catch(() => {});
    },
  };
}
