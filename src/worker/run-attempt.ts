// One attempt of a job, start to end, in its workspace: the inference stage (the job's
// container command) on the node's executor when the job has one, then the scorer. The
// attempt's signal carries why it was stopped (time limit, cancellation, a lost lease),
// and the outcome names a CONTRACT code for every way it can fail.
import type { JobRow } from "../domain/jobs/job-row.ts";
import type { Executor } from "../executors/types.ts";
import { type Result, type ScorerLookup, ScoringError, scoreWorkspace } from "../scorers/index.ts";

/** Why an attempt was stopped from outside; "LOST" means another attempt owns the job now. */
export type StopReason = "TIME_LIMIT_EXCEEDED" | "CANCELLED" | "LOST" | "SHUTDOWN";

export type AttemptOutcome =
  | { ok: true; result: Result }
  | { ok: false; code: string; message: string; stop?: StopReason };

export interface AttemptDeps {
  executor: Executor;
  scorers: ScorerLookup;
}

interface ContainerSpec {
  image: string;
  cmd: string[];
  env?: Record<string, string>;
}

const STOP_MESSAGES: Record<StopReason, [code: string, message: string]> = {
  TIME_LIMIT_EXCEEDED: ["TIME_LIMIT_EXCEEDED", "the job ran past its time limit"],
  CANCELLED: ["CANCELLED", "cancelled by request"],
  LOST: ["EXECUTOR_UNAVAILABLE", "the job's lease was lost"],
  SHUTDOWN: ["EXECUTOR_UNAVAILABLE", "the worker shut down during the run"],
};

export function stopped(signal: AbortSignal): AttemptOutcome | null {
  if (!signal.aborted) return null;
  const reason = signal.reason as StopReason;
  const [code, message] = STOP_MESSAGES[reason] ?? STOP_MESSAGES.SHUTDOWN;
  return { ok: false, code, message, stop: reason };
}

export async function runAttempt(
  deps: AttemptDeps,
  job: JobRow,
  workspace: string,
  signal: AbortSignal,
  deadline: number,
): Promise<AttemptOutcome> {
  const container = job.container as ContainerSpec | null;
  if (container) {
    const outcome = await deps.executor.run({
      jobId: job.id,
      attempt: job.attempt,
      workspace,
      image: container.image,
      command: container.cmd,
      env: container.env ?? {},
      cpuMillis: job.cpuMillis,
      memoryMb: job.memoryMb,
      gpus: job.gpus,
      timeLimitMs: Math.max(0, deadline - Date.now()),
      signal,
    });
    const stop = stopped(signal);
    if (stop) return stop;
    if (!outcome.ok) return { ok: false, code: outcome.code, message: outcome.message };
  }
  try {
    const result = await scoreWorkspace(deps.scorers, {
      workspace,
      scorer: job.scorer,
      params: job.scorerParams,
      signal,
    });
    return stopped(signal) ?? { ok: true, result };
  } catch (error) {
    const stop = stopped(signal);
    if (stop) return stop;
    if (error instanceof ScoringError)
      return { ok: false, code: error.code, message: error.message };
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, code: "SCORER_FAILED", message: `scoring failed: ${message}` };
  }
}
