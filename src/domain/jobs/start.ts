// A worker starting the attempts the scheduler sent it: QUEUED → RUNNING under a lease, for
// a whole fetched batch in one statement that also writes their events, so it needs no
// transaction of its own. Fenced on the attempt: a message for an attempt that was
// cancelled or re-placed meanwhile starts nothing.

import { prepared } from "../../db/prepared.ts";
import { publishMany } from "../../db/pubsub.ts";
import type { Sql } from "../../db/sql.ts";
import { type JobRow, jobColumns } from "./job-row.ts";
import type { DispatchPayload } from "./queues.ts";
import { jobStateEvents } from "./transitions.ts";

const START_ATTEMPTS = prepared(
  "job.start-attempts",
  `WITH started AS (
       UPDATE "Job" AS j SET state = 'RUNNING', "startedAt" = now(),
         "leaseExpiresAt" = now() + make_interval(secs => $3::float8 / 1000)
       FROM unnest($1::uuid[], $2::int[]) AS a(id, attempt)
       WHERE j.id = a.id AND j.attempt = a.attempt AND j.state = 'QUEUED'
       RETURNING ${jobColumns("j")}),
     event AS (
       INSERT INTO "JobEvent" ("jobId", attempt, "fromState", "toState")
       SELECT id, attempt, 'QUEUED', 'RUNNING' FROM started)
     SELECT * FROM started`,
);

export async function startAttempts(
  sql: Sql,
  attempts: readonly DispatchPayload[],
  leaseMs: number,
): Promise<JobRow[]> {
  if (attempts.length === 0) return [];
  const { rows } = await sql.query<JobRow>(
    START_ATTEMPTS([attempts.map((a) => a.jobId), attempts.map((a) => a.attempt), leaseMs]),
  );
  await publishMany(
    sql,
    rows.flatMap((row) => jobStateEvents(row, "QUEUED")),
  );
  return rows;
}
