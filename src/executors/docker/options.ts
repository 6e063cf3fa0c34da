// What an operator chooses about a Docker node, each with why it is a choice at all, and
// the resolved form the rest of the backend reads (defaults applied, values checked once
// when the executor is made: a bad setting fails the worker at start, not a job later).
import Docker from "dockerode";
import { DEFAULT_LOG_CAP_BYTES } from "../run/run-log.ts";

export type PullPolicy = "always" | "if-not-present" | "never";

export interface DockerExecutorOptions {
  /**
   * This node's name. Every container is labelled with it, so `adopt` and `sweep` only ever
   * see this node's runs, even when several nodes (or other software) share one engine.
   */
  node: string;
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
   * Numeric `uid:gid` the command runs as (default 1000:1000): never root in the container.
   * Numeric, because the worker gives it the run's output folder with chown on the host,
   * where the image's user names mean nothing.
   */
  runUser?: string;
  /**
   * Size of the run's private /tmp (MiB, default 64). The root filesystem is read-only, so
   * this is the only scratch space; tmpfs pages count against the run's memory limit.
   */
  tmpfsMb?: number;
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
}

export interface ResolvedOptions {
  node: string;
  docker: Docker;
  pullPolicy: PullPolicy;
  runUser: { uid: number; gid: number; spec: string };
  tmpfsMb: number;
  pidsLimit: number;
  capacity: { cpuMillis?: number; memoryMb?: number; maxJobs?: number };
  gpus: number;
  gpuRuntime: string;
  logCapBytes: number;
  killGraceMs: number;
  reconnectGraceMs: number;
  healthTimeoutMs: number;
}

export const DEFAULT_SOCKET_PATH = "/var/run/docker.sock";

const PULL_POLICIES: readonly PullPolicy[] = ["always", "if-not-present", "never"];

/** Thrown when the executor is made with settings it cannot work with. */
export class DockerOptionsError extends Error {
  override name = "DockerOptionsError";
}

function positive(name: string, value: number | undefined, fallback: number): number {
  const chosen = value ?? fallback;
  if (!Number.isFinite(chosen) || chosen <= 0)
    throw new DockerOptionsError(`${name} must be a positive number, got ${String(value)}`);
  return chosen;
}

function atLeastZero(name: string, value: number | undefined, fallback: number): number {
  const chosen = value ?? fallback;
  if (!Number.isInteger(chosen) || chosen < 0)
    throw new DockerOptionsError(`${name} must be a whole number ≥ 0, got ${String(value)}`);
  return chosen;
}

function parseRunUser(spec: string): ResolvedOptions["runUser"] {
  const match = /^(\d+):(\d+)$/.exec(spec);
  if (!match) throw new DockerOptionsError(`runUser must be numeric uid:gid, got "${spec}"`);
  const uid = Number(match[1]);
  const gid = Number(match[2]);
  if (uid === 0) throw new DockerOptionsError("runUser must not be root (uid 0)");
  return { uid, gid, spec };
}

export function resolveOptions(options: DockerExecutorOptions): ResolvedOptions {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(options.node))
    throw new DockerOptionsError(
      `node must be letters, digits, '_', '.' or '-' (it names containers), got "${options.node}"`,
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
    node: options.node,
    docker,
    pullPolicy,
    runUser: parseRunUser(options.runUser ?? "1000:1000"),
    tmpfsMb: positive("tmpfsMb", options.tmpfsMb, 64),
    pidsLimit: positive("pidsLimit", options.pidsLimit, 1024),
    capacity,
    gpus: atLeastZero("gpus", options.gpus, 0),
    gpuRuntime: options.gpuRuntime ?? "nvidia",
    logCapBytes: positive("logCapBytes", options.logCapBytes, DEFAULT_LOG_CAP_BYTES),
    killGraceMs: atLeastZero("killGraceMs", options.killGraceMs, 2000),
    reconnectGraceMs: atLeastZero("reconnectGraceMs", options.reconnectGraceMs, 10_000),
    healthTimeoutMs: positive("healthTimeoutMs", options.healthTimeoutMs, 5000),
  };
}
