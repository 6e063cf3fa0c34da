// The pg-boss queues of the job pipeline and their payloads. Every send takes the SQL
// handle of the caller's transaction, so a job row and the message about it commit together
// or not at all.
import type { Db, PgBoss } from "pg-boss";
import type { Sql } from "../../db/sql.ts";

/** One queue per executor node: the scheduler places a job, the node's worker runs it. */
export const nodeQueue = (nodeId: string): string => `executor-${nodeId}`;

/** What the scheduler sends to a node: the job and the attempt it was admitted as. */
export interface DispatchPayload {
  jobId: string;
  /** Fencing token: the worker's every write names it, and a stale attempt's writes miss. */
  attempt: number;
}

/** pg-boss runs its statements on the caller's connection (inside its transaction). */
export function bossDb(sql: Sql): Db {
  return { executeSql: (text, values) => sql.query(text, values) };
}

/** The narrow part of pg-boss the scheduler needs, so tests and tools can pass their own. */
export type Boss = Pick<PgBoss, "insert">;
