// How an attempt ends. Successes record each job's one Result in the same transaction as
// the move to SUCCEEDED (a batch of them at once); a failure either sends the job back to wait (a retryable platform
// failure with attempts left, after a backoff) or ends it with its CONTRACT code. Both are
// fenced on the attempt, so a stale worker's late report changes nothing.

import { prepared } from "../../db/prepared.ts";
import { publishMany } from "../../db/pubsub.ts";
import type { Sql } from "../../db/sql.ts";
import type { JobState } from "../../generated/prisma/enums.ts";
import type { Result } from "../../scorers/index.ts";
import { type JobRow, jobColumns } from "./job-row.ts";
import { type BackoffSettings, isRetryable, retryDelayMs } from "./retry-policy.ts";
import { jobStateEvents, refundIfUncounted, transitionJob } from "./transitions.ts";

export interface AttemptFailure {
  jobId: string;
  attempt: number;
  /** A CONTRACT error code. */
  code: string;
  message: string;
  /** States the attempt may be in; a worker fails RUNNING jobs, the reaper QUEUED ones too. */
  from?: readonly JobState[];
}

/** The terminal state a failure code ends in when it is not retried. */
export function terminalStateFor(code: string): JobState {
  if (code === "TIME_LIMIT_EXCEEDED") return "TIMED_OUT";
  if (code === "CANCELLED") return "CANCELLED";
  return "FAILED";
}

/** Returns the job as it now is, or null when the attempt was no longer current. */
export async function failAttempt(
  tx: Sql,
  failure: AttemptFailure,
  backoff: BackoffSettings,
): Promise<JobRow | null> {
  const from = failure.from ?? ["RUNNING"];
  const {
    rows: [current],
  } = await tx.query<{ maxAttempts: number; cancelRequested: boolean }>(
    `SELECT "maxAttempts", "cancelRequested" FROM "Job" WHERE id = $1 AND attempt = $2`,
    [failure.jobId, failure.attempt],
  );
  if (!current) return null;
  const retry =
    isRetryable(failure.code) && failure.attempt < current.maxAttempts && !current.cancelRequested;
  if (retry) {
    const delay = retryDelayMs(failure.attempt, backoff);
    return transitionJob(tx, {
      jobId: failure.jobId,
      attempt: failure.attempt,
      from,
      to: "PENDING",
      errorCode: failure.code,
      message: `${failure.message}; attempt ${failure.attempt + 1} of ${current.maxAttempts} in ${delay} ms`,
      set: { notBefore: new Date(Date.now() + delay), leaseExpiresAt: null },
    });
  }
  // A job its owner asked to stop ends CANCELLED, whatever else went wrong on the way.
  const code = current.cancelRequested ? "CANCELLED" : failure.code;
  return transitionJob(tx, {
    jobId: failure.jobId,
    attempt: failure.attempt,
    from,
    to: terminalStateFor(code),
    errorCode: code,
    message: code === failure.code ? failure.message : `cancelled by request (${failure.message})`,
  });
}

export interface AttemptSuccess {
  jobId: string;
  attempt: number;
  result: Result;
}

const SUCCEED_ATTEMPTS = prepared(
  "job.succeed-attempts",
  `WITH done AS (
       UPDATE "Job" AS j SET state = 'SUCCEEDED', "finishedAt" = now(), "leaseExpiresAt" = NULL,
         "errorCode" = NULL, "errorMessage" = NULL
       FROM unnest($1::uuid[], $2::int[]) AS a(id, attempt)
       WHERE j.id = a.id AND j.attempt = a.attempt AND j.state = 'RUNNING'
       RETURNING ${jobColumns("j")}, (SELECT c."countedStates"::text[] FROM "Competition" c
                       WHERE c.id = j."competitionId") AS "countedStates"),
     outcome AS (
       SELECT done.id, done.attempt, o.message, o.score, o.summary, o.metrics, o.artifacts,
              o.timing, o.versioning
       FROM done JOIN unnest($1::uuid[], $3::text[], $4::float8[], $5::jsonb[], $6::jsonb[],
                             $7::jsonb[], $8::jsonb[], $9::jsonb[])
         AS o(id, message, score, summary, metrics, artifacts, timing, versioning)
         ON o.id = done.id),
     event AS (
       INSERT INTO "JobEvent" ("jobId", attempt, "fromState", "toState", message)
       SELECT id, attempt, 'RUNNING', 'SUCCEEDED', message FROM outcome),
     result AS (
       INSERT INTO "Result" ("jobId", attempt, score, summary, metrics, artifacts, timing,
                             versioning)
       SELECT id, attempt, score, summary, metrics, artifacts, timing, versioning FROM outcome
       ON CONFLICT ("jobId") DO UPDATE SET attempt = EXCLUDED.attempt, score = EXCLUDED.score,
         summary = EXCLUDED.summary, metrics = EXCLUDED.metrics, artifacts = EXCLUDED.artifacts,
         timing = EXCLUDED.timing, versioning = EXCLUDED.versioning, "createdAt" = now())
     SELECT * FROM done`,
);

/**
 * Records SUCCEEDED and the one Result of each attempt still current, for a whole batch of
 * finished attempts in one statement (and a refund where a competition asks). Returns the ids it recorded; the others
 * were stale (another attempt owns the job) and change nothing.
 */
export async function succeedAttempts(
  tx: Sql,
  successes: readonly AttemptSuccess[],
): Promise<Set<string>> {
  if (successes.length === 0) return new Set();
  // The move, its events and the Results in one statement; an attempt that is no longer
  // current (stale, fenced out) matches no row and so gets neither event nor Result.
  const { rows } = await tx.query<JobRow & { countedStates: JobState[] | null }>(
    SUCCEED_ATTEMPTS([
      successes.map((s) => s.jobId),
      successes.map((s) => s.attempt),
      successes.map((s) => `score ${s.result.summary.score}`),
      successes.map((s) =>
        Number.isFinite(s.result.summary.score) ? s.result.summary.score : null,
      ),
      successes.map((s) => JSON.stringify(s.result.summary)),
      successes.map((s) => JSON.stringify(s.result.metrics)),
      successes.map((s) => JSON.stringify(s.result.artifacts ?? {})),
      successes.map((s) => JSON.stringify(s.result.timing ?? {})),
      successes.map((s) => JSON.stringify(s.result.versioning ?? {})),
    ]),
  );
  const recorded = new Set(rows.map((row) => row.id));
  // A competition that does not count successful entries gives their submissions back.
  for (const row of rows) await refundIfUncounted(tx, row);
  await publishMany(
    tx,
    rows.flatMap((row) => jobStateEvents(row, "RUNNING")),
  );
  return recorded;
}
