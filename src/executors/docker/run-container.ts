// One run in one container, from PREPARING until the container is gone. A fresh run is
// checked, created (pulling by policy), attached and started; an adopted one is picked up
// where a previous worker left it. Both are then watched the same way: the time limit from
// the command's real start, usage samples, the exit, OOM or not; and the container is
// removed before the outcome is known to anyone. Every failure becomes an outcome: the
// promise never rejects.
import type Docker from "dockerode";
import { createEventChannel } from "../run/event-channel.ts";
import { exited, failed, STOP_CODES, stopMessage } from "../run/outcomes.ts";
import { limitsOf, openRunLog, outcomeFields, type RunInfo, type RunLog } from "../run/run-log.ts";
import type { ExecutionErrorCode, RunHandle, RunOutcome, RunRequest } from "../types.ts";
import { removeContainer, waitForExit, wasOomKilled } from "./container-calls.ts";
import { checkRequest, containerConfig } from "./container-config.ts";
import type { Engine } from "./engine.ts";
import { engineFailure, engineMessage, RunFailure, startFailure } from "./errors.ts";
import { checkGpus } from "./gpus.ts";
import { createWithPullPolicy } from "./images.ts";
import type { ResolvedOptions } from "./options.ts";
import { type AttachedOutput, attachOutput } from "./output.ts";
import { followStats, type StatsFollower } from "./stats-stream.ts";
import { createStopSequence } from "./stop-sequence.ts";
import { createUsageTracker, type UsageTracker } from "./usage.ts";
import { openWritableMounts } from "./writable-mounts.ts";

export interface RunContext {
  options: ResolvedOptions;
  engine: Engine;
  isClosed(): boolean;
  /** Host paths no mount may expose (the root, the engine's socket). */
  forbiddenSources: ReadonlySet<string>;
}

export type RunBeginning =
  | { kind: "fresh" }
  | { kind: "adopted"; container: Docker.Container; info: Docker.ContainerInspectInfo };

/** After the exit, how long the output may take to drain before its stream is dropped. */
const OUTPUT_DRAIN_MS = 2000;
/** setTimeout's ceiling (about 24.8 days); a longer limit is as good as none. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** MiB with one decimal; null when the run ended before its first sample. */
const peakMb = (bytes: number | null) =>
  bytes === null ? null : Math.round((bytes / 2 ** 20) * 10) / 10;

export function runContainer(
  context: RunContext,
  request: RunRequest,
  beginning: RunBeginning,
): RunHandle {
  const { options, engine } = context;
  const docker = options.docker;
  const limits = limitsOf(request);
  const channel = createEventChannel();
  const abandon = new AbortController();
  let stopCode: ExecutionErrorCode | null = null;
  let running = false;
  let over = false;
  let limitTimer: NodeJS.Timeout | undefined;
  let statsTimer: NodeJS.Timeout | undefined;
  /** What the run has made so far; what exists at the end is closed or removed. */
  const made: {
    container: Docker.Container | null;
    output: AttachedOutput | null;
    stats: StatsFollower | null;
    tracker: UsageTracker | null;
    startedAt: number | null;
    pullMs: number | null;
  } = {
    container: beginning.kind === "adopted" ? beginning.container : null,
    output: null,
    stats: null,
    tracker: null,
    startedAt: null,
    pullMs: null,
  };
  /** Engine trouble that did not decide the outcome, kept for run_info.json. */
  const notes: string[] = [];

  const stopping = createStopSequence(
    () => made.container,
    options.killGraceMs,
    (message) => notes.push(message),
  );

  const stop = async (code: ExecutionErrorCode) => {
    if (stopCode || over) return;
    stopCode = code;
    // A pull in progress is abandoned; a run not yet started is never started.
    abandon.abort();
    if (running) await stopping.begin();
  };

  const stoppedOutcome = (details: { exitCode?: number | null; durationMs?: number } = {}) => {
    const code = stopCode ?? "CANCELLED";
    return failed(code, stopMessage(code, limits, made.tracker?.peakBytes ?? null), details);
  };

  /**
   * How a container that exited with `exitCode` ended, from the run's point of view.
   * `unwatched`: it ran with no worker watching (adopted after its end), so its time limit
   * was not enforced while it ran and is checked now: a worker's crash buys no extra time.
   */
  const endedOutcome = (
    exitCode: number,
    oomKilled: boolean,
    durationMs: number,
    unwatched = false,
  ): RunOutcome => {
    const details = { exitCode, durationMs };
    if (stopCode) return stoppedOutcome(details);
    if (unwatched && durationMs > request.timeLimitMs)
      return failed("TIME_LIMIT_EXCEEDED", stopMessage("TIME_LIMIT_EXCEEDED", limits), details);
    if (exitCode === 0) return { ok: true, exitCode: 0, durationMs };
    if (oomKilled)
      return failed("MEMORY_LIMIT_EXCEEDED", stopMessage("MEMORY_LIMIT_EXCEEDED", limits), details);
    return exited(exitCode, null, durationMs);
  };

  /** Watches a started container to its exit. `since`: when its command started. */
  const watch = async (target: Docker.Container, since: number): Promise<RunOutcome> => {
    running = true;
    made.startedAt = since;
    if (stopCode) void stopping.begin();
    const remaining = Math.max(0, since + Math.max(0, request.timeLimitMs || 0) - Date.now());
    limitTimer = setTimeout(
      () => void stop("TIME_LIMIT_EXCEEDED"),
      Math.min(remaining, MAX_TIMER_MS),
    );
    const tracker = createUsageTracker(since, request.resources.cpuMillis);
    made.tracker = tracker;
    const sample = () => {
      if (!over) made.stats = followStats(target, tracker, channel);
    };
    if (options.usageDelayMs === 0) sample();
    else statsTimer = setTimeout(sample, options.usageDelayMs);
    const exitCode = await waitForExit(target, engine, options.reconnectGraceMs);
    over = true;
    stopping.end();
    clearTimeout(limitTimer);
    clearTimeout(statsTimer);
    made.stats?.close();
    await drainOutput();
    const durationMs = Date.now() - since;
    if (exitCode === null) {
      if (stopCode) return stoppedOutcome({ durationMs });
      return failed(
        "EXECUTOR_UNAVAILABLE",
        "the container was removed before the executor saw how it ended",
        { durationMs },
      );
    }
    // Only a failed run can have been OOM-killed: a success needs no second look.
    const oomKilled = exitCode !== 0 && !stopCode ? await wasOomKilled(target) : false;
    return endedOutcome(exitCode, oomKilled, durationMs);
  };

  const drainOutput = async () => {
    const output = made.output;
    if (!output) return;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, OUTPUT_DRAIN_MS);
    });
    await Promise.race([output.ended, late]);
    clearTimeout(timer);
    if (output.error) notes.push(`the output stream broke: ${engineMessage(output.error)}`);
    output.close();
  };

  const fresh = async (log: RunLog): Promise<RunOutcome> => {
    if (context.isClosed())
      throw new RunFailure("EXECUTOR_UNAVAILABLE", "the executor is shut down");
    const image = checkRequest(request, context.forbiddenSources);
    await checkGpus(request.resources.gpus, options, engine);
    await openWritableMounts(request.mounts, options.runUser);
    if (stopCode) return stoppedOutcome();
    const config = containerConfig(request, image, options);
    const created = await createWithPullPolicy(
      docker,
      { ...config, Image: image },
      options.pullPolicy,
      abandon.signal,
    );
    const container = created.container;
    made.container = container;
    made.pullMs = created.pullMs;
    if (stopCode) return stoppedOutcome();
    try {
      made.output = await attachOutput(container, log);
    } catch (error) {
      throw engineFailure(error, "attaching to the container");
    }
    if (stopCode) return stoppedOutcome();
    try {
      await container.start();
    } catch (error) {
      throw startFailure(error);
    }
    const since = Date.now();
    channel.push({ type: "phase", phase: "RUNNING", at: since });
    return watch(container, since);
  };

  const adopted = async (
    log: RunLog,
    target: Docker.Container,
    info: Docker.ContainerInspectInfo,
  ): Promise<RunOutcome> => {
    const since = Date.parse(info.State.StartedAt);
    const realStart = Number.isFinite(since) ? since : Date.now();
    if (info.State.Running || info.State.Paused || info.State.Restarting) {
      try {
        made.output = await attachOutput(target, log);
      } catch (error) {
        throw engineFailure(error, "attaching to the adopted container");
      }
      channel.push({
        type: "phase",
        phase: "RUNNING",
        at: Date.now(),
        message: `adopted; running since ${new Date(realStart).toISOString()}`,
      });
      return watch(target, realStart);
    }
    // It ended while no worker watched it.
    over = true;
    made.startedAt = realStart;
    const finished = Date.parse(info.State.FinishedAt);
    const durationMs = Number.isFinite(finished) ? Math.max(0, finished - realStart) : 0;
    return endedOutcome(info.State.ExitCode, info.State.OOMKilled === true, durationMs, true);
  };

  const toOutcome = (error: unknown): RunOutcome => {
    // Asked to stop: whatever broke on the way, the run ends as asked.
    if (stopCode) return stoppedOutcome();
    if (error instanceof RunFailure) return failed(error.code, error.message);
    return failed("EXECUTOR_UNAVAILABLE", `the Docker executor failed: ${String(error)}`);
  };

  const runInfo = (outcome: RunOutcome): RunInfo => {
    const statsError = made.stats?.error;
    return {
      jobId: request.jobId,
      attempt: request.attempt,
      executor: "DOCKER",
      image: request.image,
      command: request.command,
      startedAt: made.startedAt === null ? null : new Date(made.startedAt).toISOString(),
      finishedAt: new Date().toISOString(),
      ...outcomeFields(outcome),
      peakMemoryMb: peakMb(made.tracker?.peakBytes ?? null),
      limits,
      details: {
        node: options.nodeName,
        containerId: made.container?.id ?? null,
        adopted: beginning.kind === "adopted",
        pullMs: made.pullMs,
        ...(statsError ? { statsError: engineMessage(statsError) } : {}),
        ...(notes.length > 0 ? { notes } : {}),
      },
    };
  };

  const run = async (): Promise<RunOutcome> => {
    if (beginning.kind === "fresh")
      channel.push({ type: "phase", phase: "PREPARING", at: Date.now() });
    let log: RunLog | null = null;
    let outcome: RunOutcome;
    try {
      log = await openRunLog(request.logDir, channel, options.logCapBytes).catch(
        (error: unknown) => {
          throw new RunFailure(
            "EXECUTOR_UNAVAILABLE",
            `the run's log folder ${request.logDir} cannot be written: ${String(error)}`,
            { cause: error },
          );
        },
      );
      outcome =
        beginning.kind === "fresh"
          ? await fresh(log)
          : await adopted(log, beginning.container, beginning.info);
    } catch (error) {
      outcome = toOutcome(error);
    }
    over = true;
    stopping.end();
    clearTimeout(limitTimer);
    clearTimeout(statsTimer);
    made.stats?.close();
    made.output?.close();
    if (made.container) {
      const left = await removeContainer(made.container, engine, options.reconnectGraceMs);
      if (left) notes.push(`the container could not be removed (the next sweep does): ${left}`);
    }
    channel.push({ type: "phase", phase: "EXITED", at: Date.now() });
    if (log) {
      await log.close();
      await log.writeInfo(runInfo(outcome)).catch(() => {
        // run_info.json is for people reading the workspace later; the outcome is decided
        // and reported either way, and the file's absence shows the miss.
      });
    }
    channel.end();
    return outcome;
  };

  return {
    jobId: request.jobId,
    attempt: request.attempt,
    events: channel.events,
    outcome: run().catch((error: unknown) =>
      failed("EXECUTOR_UNAVAILABLE", `the Docker executor failed: ${String(error)}`),
    ),
    stop: (reason) => stop(STOP_CODES[reason]),
  };
}
