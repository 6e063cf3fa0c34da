// Which job endings a webhook hears of, and what they are called on the wire.
import type { JobState, WebhookEvent } from "../../generated/prisma/enums.ts";

export const WEBHOOK_EVENTS: readonly WebhookEvent[] = [
  "JOB_SUCCEEDED",
  "JOB_FAILED",
  "JOB_CANCELLED",
];

/**
 * The event each terminal state is announced as. TIMED_OUT is a failure to the receiver
 * (its errorCode says which); a test keeps this in step with the lifecycle's terminal states.
 */
export const EVENT_OF_STATE: Readonly<Partial<Record<JobState, WebhookEvent>>> = {
  SUCCEEDED: "JOB_SUCCEEDED",
  FAILED: "JOB_FAILED",
  TIMED_OUT: "JOB_FAILED",
  CANCELLED: "JOB_CANCELLED",
};

const WIRE_NAMES: Readonly<Record<WebhookEvent, string>> = {
  JOB_SUCCEEDED: "job.succeeded",
  JOB_FAILED: "job.failed",
  JOB_CANCELLED: "job.cancelled",
};

/** The body's `type` and the X-AutoScorer-Event header. */
export const wireName = (event: WebhookEvent): string => WIRE_NAMES[event];
