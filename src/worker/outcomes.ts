// Writing how attempts ended. Successes that finish within a few milliseconds of each
// other share one transaction; failures go one by one (they are rare, and each may retry
// or open the node's breaker). Every write is fenced on the attempt and retried while the
// database is away, until the lease would have run out anyway.
import type pg from "pg";
import { createBatcher } from "../db/batcher.ts";
import { inTransaction } from "../db/sql.ts";
import { type BreakerSettings, recordNodeFailure } from "../domain/executors/nodes.ts";
import { type AttemptSuccess, failAttempt, succeedAttempts } from "../domain/jobs/finish.ts";
import type { JobRow } from "../domain/jobs/job-row.ts";
import { type BackoffSettings, isRetryable } from "../domain/jobs/retry-policy.ts";
import type { AttemptOutcome } from "./run-attempt.ts";

export interface OutcomeReporterDeps {
  pool: pg.Pool;
  nodeId: string;
  leaseMs: number;
  backoff: BackoffSettings;
  breaker: BreakerSettings;
  log: (message: string, fields: Record<string, unknown>) => void;
  /** The node did its part (the job succeeded, or failed by its own doing). */
  onNodeWorked: () => void;
}

export function createOutcomeReporter(deps: OutcomeReporterDeps) {
  const { log } = deps;
  const successes = createBatcher<AttemptSuccess, boolean>(
    (items) =>
      persistently(
        () =>
          inTransaction(deps.pool, async (tx) => {
            const recorded = await succeedAttempts(tx, items);
            return items.map((item) => recorded.has(item.jobId));
          }),
        Date.now() + deps.leaseMs,
        (error) => log("could not record outcomes yet; retrying", { jobs: items.length, error }),
      ),
    // One flush at a time; successes that finish meanwhile leave together with the next.
    { maxItems: 128, maxDelayMs: 0, maxInFlight: 1 },
  );

  const recordFailure = (job: JobRow, outcome: Extract<AttemptOutcome, { ok: false }>) =>
    persistently(
      () =>
        inTransaction(deps.pool, async (tx) => {
          const after = await failAttempt(
            tx,
            { jobId: job.id, attempt: job.attempt, code: outcome.code, message: outcome.message },
            deps.backoff,
          );
          if (after && isRetryable(outcome.code) && outcome.stop !== "SHUTDOWN") {
            await recordNodeFailure(tx, deps.nodeId, deps.breaker);
          }
          return after !== null;
        }),
      Date.now() + deps.leaseMs,
      (error) => log("could not record an outcome yet; retrying", { jobId: job.id, error }),
    );

  // No wake-up message here: the scheduler hears the job's state event and runs a pass.
  return async (job: JobRow, outcome: AttemptOutcome): Promise<void> => {
    if (!outcome.ok && outcome.stop === "LOST") {
      log("abandoned an attempt another worker owns now", { jobId: job.id, attempt: job.attempt });
      return;
    }
    const written = outcome.ok
      ? await successes.add({ jobId: job.id, attempt: job.attempt, result: outcome.result })
      : await recordFailure(job, outcome);
    if (!written) {
      log("ignored the late outcome of a stale attempt", { jobId: job.id, attempt: job.attempt });
    } else if (outcome.ok || !isRetryable(outcome.code)) {
      deps.onNodeWorked();
    }
  };
}

/** Retries `fn` on errors (a database restarting) until `deadline`, then gives up. */
async function persistently<T>(
  fn: () => Promise<T>,
  deadline: number,
  onRetry: (error: unknown) => void,
): Promise<T> {
  let delay = 100;
  for (;;) {
    try {
      return await fn();
    } catch (error) {
      if (Date.now() + delay > deadline) throw error;
      onRetry(error);
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 2000);
    }
  }
}
