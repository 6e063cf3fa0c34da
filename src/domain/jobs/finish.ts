// How an attempt ends. A success records the job's one Result in the same transaction as
// the move to SUCCEEDED; a failure either sends the job back to wait (a retryable platform
// failure with attempts left, after a backoff) or ends it with its CONTRACT code. Both are
// fenced on the attempt, so a stale worker's late report changes nothing.
import type { Sql } from "../../db/sql.ts";
import type { JobState } from "../../generated/prisma/enums.ts";
import type { Result } from "../../scorers/index.ts";
import type { JobRow } from "./job-row.ts";
import { type BackoffSettings, isRetryable, retryDelayMs } from "./retry-policy.ts";
import { transitionJob } from "./transitions.ts";

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

/** Records the Result and SUCCEEDED together; null when the attempt is no longer current. */
export async function succeedAttempt(
  tx: Sql,
  jobId: string,
  attempt: number,
  result: Result,
): Promise<JobRow | null> {
  const job = await transitionJob(tx, {
    jobId,
    attempt,
    from: ["RUNNING"],
    to: "SUCCEEDED",
    message: `score ${result.summary.score}`,
  });
  if (!job) return null;
  await tx.query(
    `INSERT INTO "Result" ("jobId", attempt, score, summary, metrics, artifacts, timing, versioning)
     VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6::jsonb, $7::jsonb, $8::jsonb)
     ON CONFLICT ("jobId") DO UPDATE SET attempt = EXCLUDED.attempt, score = EXCLUDED.score,
       summary = EXCLUDED.summary, metrics = EXCLUDED.metrics, artifacts = EXCLUDED.artifacts,
       timing = EXCLUDED.timing, versioning = EXCLUDED.versioning, "createdAt" = now()`,
    [
      jobId,
      attempt,
      Number.isFinite(result.summary.score) ? result.summary.score : null,
      JSON.stringify(result.summary),
      JSON.stringify(result.metrics),
      JSON.stringify(result.artifacts ?? {}),
      JSON.stringify(result.timing ?? {}),
      JSON.stringify(result.versioning ?? {}),
    ],
  );
  return job;
}
