// Runs one plugin task in a fresh worker thread: a new module graph each time (so an edited
// plugin is always the code that runs), an empty environment, a heap limit and a wall-clock
// limit. Whatever the plugin does (throw, hang, exhaust its heap, exit) ends as a
// SCORER_FAILED for this task only; the host and other plugins go on.
import { Worker } from "node:worker_threads";
import { ScoringError } from "../errors.ts";
import type { PluginScoreInput } from "./api.ts";
import { PLUGIN_WORKER_SOURCE } from "./worker-source.ts";

export interface SandboxLimits {
  timeLimitMs: number;
  memoryMb: number;
}

export interface PluginInfoMessage {
  name: unknown;
  version: unknown;
  description: string;
  paramsSchema: Record<string, unknown>;
  defaultMetric: string | null;
  format: "csv" | "json" | "any";
}

export interface SandboxReply {
  info: PluginInfoMessage;
  output?: unknown;
}

type WorkerMessage =
  | { ok: true; info: PluginInfoMessage; output?: unknown }
  | { ok: false; error: { message: string; stack?: string } };

export function runPluginTask(
  file: string,
  task: { kind: "describe" } | { kind: "score"; input: PluginScoreInput },
  limits: SandboxLimits,
  signal?: AbortSignal,
): Promise<SandboxReply> {
  signal?.throwIfAborted();
  const failed = (message: string, details: Record<string, unknown> = {}, cause?: unknown) =>
    new ScoringError(
      "SCORER_FAILED",
      message,
      { plugin: file, ...details },
      cause ? { cause } : undefined,
    );
  return new Promise((resolve, reject) => {
    const worker = new Worker(PLUGIN_WORKER_SOURCE, {
      eval: true,
      workerData: { file, task: task.kind, input: task.kind === "score" ? task.input : undefined },
      env: {},
      execArgv: [],
      stdout: true,
      stderr: true,
      resourceLimits: {
        maxOldGenerationSizeMb: limits.memoryMb,
        maxYoungGenerationSizeMb: Math.max(4, Math.min(64, Math.floor(limits.memoryMb / 8))),
        stackSizeMb: 4,
      },
    });
    // Plugin output goes nowhere near the host's stdout (the CLI prints the Result there).
    worker.stdout.resume();
    worker.stderr.resume();
    let settled = false;
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      void worker.terminate();
      outcome();
    };
    const timer = setTimeout(
      () =>
        finish(() =>
          reject(
            failed(`plugin exceeded its time limit of ${limits.timeLimitMs} ms`, {
              reason: "TIME_LIMIT",
            }),
          ),
        ),
      limits.timeLimitMs,
    );
    const onAbort = () => finish(() => reject(signal?.reason));
    signal?.addEventListener("abort", onAbort, { once: true });
    worker.on("message", (message: WorkerMessage) => {
      if (message.ok) finish(() => resolve({ info: message.info, output: message.output }));
      else
        finish(() =>
          reject(
            failed(`plugin failed: ${message.error.message}`, {
              reason: "THREW",
              stack: message.error.stack,
            }),
          ),
        );
    });
    worker.on("error", (error: Error & { code?: string }) => {
      const outOfMemory = error.code === "ERR_WORKER_OUT_OF_MEMORY";
      finish(() =>
        reject(
          outOfMemory
            ? failed(
                `plugin exceeded its memory limit of ${limits.memoryMb} MiB`,
                { reason: "MEMORY_LIMIT" },
                error,
              )
            : failed(`plugin crashed: ${error.message}`, { reason: "CRASHED" }, error),
        ),
      );
    });
    worker.on("exit", (code) =>
      finish(() =>
        reject(
          failed(`plugin exited (code ${code}) before returning a result`, { reason: "EXITED" }),
        ),
      ),
    );
  });
}
