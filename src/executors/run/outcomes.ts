// The outcomes every backend reports the same way: a run stopped from outside, a command
// that exited non-zero, a backend that could not do its part.
import type { ExecutionErrorCode, RunOutcome, StopReason } from "../types.ts";

/** The code a stopped run ends with. */
export const STOP_CODES: Record<StopReason, ExecutionErrorCode> = {
  CANCELLED: "CANCELLED",
  TIME_LIMIT_EXCEEDED: "TIME_LIMIT_EXCEEDED",
  SHUTDOWN: "EXECUTOR_UNAVAILABLE",
};

export function stopMessage(
  code: ExecutionErrorCode,
  limits: { timeLimitMs: number; memoryMb: number },
): string {
  switch (code) {
    case "TIME_LIMIT_EXCEEDED":
      return `stopped at the time limit of ${limits.timeLimitMs} ms`;
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
