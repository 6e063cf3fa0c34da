// Which failures earn another automatic attempt, and how long the job waits before it.
// Only failures of the platform (a lost worker, a container the engine could not create)
// are retried: a submission that exits non-zero, overruns its limits or fails scoring
// would fail the same way again, and retrying it would only burn the tenant's capacity.

export const RETRYABLE_CODES: ReadonlySet<string> = new Set([
  "EXECUTOR_UNAVAILABLE",
  "CONTAINER_CREATE_FAILED",
]);

export const isRetryable = (code: string): boolean => RETRYABLE_CODES.has(code);

export interface BackoffSettings {
  baseMs: number;
  maxMs: number;
}

/**
 * Delay before attempt `attempt + 1`: exponential in the attempts made, capped, with
 * "equal jitter" (half fixed, half random) so jobs that failed together — every job of a
 * node that died — do not all come back in the same instant.
 */
export function retryDelayMs(
  attempt: number,
  settings: BackoffSettings,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(settings.maxMs, settings.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
