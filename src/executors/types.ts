// What every executor backend (local process, Docker, Kubernetes) implements. The worker
// owns the job's lifecycle (lease, attempt fencing, result); an executor only runs one
// command in a prepared workspace and says how it ended, in CONTRACT execution codes.
import type { ExecutorKind } from "../generated/prisma/enums.ts";

/** The CONTRACT codes an execution can end with. */
export type ExecutionErrorCode =
  | "IMAGE_NOT_FOUND"
  | "CONTAINER_CREATE_FAILED"
  | "EXECUTION_FAILED"
  | "TIME_LIMIT_EXCEEDED"
  | "MEMORY_LIMIT_EXCEEDED"
  | "EXECUTOR_UNAVAILABLE"
  | "GPU_NOT_AVAILABLE"
  | "CANCELLED";

export interface ExecutionRequest {
  jobId: string;
  attempt: number;
  /** Absolute path of the job's workspace: input/ (read-only), output/, logs/, meta.json. */
  workspace: string;
  /** Container image; the local executor ignores it. */
  image: string | null;
  /** argv of the inference stage; runs with the workspace as its working directory. */
  command: string[];
  /** The job's own variables only: an executor never passes its own environment through. */
  env: Record<string, string>;
  cpuMillis: number;
  memoryMb: number;
  gpus: number;
  timeLimitMs: number;
  /** Aborting it cancels the run: the executor stops everything the run started. */
  signal: AbortSignal;
  /** Log text as it is produced (also written to logs/container.log). */
  onLog?: (chunk: string) => void;
}

export type ExecutionOutcome =
  | { ok: true; exitCode: 0; durationMs: number }
  | {
      ok: false;
      code: ExecutionErrorCode;
      message: string;
      exitCode: number | null;
      signal: string | null;
      durationMs: number;
    };

export interface ExecutorHealth {
  healthy: boolean;
  message?: string;
}

/** What a node offers the scheduler; the scheduler never places more than this on it. */
export interface ExecutorCapacity {
  cpuMillis: number;
  memoryMb: number;
  gpus: number;
  maxJobs: number;
}

export interface Executor {
  readonly kind: ExecutorKind;
  /** Runs one command to its end; never throws for the command's own failures. */
  run(request: ExecutionRequest): Promise<ExecutionOutcome>;
  /**
   * Stops the run of `jobId` if this executor has one (its `run` then resolves with
   * CANCELLED); aborting the request's signal does the same.
   */
  cancel(jobId: string): Promise<void>;
  health(): Promise<ExecutorHealth>;
  capacity(): ExecutorCapacity;
  /** Stops every run still going (worker shutdown). */
  close(): Promise<void>;
}
