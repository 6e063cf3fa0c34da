// How attempts end. Successes record each job's one Result in the same transaction as the
// move to SUCCEEDED (a batch of them at once); a failure either sends the job back to wait
// (a retryable platform failure with attempts left, after a backoff) or ends it with its
// code (docs/contract.md). Both are fenced on the attempt, so a stale worker's late report
// changes nothing.

import type { JobErrorCode } from "../../contract/error-codes.ts";
import { prepared } from "../../db/prepared.ts";
import type { Sql } from "../../db/sql.ts";
import type { JobState } from "../../generated/prisma/enums.ts";
import type { Result } from "../../scorers/index.ts";
import { recordLeaderboardEntries } from "../leaderboards/entries.ts";
import type { JobRow } from "./job-row.ts";
import { type JobMove, moveJobs } from "./lifecycle.ts";
import { type BackoffSettings, isRetryable, retryDelayMs } from "./retry-policy.ts";

export interface AttemptFailure {
  jobId: string;
  attempt: number;
  code: JobErrorCode;
  message: string;
  /** States the attempt may be in; a worker fails RUNNING jobs, the reaper QUEUED ones too. */
  from?: readonly JobState[];
}

/** The terminal state a failure code ends in when it is not retried. */
export function terminalStateFor(code: JobErrorCode): JobState {
  if (code === "TIME_LIMIT_EXCEEDED") return "TIMED_OUT";
  if (code === "CANCELLED") return "CANCELLED";
  return "FAILED";
}

interface FailingRow {
  id: string;
  attempt: number;
  maxAttempts: number;
  cancelRequested: boolean;
}

/**
 * Ends failed attempts: each goes back to wait when its failure is the platform's and it has
 * attempts left, otherwise it ends with its code. Returns the jobs as they now are; an
 * attempt that was no longer current is missing.
 */
export async function failAttempts(
  tx: Sql,
  failures: readonly AttemptFailure[],
  backoff: BackoffSettings,
  now = Date.now(),
): Promise<JobRow[]> {
  if (failures.length === 0) return [];
  // Locked: a cancel landing between this read and the move must not be lost.
  const { rows } = await tx.query<FailingRow>(
    `SELECT j.id, j.attempt, j."maxAttempts", j."cancelRequested"
     FROM "Job" j JOIN unnest($1::uuid[], $2::int[]) AS f(id, attempt)
       ON j.id = f.id AND j.attempt = f.attempt
     ORDER BY j.id FOR UPDATE OF j`,
    [failures.map((f) => f.jobId), failures.map((f) => f.attempt)],
  );
  const current = new Map(rows.map((row) => [row.id, row]));
  const moves = failures.flatMap((failure): JobMove[] => {
    const job = current.get(failure.jobId);
    return job ? [failureMove(failure, job, backoff, now)] : [];
  });
  return moveJobs(tx, moves);
}

function failureMove(
  failure: AttemptFailure,
  job: FailingRow,
  backoff: BackoffSettings,
  now: number,
): JobMove {
  const base = {
    jobId: failure.jobId,
    attempt: failure.attempt,
    from: failure.from ?? ["RUNNING"],
  };
  if (isRetryable(failure.code) && failure.attempt < job.maxAttempts && !job.cancelRequested) {
    const delay = retryDelayMs(failure.attempt, backoff);
    return {
      ...base,
      to: "PENDING",
      errorCode: failure.code,
      message: `${failure.message}; attempt ${failure.attempt + 1} of ${job.maxAttempts} in ${delay} ms`,
      notBefore: new Date(now + delay),
    };
  }
  // A job its owner asked to stop ends CANCELLED, whatever else went wrong on the way.
  const code = job.cancelRequested ? "CANCELLED" : failure.code;
  return {
    ...base,
    to: terminalStateFor(code),
    errorCode: code,
    message: code === failure.code ? failure.message : `cancelled by request (${failure.message})`,
  };
}

export interface AttemptSuccess {
  jobId: string;
  attempt: number;
  result: Result;
  /** The Result came from the result cache. */
  cached?: boolean;
}

const INSERT_RESULTS = prepared(
  "job.insert-results",
  `INSERT INTO "Result" ("jobId", attempt, score, summary, metrics, artifacts, timing, versioning,
     cached)
   SELECT * FROM unnest($1::uuid[], $2::int[], $3::float8[], $4::jsonb[], $5::jsonb[],
     $6::jsonb[], $7::jsonb[], $8::jsonb[], $9::boolean[])
   ON CONFLICT ("jobId") DO UPDATE SET attempt = EXCLUDED.attempt, score = EXCLUDED.score,
     cached = EXCLUDED.cached,
     summary = EXCLUDED.summary, metrics = EXCLUDED.metrics, artifacts = EXCLUDED.artifacts,
     timing = EXCLUDED.timing, versioning = EXCLUDED.versioning, "createdAt" = now()`,
);

/**
 * Records SUCCEEDED and the one Result of each attempt still current, for a whole batch of
 * finished attempts, and offers the Results to their competitions' leaderboards. Returns
 * the jobs it moved; the others were stale (another attempt owns the job) and get neither
 * a state change nor a Result.
 */
export async function succeedAttempts(
  tx: Sql,
  successes: readonly AttemptSuccess[],
): Promise<JobRow[]> {
  if (successes.length === 0) return [];
  const moved = await moveJobs(
    tx,
    successes.map((s) => ({
      jobId: s.jobId,
      attempt: s.attempt,
      to: "SUCCEEDED",
      message: `score ${s.result.summary.score}`,
    })),
  );
  const recorded = new Set(moved.map((job) => job.id));
  const kept = successes.filter((s) => recorded.has(s.jobId));
  if (kept.length > 0) {
    await tx.query(
      INSERT_RESULTS([
        kept.map((s) => s.jobId),
        kept.map((s) => s.attempt),
        kept.map((s) => (Number.isFinite(s.result.summary.score) ? s.result.summary.score : null)),
        kept.map((s) => JSON.stringify(s.result.summary)),
        kept.map((s) => JSON.stringify(s.result.metrics)),
        kept.map((s) => JSON.stringify(s.result.artifacts ?? {})),
        kept.map((s) => JSON.stringify(s.result.timing ?? {})),
        kept.map((s) => JSON.stringify(s.result.versioning ?? {})),
        kept.map((s) => s.cached ?? false),
      ]),
    );
    await recordLeaderboardEntries(
      tx,
      moved.filter((job) => job.phaseId !== null).map((job) => job.id),
    );
  }
  return moved;
}
