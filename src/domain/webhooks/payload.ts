// What a delivery says: the job event (its id is the key receivers de-duplicate on), the
// tenant, and the job as it ended, with its score and metrics when it succeeded. Fixed when
// the dispatcher reads the event, so every attempt of a delivery carries the same content.
import type { JobState, WebhookEvent } from "../../generated/prisma/enums.ts";
import { wireName } from "./events.ts";

export interface WebhookPayload {
  /** The job event's id: the same in every attempt, and X-AutoScorer-Event-Id. */
  id: string;
  /** job.succeeded, job.failed or job.cancelled. */
  type: string;
  /** When the job entered its final state. */
  occurredAt: string;
  /** The tenant's slug. */
  tenant: string;
  job: {
    id: string;
    /** The submitter's own jobId, when it gave one. */
    clientJobId: string | null;
    state: JobState;
    attempt: number;
    errorCode: string | null;
    message: string | null;
    taskType: string;
    scorer: string;
    competitionId: string | null;
    phaseId: string | null;
    submittedAt: string;
    /** SUCCEEDED only: the Result's score and metrics. */
    score: number | null;
    metrics: Record<string, number> | null;
  };
}

/** One ended job's event as the dispatcher reads it (./outbox.ts). */
export interface EndedJobEvent {
  eventId: string;
  event: WebhookEvent;
  at: Date;
  tenant: string;
  jobId: string;
  clientJobId: string | null;
  state: JobState;
  attempt: number;
  errorCode: string | null;
  message: string | null;
  taskType: string;
  scorer: string;
  competitionId: string | null;
  phaseId: string | null;
  submittedAt: Date;
  score: number | null;
  metrics: Record<string, number> | null;
}

export function payloadOf(row: EndedJobEvent): WebhookPayload {
  return {
    id: row.eventId,
    type: wireName(row.event),
    occurredAt: row.at.toISOString(),
    tenant: row.tenant,
    job: {
      id: row.jobId,
      clientJobId: row.clientJobId,
      state: row.state,
      attempt: row.attempt,
      errorCode: row.errorCode,
      message: row.message,
      taskType: row.taskType,
      scorer: row.scorer,
      competitionId: row.competitionId,
      phaseId: row.phaseId,
      submittedAt: row.submittedAt.toISOString(),
      score: row.score,
      metrics: row.metrics,
    },
  };
}

/**
 * The body of one attempt: the payload and the attempt's timestamp (also the
 * X-AutoScorer-Timestamp header), so the signature covers the time and a receiver can
 * refuse a replayed delivery.
 */
export function bodyOf(payload: unknown, timestamp: number): string {
  return JSON.stringify({ ...(payload as object), timestamp });
}
