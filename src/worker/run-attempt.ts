// One attempt of a job, start to end, in its workspace: the inference stage (the job's
// container command) on the node's executor when the job has one, then the scorer on this
// host, outside the run, so team code never sees the ground truth. The attempt's signal
// carries why the worker stopped it (time limit, cancellation, a lost lease, shutdown), and
// the outcome names a code (docs/contract.md) for every way it can fail.
import type { JobErrorCode } from "../contract/error-codes.ts";
import type { JobRow } from "../domain/jobs/job-row.ts";
import type {
  Executor,
  StopReason as ExecutorStopReason,
  RunEvent,
  RunHandle,
  RunOutcome,
} from "../executors/types.ts";
import { type Result, ScoringError } from "../scorers/index.ts";
import { type ScoringDeps, scoreAttempt } from "./scoring.ts";
import { type ContainerSpec, removeOutputLinks, runRequestFor } from "./workspace.ts";

/** Why an attempt was stopped from outside; "LOST" means another attempt owns the job now. */
export type StopReason = "TIME_LIMIT_EXCEEDED" | "CANCELLED" | "LOST" | "SHUTDOWN";

export type AttemptOutcome =
  | { ok: true; result: Result; cached: boolean }
  | { ok: false; code: JobErrorCode; message: string; stop?: StopReason };

/** Sees every event of every run on this node: log lines, usage samples, phases. */
export interface RunObserver {
  observe(job: JobRow, event: RunEvent): void;
  /** The run is over: whatever the observer still holds of it is written now. */
  finish(job: JobRow): Promise<void>;
}

export interface AttemptDeps {
  executor: Executor;
  scoring: ScoringDeps;
  observer: RunObserver;
}

const STOP_MESSAGES: Record<StopReason, [code: JobErrorCode, message: string]> = {
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

export interface AttemptInput {
  job: JobRow;
  workspace: string;
  inputDir: string;
  signal: AbortSignal;
  /** A run of this attempt a previous worker started, taken over instead of a new one. */
  adopted?: RunHandle;
}

export async function runAttempt(deps: AttemptDeps, input: AttemptInput): Promise<AttemptOutcome> {
  const { job, workspace, signal } = input;
  const container = job.container as ContainerSpec | null;
  if (container) {
    const run =
      input.adopted ??
      deps.executor.start(runRequestFor(job, container, workspace, input.inputDir));
    const outcome = await followRun(deps, job, run, signal);
    const stop = stopped(signal);
    if (stop) return stop;
    if (!outcome.ok) return { ok: false, code: outcome.code, message: outcome.message };
    await removeOutputLinks(workspace);
  }
  try {
    const { result, cached } = await scoreAttempt(deps.scoring, job, workspace, signal);
    return stopped(signal) ?? { ok: true, result, cached };
  } catch (error) {
    const stop = stopped(signal);
    if (stop) return stop;
    if (error instanceof ScoringError)
      return { ok: false, code: error.code, message: error.message };
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, code: "SCORER_FAILED", message: `scoring failed: ${message}` };
  }
}

/** How the executor is asked to stop for each reason; a lost run is simply ended. */
const EXECUTOR_STOPS: Record<StopReason, ExecutorStopReason> = {
  TIME_LIMIT_EXCEEDED: "TIME_LIMIT_EXCEEDED",
  CANCELLED: "CANCELLED",
  LOST: "CANCELLED",
  SHUTDOWN: "SHUTDOWN",
};

/** Hands the run's events to the observer and stops the run when the attempt is stopped. */
async function followRun(
  deps: AttemptDeps,
  job: JobRow,
  run: RunHandle,
  signal: AbortSignal,
): Promise<RunOutcome> {
  const onAbort = () => {
    void run.stop(EXECUTOR_STOPS[signal.reason as StopReason] ?? "SHUTDOWN");
  };
  if (signal.aborted) onAbort();
  else signal.addEventListener("abort", onAbort, { once: true });
  const events = (async () => {
    for await (const event of run.events) {
      try {
        deps.observer.observe(job, event);
      } catch {
        // An observer's failure (a live log that could not be sent) must not end the run.
      }
    }
  })();
  try {
    const [outcome] = await Promise.all([run.outcome, events]);
    return outcome;
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}
