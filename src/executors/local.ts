// The local executor: runs a job's command as a child process on this machine. It is for
// trusted code on one machine (development, `npm start`, a team's own box): the command
// sees the host's filesystem. The Docker executor is the hardened backend for strangers'
// code. What it does guarantee: the command gets none of the worker's environment (which
// holds the database URL), it leads its own process group so a timeout or cancel kills
// everything it started, its memory is watched, and its output lands in logs/container.log.
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { groupResidentBytes } from "./process-group.ts";
import type {
  ExecutionErrorCode,
  ExecutionOutcome,
  ExecutionRequest,
  Executor,
  ExecutorCapacity,
} from "./types.ts";

export interface LocalExecutorOptions {
  capacity: ExecutorCapacity;
  /** How often the group's resident memory is sampled. */
  memoryPollMs?: number;
  /** Between SIGTERM and SIGKILL when a run is stopped. */
  killGraceMs?: number;
  /** PATH given to commands. */
  pathEnv?: string;
  /** Largest container.log kept; the rest is drained and dropped. */
  logCapBytes?: number;
}

const DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin";

interface RunInfo {
  jobId: string;
  attempt: number;
  executor: "LOCAL";
  command: string[];
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  exitCode: number | null;
  signal: string | null;
  outcome: string;
  peakMemoryMb: number;
  limits: { cpuMillis: number; memoryMb: number; timeLimitMs: number };
}

export function createLocalExecutor(options: LocalExecutorOptions): Executor {
  const pollMs = options.memoryPollMs ?? 500;
  const graceMs = options.killGraceMs ?? 2000;
  const logCap = options.logCapBytes ?? 16 * 1024 * 1024;
  const runs = new Map<
    string,
    { stop: (code: ExecutionErrorCode) => void; done: Promise<unknown> }
  >();
  let closed = false;

  async function run(request: ExecutionRequest): Promise<ExecutionOutcome> {
    const started = Date.now();
    const logs = path.join(request.workspace, "logs");
    const tmp = path.join(request.workspace, "tmp");
    await mkdir(logs, { recursive: true });
    await mkdir(tmp, { recursive: true });
    const log = createWriteStream(path.join(logs, "container.log"), { flags: "a" });
    let logged = 0;
    const write = (chunk: Buffer) => {
      request.onLog?.(chunk.toString());
      if (logged >= logCap) return;
      const room = logCap - logged;
      logged += chunk.length;
      log.write(chunk.length <= room ? chunk : chunk.subarray(0, room));
      if (logged >= logCap) log.write(`\n[log truncated at ${logCap} bytes]\n`);
    };

    let stopCode: ExecutionErrorCode | null = null;
    let peakBytes = 0;
    let child: ChildProcess;
    let stopRun: (code: ExecutionErrorCode) => void = () => {};
    const outcome = new Promise<ExecutionOutcome>((resolve) => {
      const [file, ...args] = request.command;
      child = spawn(file as string, args, {
        cwd: request.workspace,
        // Its own process group: one signal to -pid reaches everything it starts.
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
        env: {
          PATH: options.pathEnv ?? DEFAULT_PATH,
          HOME: request.workspace,
          TMPDIR: tmp,
          LANG: "C.UTF-8",
          ...request.env,
        },
      });
      child.stdout?.on("data", write);
      child.stderr?.on("data", write);

      const killGroup = (signal: NodeJS.Signals) => {
        if (child.pid === undefined) return;
        try {
          process.kill(-child.pid, signal);
        } catch {
          // ESRCH: the group is already gone.
        }
      };
      let killTimer: NodeJS.Timeout | undefined;
      const stop = (code: ExecutionErrorCode) => {
        if (stopCode) return;
        stopCode = code;
        killGroup("SIGTERM");
        killTimer = setTimeout(() => killGroup("SIGKILL"), graceMs);
      };
      stopRun = stop;

      const limitTimer = setTimeout(() => stop("TIME_LIMIT_EXCEEDED"), request.timeLimitMs);
      // Not RLIMIT_AS: V8 and JVMs reserve far more address space than they use, and a
      // limit on it fails them at start. Resident memory of the whole group is what counts.
      const memoryTimer = setInterval(() => {
        if (child.pid === undefined) return;
        void groupResidentBytes(child.pid).then((bytes) => {
          peakBytes = Math.max(peakBytes, bytes);
          if (bytes > request.memoryMb * 1024 * 1024) stop("MEMORY_LIMIT_EXCEEDED");
        });
      }, pollMs);
      const onAbort = () => stop("CANCELLED");
      if (request.signal.aborted) onAbort();
      request.signal.addEventListener("abort", onAbort, { once: true });

      let settled = false;
      const finish = (result: ExecutionOutcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(limitTimer);
        clearTimeout(killTimer);
        clearInterval(memoryTimer);
        request.signal.removeEventListener("abort", onAbort);
        resolve(result);
      };
      child.once("error", (error: NodeJS.ErrnoException) => {
        finish({
          ok: false,
          code: "EXECUTION_FAILED",
          message: `the command could not start: ${error.code ?? error.message}`,
          exitCode: null,
          signal: null,
          durationMs: Date.now() - started,
        });
      });
      child.once("close", (exitCode, signal) => {
        // Background processes the command left behind do not outlive the job.
        killGroup("SIGKILL");
        const durationMs = Date.now() - started;
        if (stopCode) {
          finish({
            ok: false,
            code: stopCode,
            message: stopMessage(stopCode, request),
            exitCode,
            signal,
            durationMs,
          });
        } else if (exitCode === 0) {
          finish({ ok: true, exitCode: 0, durationMs });
        } else {
          const how = signal ? `was killed by ${signal}` : `exited with code ${exitCode}`;
          finish({
            ok: false,
            code: "EXECUTION_FAILED",
            message: `the command ${how}`,
            exitCode,
            signal,
            durationMs,
          });
        }
      });
    });

    runs.set(request.jobId, { stop: (code) => stopRun(code), done: outcome });
    const result = await outcome;
    runs.delete(request.jobId);
    await new Promise<void>((resolve) => log.end(resolve));
    const info: RunInfo = {
      jobId: request.jobId,
      attempt: request.attempt,
      executor: "LOCAL",
      command: request.command,
      startedAt: new Date(started).toISOString(),
      finishedAt: new Date().toISOString(),
      durationMs: result.durationMs,
      exitCode: result.exitCode,
      signal: result.ok ? null : result.signal,
      outcome: result.ok ? "SUCCEEDED" : result.code,
      peakMemoryMb: Math.round((peakBytes / 1024 / 1024) * 10) / 10,
      limits: {
        cpuMillis: request.cpuMillis,
        memoryMb: request.memoryMb,
        timeLimitMs: request.timeLimitMs,
      },
    };
    await writeFile(path.join(logs, "run_info.json"), `${JSON.stringify(info, null, 2)}\n`);
    return result;
  }

  return {
    kind: "LOCAL",
    run: (request) => {
      if (closed) {
        return Promise.resolve({
          ok: false,
          code: "EXECUTOR_UNAVAILABLE",
          message: "the executor is shut down",
          exitCode: null,
          signal: null,
          durationMs: 0,
        });
      }
      return run(request);
    },
    async cancel(jobId) {
      runs.get(jobId)?.stop("CANCELLED");
    },
    // CPU is not capped here (that needs cgroups, which Docker brings); the scheduler still
    // books each job's CPU on the node, which is what keeps a node from being overfilled.
    health: async () => (closed ? { healthy: false, message: "shut down" } : { healthy: true }),
    capacity: () => options.capacity,
    async close() {
      closed = true;
      const pending = [...runs.values()];
      for (const run of pending) run.stop("CANCELLED");
      await Promise.all(pending.map((run) => run.done));
    },
  };
}

function stopMessage(code: ExecutionErrorCode, request: ExecutionRequest): string {
  if (code === "TIME_LIMIT_EXCEEDED")
    return `stopped at the time limit of ${request.timeLimitMs} ms`;
  if (code === "MEMORY_LIMIT_EXCEEDED")
    return `stopped above the memory limit of ${request.memoryMb} MiB`;
  return "stopped by request";
}
