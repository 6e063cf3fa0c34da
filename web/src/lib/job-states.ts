// Job states (PENDING → QUEUED → RUNNING → SUCCEEDED | FAILED | TIMED_OUT | CANCELLED)
// and what each allows from the page.
export const JOB_STATES = [
  "PENDING",
  "QUEUED",
  "RUNNING",
  "SUCCEEDED",
  "FAILED",
  "TIMED_OUT",
  "CANCELLED",
] as const;

export type JobState = (typeof JOB_STATES)[number];

export const ACTIVE_STATES: readonly JobState[] = ["PENDING", "QUEUED", "RUNNING"];

export const isActive = (state: JobState): boolean => ACTIVE_STATES.includes(state);

/** Cancelling is asked of a job that has not finished. */
export const canCancel = (state: JobState, cancelRequested: boolean): boolean =>
  isActive(state) && !cancelRequested;

/** A job that ended without success may run again (a new attempt). */
export const canRetry = (state: JobState): boolean =>
  state === "FAILED" || state === "TIMED_OUT" || state === "CANCELLED";

export const STATE_LABELS: Record<JobState, string> = {
  PENDING: "Pending",
  QUEUED: "Queued",
  RUNNING: "Running",
  SUCCEEDED: "Succeeded",
  FAILED: "Failed",
  TIMED_OUT: "Timed out",
  CANCELLED: "Cancelled",
};
