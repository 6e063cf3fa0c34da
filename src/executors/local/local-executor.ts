// The local executor: runs a job's command as a child process on this machine. It is for
// trusted code on one machine (development, `npm start`, a team's own box): the command
// runs as the worker's user and could read anything that user can. Strangers' code belongs
// on the Docker or Kubernetes executor. What it does guarantee: the command gets none of
// the worker's environment (which holds the database URL); its working directory holds
// only the run's mounts (as links); it leads its own process group, so a time limit, a
// cancel or the memory limit stops everything it started; and every group it starts is
// recorded under `stateDir`, so a worker that restarts after a crash can end the ones its
// predecessor left running (`sweep`). A local run cannot be adopted: its output pipes died
// with the worker that read them.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdir, readdir, readFile, rm, symlink, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { createEventChannel } from "../run/event-channel.ts";
import { exited, failed, STOP_CODES, stopMessage } from "../run/outcomes.ts";
import { DEFAULT_LOG_CAP_BYTES, limitsOf, openRunLog, outcomeFields } from "../run/run-log.ts";
import type {
  ExecutionErrorCode,
  Executor,
  ExecutorCapacity,
  RunHandle,
  RunOutcome,
  RunRequest,
} from "../types.ts";
import { CLOCK_TICKS_PER_SECOND, groupUsage, processStartTicks } from "./process-group.ts";

export interface LocalExecutorOptions {
  capacity: ExecutorCapacity;
  /** Where the process groups this node starts are recorded (one small file each). */
  stateDir: string;
  /** How often CPU and memory are sampled (and the memory limit checked). */
  sampleMs?: number;
  /** Between SIGTERM and SIGKILL when a run is stopped. */
  killGraceMs?: number;
  /** PATH given to commands. */
  pathEnv?: string;
  /** Largest container.log kept; later lines are only streamed. */
  logCapBytes?: number;
}

const DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin";

/** What `stateDir` holds per run: enough to find the group again and to know it is ours. */
interface GroupRecord {
  jobId: string;
  attempt: number;
  pgid: number;
  /** The leader's start time: a recycled pid with another start time is not ours. */
  startTicks: number | null;
}

const recordName = (jobId: string, attempt: number) => `${jobId}.${attempt}.json`;

export function createLocalExecutor(options: LocalExecutorOptions): Executor {
  const sampleMs = options.sampleMs ?? 500;
  const graceMs = options.killGraceMs ?? 2000;
  const logCap = options.logCapBytes ?? DEFAULT_LOG_CAP_BYTES;
  const live = new Map<string, RunHandle>();
  let closed = false;

  function start(request: RunRequest): RunHandle {
    const channel = createEventChannel();
    let stopCode: ExecutionErrorCode | null = null;
    let signalGroup: ((signal: NodeJS.Signals) => void) | null = null;
    let killTimer: NodeJS.Timeout | undefined;

    const stop = async (code: ExecutionErrorCode) => {
      if (stopCode) return;
      stopCode = code;
      signalGroup?.("SIGTERM");
      killTimer = setTimeout(() => signalGroup?.("SIGKILL"), graceMs);
    };

    const run = async (): Promise<RunOutcome> => {
      const began = Date.now();
      channel.push({ type: "phase", phase: "PREPARING", at: began });
      const log = await openRunLog(request.logDir, channel, logCap);
      let startedAt: number | null = null;
      let peakBytes = 0;
      const outcome = await (async (): Promise<RunOutcome> => {
        if (closed) return failed("EXECUTOR_UNAVAILABLE", "the executor is shut down");
        const cwd = await prepareScratch(request);
        if (stopCode) return failed(stopCode, stopMessage(stopCode, limitsOf(request)));
        const [file, ...args] = request.command;
        const child: ChildProcess = spawn(file as string, args, {
          cwd,
          // Its own process group: one signal to -pid reaches everything it starts.
          detached: true,
          stdio: ["ignore", "pipe", "pipe"],
          env: {
            PATH: options.pathEnv ?? DEFAULT_PATH,
            HOME: cwd,
            TMPDIR: path.join(cwd, "tmp"),
            LANG: "C.UTF-8",
            ...request.env,
          },
        });
        child.stdout?.on("data", (chunk: Buffer) => log.write("stdout", chunk));
        child.stderr?.on("data", (chunk: Buffer) => log.write("stderr", chunk));
        const pgid = child.pid;
        signalGroup = (signal) => {
          if (pgid === undefined) return;
          try {
            process.kill(-pgid, signal);
          } catch {
            // ESRCH: the group is already gone.
          }
        };
        // Listening before any await: a command that ends at once must not end unheard.
        const ended = new Promise<RunOutcome>((resolve) => {
          child.once("error", (error: NodeJS.ErrnoException) =>
            resolve(
              failed("EXECUTION_FAILED", `the command could not start: ${error.code ?? error}`),
            ),
          );
          // The leader's exit ends the run: background children it left would otherwise
          // hold its output pipes (and so 'close') open until they end on their own.
          child.once("exit", () => signalGroup?.("SIGKILL"));
          child.once("close", (exitCode, signal) => {
            const durationMs = Date.now() - (startedAt ?? began);
            if (stopCode) {
              resolve(
                failed(stopCode, stopMessage(stopCode, limitsOf(request), peakBytes), {
                  exitCode,
                  signal,
                  durationMs,
                }),
              );
            } else resolve(exited(exitCode, signal, durationMs));
          });
        });
        if (pgid !== undefined) await remember(request, pgid);
        startedAt = Date.now();
        channel.push({ type: "phase", phase: "RUNNING", at: startedAt });

        const limitTimer = setTimeout(() => stop("TIME_LIMIT_EXCEEDED"), request.timeLimitMs);
        // Not RLIMIT_AS: V8 and JVMs reserve far more address space than they use, and a
        // limit on it fails them at start. Resident memory of the whole group is what counts.
        let lastTicks = 0;
        let lastAt = startedAt;
        const sampler = setInterval(() => {
          if (pgid === undefined) return;
          void groupUsage(pgid).then((usage) => {
            const now = Date.now();
            const cpuMillis =
              ((usage.cpuTicks - lastTicks) / CLOCK_TICKS_PER_SECOND / ((now - lastAt) / 1000)) *
              1000;
            lastTicks = usage.cpuTicks;
            lastAt = now;
            peakBytes = Math.max(peakBytes, usage.residentBytes);
            if (usage.processes === 0) return;
            channel.push({
              type: "usage",
              cpuMillis: Math.max(0, Math.round(cpuMillis)),
              memoryBytes: usage.residentBytes,
              at: now,
            });
            if (usage.residentBytes > request.resources.memoryMb * 1024 * 1024)
              void stop("MEMORY_LIMIT_EXCEEDED");
          });
        }, sampleMs);

        const result = await ended;
        clearTimeout(limitTimer);
        clearInterval(sampler);
        // Background processes the command left behind do not outlive the run.
        signalGroup("SIGKILL");
        if (pgid !== undefined) await untilGroupGone(pgid);
        clearTimeout(killTimer);
        await forget(request);
        return result;
      })().catch((error: unknown) =>
        failed("EXECUTOR_UNAVAILABLE", `the local executor failed: ${String(error)}`),
      );
      channel.push({ type: "phase", phase: "EXITED", at: Date.now() });
      await log.close();
      await log
        .writeInfo({
          jobId: request.jobId,
          attempt: request.attempt,
          executor: "LOCAL",
          image: null,
          command: request.command,
          startedAt: startedAt === null ? null : new Date(startedAt).toISOString(),
          finishedAt: new Date().toISOString(),
          ...outcomeFields(outcome),
          peakMemoryMb: Math.round((peakBytes / 1024 / 1024) * 10) / 10,
          limits: limitsOf(request),
        })
        .catch(() => {});
      channel.end();
      return outcome;
    };

    const key = `${request.jobId}:${request.attempt}`;
    const handle: RunHandle = {
      jobId: request.jobId,
      attempt: request.attempt,
      events: channel.events,
      outcome: run().finally(() => live.delete(key)),
      stop: (reason) => stop(STOP_CODES[reason]),
    };
    live.set(key, handle);
    return handle;
  }

  /** The run's working directory: its mounts as links, and a private tmp/. */
  async function prepareScratch(request: RunRequest): Promise<string> {
    const dir = path.resolve(request.scratchDir);
    await rm(dir, { recursive: true, force: true });
    await mkdir(path.join(dir, "tmp"), { recursive: true });
    for (const mount of request.mounts) {
      const target = path.resolve(dir, mount.target);
      if (!target.startsWith(dir + path.sep))
        throw new Error(`mount outside the run: ${mount.target}`);
      await mkdir(path.dirname(target), { recursive: true });
      await symlink(mount.source, target, "dir");
    }
    return dir;
  }

  async function remember(request: RunRequest, pgid: number): Promise<void> {
    const record: GroupRecord = {
      jobId: request.jobId,
      attempt: request.attempt,
      pgid,
      startTicks: await processStartTicks(pgid),
    };
    await mkdir(options.stateDir, { recursive: true });
    await writeFile(
      path.join(options.stateDir, recordName(request.jobId, request.attempt)),
      JSON.stringify(record),
    );
  }

  const forget = (request: RunRequest) =>
    unlink(path.join(options.stateDir, recordName(request.jobId, request.attempt))).catch(() => {});

  return {
    kind: "LOCAL",
    start,
    adopt: async () => null,
    async sweep(keep) {
      let removed = 0;
      const files = await readdir(options.stateDir).catch(() => [] as string[]);
      for (const file of files) {
        const full = path.join(options.stateDir, file);
        const record = await readFile(full, "utf8")
          .then((text) => JSON.parse(text) as GroupRecord)
          .catch(() => null);
        if (!record) {
          await unlink(full).catch(() => {});
          continue;
        }
        if (live.has(`${record.jobId}:${record.attempt}`) || keep(record.jobId, record.attempt))
          continue;
        const ticks = await processStartTicks(record.pgid);
        if (ticks !== null && ticks === record.startTicks) {
          try {
            process.kill(-record.pgid, "SIGKILL");
          } catch {
            // gone meanwhile
          }
          await untilGroupGone(record.pgid);
          removed += 1;
        }
        await unlink(full).catch(() => {});
      }
      return removed;
    },
    // CPU is not capped here (that needs cgroups, which Docker brings); the scheduler still
    // books each job's CPU on the node, which is what keeps a node from being overfilled.
    health: async () =>
      closed
        ? { healthy: false, message: "shut down", capacity: options.capacity }
        : { healthy: true, capacity: options.capacity },
    async close() {
      closed = true;
      const runs = [...live.values()];
      await Promise.all(runs.map((run) => run.stop("SHUTDOWN")));
      await Promise.all(runs.map((run) => run.outcome));
    },
  };
}

/** Waits (briefly) until no process of the group is left, so a run's end means its end. */
async function untilGroupGone(pgid: number, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await groupUsage(pgid)).processes === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
