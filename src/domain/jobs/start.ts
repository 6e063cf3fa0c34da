// A worker starting the attempts the scheduler sent it: QUEUED → RUNNING under a lease, for
// a whole fetched batch in one transaction of set-based statements. Fenced on the attempt:
// a message for an attempt that was cancelled or re-placed meanwhile starts nothing.
import { publishMany } from "../../db/pubsub.ts";
import type { Sql } from "../../db/sql.ts";
import type { JobRow } from "./job-row.ts";
import type { DispatchPayload } from "./queues.ts";
import { jobStateEvents, recordJobEvents } from "./transitions.ts";

export async function startAttempts(
  tx: Sql,
  attempts: readonly DispatchPayload[],
  leaseMs: number,
): Promise<JobRow[]> {
  if (attempts.length === 0) return [];
  const { rows } = await tx.query<JobRow>(
    `UPDATE "Job" AS j SET state = 'RUNNING', "startedAt" = now(),
       "leaseExpiresAt" = now() + make_interval(secs => $3::float8 / 1000)
     FROM unnest($1::uuid[], $2::int[]) AS a(id, attempt)
     WHERE j.id = a.id AND j.attempt = a.attempt AND j.state = 'QUEUED'
     RETURNING j.*`,
    [attempts.map((a) => a.jobId), attempts.map((a) => a.attempt), leaseMs],
  );
  if (rows.length === 0) return rows;
  await recordJobEvents(
    tx,
    rows.map((row) => ({ jobId: row.id, attempt: row.attempt, from: "QUEUED", to: "RUNNING" })),
  );
  await publishMany(
    tx,
    rows.flatMap((row) => jobStateEvents(row, "QUEUED")),
  );
  return rows;
}
