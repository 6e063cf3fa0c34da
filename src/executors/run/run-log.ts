// What every backend records of a run on the host: container.log (stdout and stderr lines
// as they come, up to a cap, then a note that the rest was dropped) and run_info.json (how
// the run went, for people reading the workspace later). Lines also go to the run's event
// channel, so the worker can stream them live.
import { createWriteStream, type WriteStream } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { LogStream, RunOutcome, RunRequest } from "../types.ts";
import type { EventChannel } from "./event-channel.ts";
import { createLineSplitter, type LineSplitter } from "./line-splitter.ts";

export const DEFAULT_LOG_CAP_BYTES = 16 * 1024 * 1024;

export interface RunLog {
  /** Raw output of one stream; split into lines here. */
  write(stream: LogStream, chunk: Buffer): void;
  /** A whole line from a backend that already reads lines (Kubernetes pod logs). */
  line(stream: LogStream, line: string): void;
  /** Flushes partial lines and closes container.log. */
  close(): Promise<void>;
  /** Writes run_info.json. */
  writeInfo(info: RunInfo): Promise<void>;
}

export interface RunInfo {
  jobId: string;
  attempt: number;
  executor: string;
  image: string | null;
  command: string[];
  startedAt: string | null;
  finishedAt: string;
  durationMs: number;
  exitCode: number | null;
  signal: string | null;
  outcome: string;
  message?: string;
  peakMemoryMb: number | null;
  limits: { cpuMillis: number; memoryMb: number; gpus: number; timeLimitMs: number };
  /** Backend-specific facts: container id, Kubernetes Job name, … */
  details?: Record<string, unknown>;
}

export async function openRunLog(
  logDir: string,
  channel: EventChannel,
  capBytes = DEFAULT_LOG_CAP_BYTES,
): Promise<RunLog> {
  await mkdir(logDir, { recursive: true });
  const file: WriteStream = createWriteStream(path.join(logDir, "container.log"), { flags: "a" });
  // An unwritable log must not end the worker; the run's outcome is what matters.
  file.on("error", () => {});
  let written = 0;
  let truncated = false;

  const record = (stream: LogStream, line: string) => {
    channel.push({ type: "log", stream, line, at: Date.now() });
    if (truncated) return;
    const bytes = Buffer.byteLength(line) + 1;
    if (written + bytes > capBytes) {
      truncated = true;
      file.write(`[log truncated at ${capBytes} bytes; the rest was streamed only]\n`);
      return;
    }
    written += bytes;
    file.write(`${line}\n`);
  };

  const splitters: Record<LogStream, LineSplitter> = {
    stdout: createLineSplitter((line) => record("stdout", line)),
    stderr: createLineSplitter((line) => record("stderr", line)),
  };

  return {
    write: (stream, chunk) => splitters[stream].write(chunk),
    line: record,
    async close() {
      splitters.stdout.end();
      splitters.stderr.end();
      await new Promise<void>((resolve) => file.end(resolve));
    },
    async writeInfo(info) {
      await writeFile(path.join(logDir, "run_info.json"), `${JSON.stringify(info, null, 2)}\n`);
    },
  };
}

/** run_info.json's outcome fields from a RunOutcome. */
export function outcomeFields(
  outcome: RunOutcome,
): Pick<RunInfo, "exitCode" | "signal" | "outcome" | "message" | "durationMs"> {
  return outcome.ok
    ? { exitCode: 0, signal: null, outcome: "SUCCEEDED", durationMs: outcome.durationMs }
    : {
        exitCode: outcome.exitCode,
        signal: outcome.signal,
        outcome: outcome.code,
        message: outcome.message,
        durationMs: outcome.durationMs,
      };
}

/** run_info.json's limits from a request. */
export const limitsOf = (request: RunRequest): RunInfo["limits"] => ({
  ...request.resources,
  timeLimitMs: request.timeLimitMs,
});
