// The outcomes every backend reports the same way: a run stopped from outside, a command
// that exited non-zero, a backend that could not do its part.
import type { ExecutionErrorCode, RunOutcome, StopReason } from "../types.ts";

/** The code a stopped run ends with. */
export const STOP_CODES: Record<StopReason, ExecutionErrorCode> = {
  CANCELLED: "CANCELLED",
  TIME_LIMIT_EXCEEDED: "TIME_LIMIT_EXCEEDED",
  SHUTDOWN: "EXECUTOR_UNAVAILABLE",
};

/** From this share of its memory limit on, a run counts as having been at the limit. */
const AT_MEMORY_LIMIT = 0.95;

/**
 * `peakBytes`: the most memory the run was seen to hold, when the backend samples it. A run
 * stopped at its deadline while it sat at its memory limit gets a hint, because the kernel
 * does not always kill such a run: it may evict the program's own code from memory over and
 * over (thrashing), so the run crawls until the deadline and the real cause is memory.
 */
export function stopMessage(
  code: ExecutionErrorCode,
  limits: { timeLimitMs: number; memoryMb: number },
  peakBytes: number | null = null,
): string {
  switch (code) {
    case "TIME_LIMIT_EXCEEDED": {
      const message = `stopped at the time limit of ${limits.timeLimitMs} ms`;
      const atLimit =
        peakBytes !== null && peakBytes >= AT_MEMORY_LIMIT * limits.memoryMb * 2 ** 20;
      return atLimit
        ? `${message}, while at its memory limit of ${limits.memoryMb} MiB: a program held at its limit can slow to a crawl, so it may need more memory`
        : message;
    }
    case "MEMORY_LIMIT_EXCEEDED":
      return `stopped above the memory limit of ${limits.memoryMb} MiB`;
    case "EXECUTOR_UNAVAILABLE":
      return "stopped because the worker shut down";
    default:
      return "stopped by request";
  }
}

export function failed(
  code: ExecutionErrorCode,
  message: string,
  details: { exitCode?: number | null; signal?: string | null; durationMs?: number } = {},
): RunOutcome {
  return {
    ok: false,
    code,
    message,
    exitCode: details.exitCode ?? null,
    signal: details.signal ?? null,
    durationMs: details.durationMs ?? 0,
  };
}

/** A command that ran to its end with this exit status. */
export function exited(exitCode: number | null, signal: string | null, durationMs: number) {
  if (exitCode === 0) return { ok: true, exitCode: 0, durationMs } as const;
  const how = signal ? `was killed by ${signal}` : `exited with code ${exitCode}`;
  return failed("EXECUTION_FAILED", `the command ${how}`, { exitCode, signal, durationMs });
}
