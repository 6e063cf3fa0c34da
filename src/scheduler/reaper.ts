// Recovery: a placed job whose lease ran out has lost its worker (killed, stopped, cut
// off). Its attempt ends EXECUTOR_UNAVAILABLE — retried after a backoff while attempts
// remain — and counts against the node's breaker. Bumping the attempt on re-admission is
// what makes the lost worker's late report, should it ever come, change nothing.
import type { Sql } from "../db/sql.ts";
import { failAttempts } from "../domain/jobs/finish.ts";
import type { JobRow } from "../domain/jobs/job-row.ts";
import { PLACED_STATES, sqlStates } from "../domain/jobs/lifecycle.ts";
import type { BackoffSettings } from "../domain/jobs/retry-policy.ts";
import { type BreakerSettings, recordNodeFailures } from "../domain/nodes/nodes.ts";
import type { JobState } from "../generated/prisma/enums.ts";

export interface ReaperSettings {
  backoff: BackoffSettings;
  breaker: BreakerSettings;
  /** Most jobs reaped in one pass; the rest wait for the next. */
  batch: number;
}

/** Returns the jobs whose attempt it ended, as they now are (waiting again, or FAILED). */
export async function reapExpiredLeases(tx: Sql, settings: ReaperSettings): Promise<JobRow[]> {
  const { rows } = await tx.query<{
    id: string;
    attempt: number;
    state: JobState;
    executorNodeId: string | null;
  }>(
    `SELECT id, attempt, state, "executorNodeId" FROM "Job"
     WHERE state IN ${sqlStates(PLACED_STATES)} AND "leaseExpiresAt" < now()
     ORDER BY "leaseExpiresAt" LIMIT $1 FOR UPDATE SKIP LOCKED`,
    [settings.batch],
  );
  if (rows.length === 0) return [];
  const ended = await failAttempts(
    tx,
    rows.map((job) => ({
      jobId: job.id,
      attempt: job.attempt,
      code: "EXECUTOR_UNAVAILABLE",
      message:
        job.state === "QUEUED"
          ? "the executor node did not start the job in time"
          : "the worker stopped renewing the job's lease",
      from: [job.state],
    })),
    settings.backoff,
  );
  await recordNodeFailures(
    tx,
    rows.flatMap((job) => (job.executorNodeId ? [job.executorNodeId] : [])),
    settings.breaker,
  );
  return ended;
}
