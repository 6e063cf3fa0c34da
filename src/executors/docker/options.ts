// What an operator chooses about a Docker node, each with why it is a choice at all, and
// the resolved form the rest of the backend reads (defaults applied, values checked once
// when the executor is made: a bad setting fails the worker at start, not a job later).
import Docker from "dockerode";
import { DEFAULT_LOG_CAP_BYTES } from "../run/run-log.ts";

export type PullPolicy = "always" | "if-not-present" | "never";

export interface DockerExecutorOptions {
  /**
   * This worker's node name. Every container is labelled with it (and named after it), so
   * `adopt` and `sweep` only ever see this node's runs, even when several nodes (or other
   * software) share one engine.
   */
  nodeName: string;
  /**
   * The engine: a dockerode client (tests, or a caller that shares one), or how to reach it
   * (`{ socketPath }`, `{ host, port, protocol, ca, cert, key }`). Default: the local socket
   * /var/run/docker.sock. Nothing else of the engine is ever given to a run.
   */
  docker?: Docker | Docker.DockerOptions;
  /**
   * When images are fetched. "if-not-present" (default) pulls only what the engine lacks;
   * "always" re-pulls every run, for mutable tags; "never" runs only what an operator
   * loaded beforehand (air-gapped nodes). A missing image ends the run IMAGE_NOT_FOUND.
   */
  pullPolicy?: PullPolicy;
  /**
   * The user and group the command runs as (default 1000 and 1000): never root in the
   * container. Numbers, not names: the run's writable mounts are handed to them on the
   * host, where the image's user names mean nothing.
   */
  runAsUser?: number;
  runAsGroup?: number;
  /**
   * Size of the run's private /tmp (MiB, default 64). The root filesystem is read-only, so
   * this is the only scratch space; tmpfs pages count against the run's memory limit.
   */
  tmpSizeMb?: number;
  /**
   * Most processes and threads a run may have at once (default 1024). Caps fork bombs;
   * generous because threads count too and numeric libraries start one per core.
   */
  pidsLimit?: number;
  /**
   * Caps on what the engine reports (CPU count, memory) and on concurrent runs: the worker
   * and other software share the machine, so an operator may offer less than it has.
   * maxJobs defaults to the engine's CPU count.
   */
  capacity?: { cpuMillis?: number; memoryMb?: number; maxJobs?: number };
  /** GPUs this node offers (default 0). Runs that ask for more end GPU_NOT_AVAILABLE. */
  gpus?: number;
  /**
   * The engine runtime that provides GPUs (default "nvidia"); `docker info` must list it,
   * else GPU runs end GPU_NOT_AVAILABLE instead of failing somewhere inside the engine.
   */
  gpuRuntime?: string;
  /** Largest container.log kept per run (bytes); later lines are streamed only. */
  logCapBytes?: number;
  /**
   * Between SIGTERM and SIGKILL when a run is stopped (ms, default 2000): time for a job to
   * flush what it wrote, not long enough to delay a cancel noticeably.
   */
  killGraceMs?: number;
  /**
   * How long a run waits for an engine that stopped answering (a dockerd restart) before it
   * ends EXECUTOR_UNAVAILABLE (ms, default 10000). Short blips must not fail runs.
   */
  reconnectGraceMs?: number;
  /** How long `health()` waits for the engine before calling it unhealthy (ms, default 5000). */
  healthTimeoutMs?: number;
  /**
   * How long a run goes before its CPU and memory are first sampled (ms, default 500); then
   * about every second. Opening the engine's stats stream costs it CPU at every start,
   * wasted on jobs that are over by then, as the local executor's first sample also waits.
   */
  usageDelayMs?: number;
}

export interface ResolvedOptions {
  nodeName: string;
  docker: Docker;
  pullPolicy: PullPolicy;
  runUser: { uid: number; gid: number };
  tmpSizeMb: number;
  pidsLimit: number;
  capacity: { cpuMillis?: number; memoryMb?: number; maxJobs?: number };
  gpus: number;
  gpuRuntime: string;
  logCapBytes: number;
  killGraceMs: number;
  reconnectGraceMs: number;
  healthTimeoutMs: number;
  usageDelayMs: number;
}

export const DEFAULT_SOCKET_PATH = "/var/run/docker.sock";

const PULL_POLICIES: readonly PullPolicy[] = ["always", "if-not-present", "never"];

/** Thrown when the executor is made with settings it cannot work with. */
export class DockerOptionsError extends Error {
  override name = "DockerOptionsError";
}

function positive(name: string, value: number | undefined, fallback: number): number {
  const chosen = value ?? fallback;
  if (!Number.isInteger(chosen) || chosen <= 0)
    throw new DockerOptionsError(`${name} must be a positive whole number, got ${String(value)}`);
  return chosen;
}

function atLeastZero(name: string, value: number | undefined, fallback: number): number {
  const chosen = value ?? fallback;
  if (!Number.isInteger(chosen) || chosen < 0)
    throw new DockerOptionsError(`${name} must be a whole number ≥ 0, got ${String(value)}`);
  return chosen;
}

function runUser(options: DockerExecutorOptions): ResolvedOptions["runUser"] {
  const uid = positive("runAsUser (root is refused)", options.runAsUser, 1000);
  const gid = positive("runAsGroup (root's group is refused)", options.runAsGroup, 1000);
  return { uid, gid };
}

export function resolveOptions(options: DockerExecutorOptions): ResolvedOptions {
  // Any name a label can hold; container names replace what they cannot (labels.ts).
  if (typeof options.nodeName !== "string" || !/^[^\p{Cc}]+$/u.test(options.nodeName))
    throw new DockerOptionsError(
      `nodeName must be a non-empty name, got ${JSON.stringify(options.nodeName)}`,
    );
  const pullPolicy = options.pullPolicy ?? "if-not-present";
  if (!PULL_POLICIES.includes(pullPolicy))
    throw new DockerOptionsError(`pullPolicy must be one of ${PULL_POLICIES.join(", ")}`);
  const capacity = options.capacity ?? {};
  if (capacity.cpuMillis !== undefined) positive("capacity.cpuMillis", capacity.cpuMillis, 1);
  if (capacity.memoryMb !== undefined) positive("capacity.memoryMb", capacity.memoryMb, 1);
  if (capacity.maxJobs !== undefined) positive("capacity.maxJobs", capacity.maxJobs, 1);
  const docker =
    options.docker instanceof Docker
      ? options.docker
      : new Docker(options.docker ?? { socketPath: DEFAULT_SOCKET_PATH });
  return {
    nodeName: options.nodeName,
    docker,
    pullPolicy,
    runUser: runUser(options),
    tmpSizeMb: positive("tmpSizeMb", options.tmpSizeMb, 64),
    pidsLimit: positive("pidsLimit", options.pidsLimit, 1024),
    capacity,
    gpus: atLeastZero("gpus", options.gpus, 0),
    gpuRuntime: options.gpuRuntime ?? "nvidia",
    logCapBytes: positive("logCapBytes", options.logCapBytes, DEFAULT_LOG_CAP_BYTES),
    killGraceMs: atLeastZero("killGraceMs", options.killGraceMs, 2000),
    reconnectGraceMs: atLeastZero("reconnectGraceMs", options.reconnectGraceMs, 10_000),
    healthTimeoutMs: positive("healthTimeoutMs", options.healthTimeoutMs, 5000),
    usageDelayMs: atLeastZero("usageDelayMs", options.usageDelayMs, 500),
  };
}
