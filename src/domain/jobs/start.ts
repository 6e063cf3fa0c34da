// A worker starting the attempts the scheduler sent it: QUEUED → RUNNING under a lease, for
// a whole fetched batch in one statement, which needs no transaction of its own. Fenced on
// the attempt: a message for an attempt that was cancelled or re-placed meanwhile starts
// nothing.
import type { Sql } from "../../db/sql.ts";
import type { JobRow } from "./job-row.ts";
import { moveJobs } from "./lifecycle.ts";
import type { DispatchPayload } from "./queues.ts";

export async function startAttempts(
  sql: Sql,
  attempts: readonly DispatchPayload[],
  leaseMs: number,
): Promise<JobRow[]> {
  if (attempts.length === 0) return [];
  return moveJobs(
    sql,
    attempts.map((a) => ({ jobId: a.jobId, attempt: a.attempt, to: "RUNNING", leaseMs })),
  );
}
