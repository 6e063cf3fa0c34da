// Writing how attempts ended. Successes that finish within a few milliseconds of each
// other share one transaction; failures go one by one (they are rare, and each may retry
// or open the node's breaker). Every write is fenced on the attempt and retried while the
// database is away, until the lease would have run out anyway.
import type pg from "pg";
import { createBatcher } from "../db/batcher.ts";
import { inTransaction } from "../db/sql.ts";
import { type AttemptSuccess, failAttempts, succeedAttempts } from "../domain/jobs/finish.ts";
import type { JobRow } from "../domain/jobs/job-row.ts";
import { type BackoffSettings, isRetryable } from "../domain/jobs/retry-policy.ts";
import { type BreakerSettings, recordNodeFailures } from "../domain/nodes/nodes.ts";
import type { Logger } from "../log.ts";
import type { AttemptOutcome } from "./run-attempt.ts";

export interface OutcomeReporterDeps {
  pool: pg.Pool;
  nodeId: string;
  leaseMs: number;
  backoff: BackoffSettings;
  breaker: BreakerSettings;
  log: Logger;
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
            const recorded = new Set((await succeedAttempts(tx, items)).map((job) => job.id));
            return items.map((item) => recorded.has(item.jobId));
          }),
        Date.now() + deps.leaseMs,
        (error) =>
          log.warn(
            { err: error, jobIds: items.map((item) => item.jobId) },
            "could not record outcomes yet; retrying",
          ),
      ),
    // One flush at a time; successes that finish meanwhile leave together with the next.
    { maxItems: 128, maxDelayMs: 0, maxInFlight: 1 },
  );

  const recordFailure = (job: JobRow, outcome: Extract<AttemptOutcome, { ok: false }>) =>
    persistently(
      () =>
        inTransaction(deps.pool, async (tx) => {
          const [after] = await failAttempts(
            tx,
            [{ jobId: job.id, attempt: job.attempt, code: outcome.code, message: outcome.message }],
            deps.backoff,
          );
          // The platform failed (not the team's code): it counts against the node's breaker.
          if (after && isRetryable(outcome.code) && outcome.stop !== "SHUTDOWN") {
            await recordNodeFailures(tx, [deps.nodeId], deps.breaker);
          }
          return after !== undefined;
        }),
      Date.now() + deps.leaseMs,
      (error) =>
        log.warn(
          { err: error, jobId: job.id, tenantId: job.tenantId, attempt: job.attempt },
          "could not record an outcome yet; retrying",
        ),
    );

  // No wake-up message here: the scheduler hears the job's state event and runs a pass.
  return async (job: JobRow, outcome: AttemptOutcome): Promise<void> => {
    if (!outcome.ok && outcome.stop === "LOST") {
      log.info(
        { jobId: job.id, tenantId: job.tenantId, attempt: job.attempt },
        "abandoned an attempt another worker owns now",
      );
      return;
    }
    const written = outcome.ok
      ? await successes.add({
          jobId: job.id,
          attempt: job.attempt,
          result: outcome.result,
          cached: outcome.cached,
        })
      : await recordFailure(job, outcome);
    if (!written) {
      log.info(
        { jobId: job.id, tenantId: job.tenantId, attempt: job.attempt },
        "ignored the late outcome of a stale attempt",
      );
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
