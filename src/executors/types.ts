// What every executor backend (local process, Docker, Kubernetes) implements. The worker
// owns the job's lifecycle (lease, attempt fencing, Result); an executor runs one command
// for one attempt in a sandbox and reports what happens as it happens.
//
// Glossary
// - run: one attempt's inference stage on a backend: a process group, a container, a
//   Kubernetes Job. Identified by (jobId, attempt); a backend labels what it creates with
//   both and with its node name, so it can find a run again after a worker restart.
// - mount: a host directory the run sees under its working directory. Only what is mounted
//   is visible: the worker mounts the data a team may read (never the ground truth) and the
//   output folder it writes.
// - phase: PREPARING (image pull, container or pod creation: not counted against the time
//   limit), RUNNING (the command runs; the time limit counts from here), EXITED.
// - adopt: take over a run that outlived the worker that started it, instead of starting a
//   second one.
import type { ExecutionErrorCode } from "../contract/error-codes.ts";
import type { ExecutorKind } from "../generated/prisma/enums.ts";

export type { ExecutionErrorCode };

export interface Mount {
  /** Absolute host path of a directory. */
  source: string;
  /** Where the run sees it, relative to its working directory: "input/data", "output". */
  target: string;
  readOnly: boolean;
}

export interface RunResources {
  cpuMillis: number;
  memoryMb: number;
  gpus: number;
}

export interface RunRequest {
  jobId: string;
  attempt: number;
  tenantId: string;
  /** Container image; the local executor ignores it. */
  image: string | null;
  /** argv of the inference stage; runs in the working directory that holds the mounts. */
  command: string[];
  /** The job's own variables only: an executor never passes its own environment through. */
  env: Record<string, string>;
  mounts: Mount[];
  /** Host folder for `container.log` and `run_info.json` (the workspace's logs/). */
  logDir: string;
  /** Host folder private to this run, for backends that need one (the local executor's cwd). */
  scratchDir: string;
  resources: RunResources;
  /** Wall-clock limit counted from the RUNNING phase; the backend enforces it. */
  timeLimitMs: number;
}

export type RunPhase = "PREPARING" | "RUNNING" | "EXITED";

export type LogStream = "stdout" | "stderr";

export type RunEvent =
  | { type: "phase"; phase: RunPhase; at: number; message?: string }
  /** One whole line of output (decoded as UTF-8, without its newline). */
  | { type: "log"; stream: LogStream; line: string; at: number }
  /** Lines the consumer was too slow to take; container.log still has them. */
  | { type: "dropped"; lines: number; at: number }
  /** A sample of what the run uses now: CPU in millicores over the last interval. */
  | { type: "usage"; cpuMillis: number; memoryBytes: number; at: number };

export type RunOutcome =
  | { ok: true; exitCode: 0; durationMs: number }
  | {
      ok: false;
      code: ExecutionErrorCode;
      message: string;
      exitCode: number | null;
      signal: string | null;
      durationMs: number;
    };

/** Why the worker stops a run; the outcome then carries the matching code. */
export type StopReason = "CANCELLED" | "TIME_LIMIT_EXCEEDED" | "SHUTDOWN";

export interface RunHandle {
  readonly jobId: string;
  readonly attempt: number;
  /**
   * The run's events, in order, ending when the run has ended. Buffered up to a bound: a
   * consumer that falls behind gets a `dropped` event instead of unbounded memory.
   * One consumer per handle.
   */
  readonly events: AsyncIterable<RunEvent>;
  /** How the run ended; never rejects. Everything the run created is gone by then. */
  readonly outcome: Promise<RunOutcome>;
  /** Stops the run; `outcome` then resolves with the reason's code. Idempotent. */
  stop(reason: StopReason): Promise<void>;
}

/** A run another node started; `over` answers with the `runKey`s of those that are over. */
export interface ForeignRun {
  jobId: string;
  attempt: number;
  node: string;
}

export const runKey = (run: { jobId: string; attempt: number }): string =>
  `${run.jobId}:${run.attempt}`;

export interface ExecutorHealth {
  healthy: boolean;
  message?: string;
  /** What the node offers now (read from the engine or cluster where it can be). */
  capacity: ExecutorCapacity;
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
  /**
   * Starts a run. Never throws for the run's own failures (an unknown image, a command that
   * cannot start): those end the outcome with their code.
   */
  start(request: RunRequest): RunHandle;
  /**
   * Re-attaches to the run of `request` (same job and attempt) that a previous worker of
   * this node started, or returns null when there is none to take over.
   */
  adopt(request: RunRequest): Promise<RunHandle | null>;
  /**
   * Removes what runs of this node left behind (containers, Jobs, process groups) unless
   * `keep(jobId, attempt)` says the run is still wanted. Returns how many were removed.
   */
  sweep(keep: (jobId: string, attempt: number) => boolean): Promise<number>;
  /**
   * Removes runs that other nodes left on the same engine and that `over` says are over
   * (their job moved to another attempt, ended, or is gone), so a node that died and never
   * came back leaves nothing running. A run `over` does not name is left alone: its node may
   * still come back and adopt it. Returns how many were removed. Backends whose runs cannot
   * outlive their worker (local processes) or end by themselves (Kubernetes Jobs, with their
   * deadline and TTL) leave it out.
   */
  sweepForeign?(over: (runs: ForeignRun[]) => Promise<ReadonlySet<string>>): Promise<number>;
  health(): Promise<ExecutorHealth>;
  /** Stops every run still going (outcome SHUTDOWN → EXECUTOR_UNAVAILABLE) and lets go. */
  close(): Promise<void>;
}
