// Plain SQL on the shared pg pool, for the hot paths of the job pipeline. Prisma 6 spends
// about 0.4 ms of CPU compiling each query (see BENCHMARKS.md); submission, admission and
// completion run thousands of times a second, so they speak SQL directly.
import type pg from "pg";
import { commitAndNotify, isNotifyFailure, openOutbox, takeOutbox } from "./pubsub.ts";

/** Anything that runs a parameterised statement: a pool, a pooled client, a transaction. */
export interface Sql {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string | pg.QueryConfig,
    values?: unknown[],
  ): Promise<pg.QueryResult<R>>;
}

export interface TransactionOptions {
  /**
   * A statement sent together with BEGIN, in the same round trip (the transaction's locks,
   * say). It travels as simple-query text, so it takes no parameters: only constants and
   * values the caller has checked for their exact shape may appear in it.
   */
  beginWith?: string;
}

/**
 * Runs `fn` in one transaction on one pooled connection; rolls back on any throw. Events it
 * publishes (db/pubsub.ts) are sent after COMMIT, in the same round trip, and only if it
 * commits.
 */
export async function inTransaction<T>(
  pool: pg.Pool,
  fn: (tx: pg.PoolClient) => Promise<T>,
  options: TransactionOptions = {},
): Promise<T> {
  const client = await pool.connect();
  openOutbox(client);
  let value: T;
  let commit: string;
  try {
    await client.query(options.beginWith ? `BEGIN; ${options.beginWith}` : "BEGIN");
    value = await fn(client);
    commit = commitAndNotify(takeOutbox(client));
  } catch (error) {
    takeOutbox(client);
    await rollBackAndRelease(client);
    throw error;
  }
  try {
    await client.query(commit);
  } catch (error) {
    if (!isNotifyFailure(error)) {
      await rollBackAndRelease(client);
      throw error;
    }
    // The change is committed; only its live events were lost (subscribers re-read state).
    process.emitWarning(`events of a committed transaction were not sent: ${String(error)}`);
  }
  client.release();
  return value;
}

/**
 * A connection that cannot even roll back is broken: it goes back to the pool as such, so
 * the pool discards it instead of lending out a session stuck in a failed transaction.
 */
async function rollBackAndRelease(client: pg.PoolClient): Promise<void> {
  const rolledBack = await client.query("ROLLBACK").then(
    () => true,
    () => false,
  );
  client.release(rolledBack ? undefined : true);
}
