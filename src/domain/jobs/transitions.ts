// The one way a job changes state. Every move is conditional on the state (and, for a
// worker, the attempt) it expects, so two processes racing on one job cannot both win; and
// each move does its bookkeeping in the same transaction: a job event, a refunded
// submission, and the events subscribers see after commit.
// Node capacity is not booked here: the scheduler sums it from the placed jobs themselves,
// so no job start or finish has to update a node row every other job also updates.

import { type EventEnvelope, publishMany } from "../../db/pubsub.ts";
import type { Sql } from "../../db/sql.ts";
import type { JobState } from "../../generated/prisma/enums.ts";
import { isTerminal, type JobRow } from "./job-row.ts";
import { DEFAULT_COUNTED_STATES, refundSubmission } from "./submission-counters.ts";

/** Columns a transition may set besides state and error; names are Job's own. */
const SETTABLE = [
  "startedAt",
  "queuedAt",
  "leaseExpiresAt",
  "notBefore",
  "cancelRequested",
  "executorNodeId",
  "backend",
  "attempt",
  "maxAttempts",
] as const;
export type SettableColumn = (typeof SETTABLE)[number];

export interface TransitionRequest {
  jobId: string;
  from: readonly JobState[];
  to: JobState;
  /** Only this attempt may move the job: a stale worker's late report changes nothing. */
  attempt?: number;
  errorCode?: string | null;
  message?: string | null;
  set?: Partial<Record<SettableColumn, unknown>>;
}

/** What subscribers of the `job` and `tenant-jobs` topics receive. */
export interface JobStateEvent {
  id: string;
  tenantId: string;
  state: JobState;
  /** Null when the job was just submitted. */
  previousState: JobState | null;
  attempt: number;
  errorCode: string | null;
  at: string;
}

type TransitionedRow = JobRow & {
  previousState: JobState;
  countedStates: JobState[] | null;
};

/**
 * Moves one job from one of `from` to `to` and returns it, or returns null (changing
 * nothing) when the job is not in an expected state or attempt.
 */
export async function transitionJob(tx: Sql, request: TransitionRequest): Promise<JobRow | null> {
  const values: unknown[] = [
    request.jobId,
    request.to,
    [...request.from],
    request.attempt ?? null,
    request.errorCode ?? null,
    request.message ?? null,
  ];
  const assignments = Object.entries(request.set ?? {}).map(([column, value]) => {
    if (!(SETTABLE as readonly string[]).includes(column)) {
      throw new Error(`transitionJob cannot set ${column}`);
    }
    values.push(value);
    return `"${column}" = $${values.length}`;
  });
  // A job going back to PENDING gives up its placement; a terminal one records its end.
  if (request.to === "PENDING") {
    assignments.push(`"executorNodeId" = NULL`, `"backend" = NULL`, `"finishedAt" = NULL`);
  }
  if (isTerminal(request.to)) assignments.push(`"finishedAt" = now()`, `"leaseExpiresAt" = NULL`);

  const { rows } = await tx.query<TransitionedRow>(
    `UPDATE "Job" AS j
     SET state = $2::"JobState", "errorCode" = $5, "errorMessage" = $6
         ${assignments.map((a) => `, ${a}`).join("")}
     FROM (SELECT id, state FROM "Job" WHERE id = $1::uuid FOR UPDATE) AS old
     WHERE j.id = old.id AND j.state = ANY($3::"JobState"[])
       AND ($4::int IS NULL OR j.attempt = $4::int)
     RETURNING j.*, old.state AS "previousState",
       (SELECT c."countedStates"::text[] FROM "Competition" c WHERE c.id = j."competitionId")
         AS "countedStates"`,
    values,
  );
  const job = rows[0];
  if (!job) return null;

  await recordJobEvents(tx, [
    {
      jobId: job.id,
      attempt: job.attempt,
      from: job.previousState,
      to: job.state,
      errorCode: job.errorCode,
      message: request.message ?? null,
    },
  ]);

  await refundIfUncounted(tx, job);
  await publishJobState(tx, job, job.previousState);
  const { previousState: _p, countedStates: _c, ...plain } = job;
  return plain;
}

export interface JobEventRecord {
  jobId: string;
  attempt: number;
  from: JobState | null;
  to: JobState;
  errorCode?: string | null;
  message?: string | null;
}

/** Appends to jobs' state history: any number of events in one statement. */
export async function recordJobEvents(tx: Sql, events: readonly JobEventRecord[]): Promise<void> {
  if (events.length === 0) return;
  await tx.query(
    `INSERT INTO "JobEvent" ("jobId", attempt, "fromState", "toState", "errorCode", message)
     SELECT * FROM unnest($1::uuid[], $2::int[], $3::"JobState"[], $4::"JobState"[], $5::text[],
                          $6::text[])`,
    [
      events.map((e) => e.jobId),
      events.map((e) => e.attempt),
      events.map((e) => e.from),
      events.map((e) => e.to),
      events.map((e) => e.errorCode ?? null),
      events.map((e) => e.message ?? null),
    ],
  );
}

/**
 * Gives back the submission of a job that moved to a state its competition does not count
 * (`countedStates` as read with the move; null outside a competition).
 */
export async function refundIfUncounted(
  tx: Sql,
  job: JobRow & { countedStates: JobState[] | null },
): Promise<void> {
  const counted = job.countedStates ?? DEFAULT_COUNTED_STATES;
  if (!job.chargedOn || counted.includes(job.state)) return;
  await refundSubmission(tx, job, job.chargedOn);
  await tx.query(`UPDATE "Job" SET "chargedOn" = NULL WHERE id = $1`, [job.id]);
  job.chargedOn = null;
}

type StateOf = Pick<JobRow, "id" | "tenantId" | "state" | "attempt" | "errorCode">;

/** The two events (per job, per tenant) that tell subscribers a job changed state. */
export function jobStateEvents(job: StateOf, previousState: JobState | null): EventEnvelope[] {
  const data: JobStateEvent = {
    id: job.id,
    tenantId: job.tenantId,
    state: job.state,
    previousState,
    attempt: job.attempt,
    errorCode: job.errorCode,
    at: new Date().toISOString(),
  };
  return [
    { topic: "job", key: job.id, data },
    { topic: "tenant-jobs", key: job.tenantId, data },
  ];
}

async function publishJobState(
  tx: Sql,
  job: StateOf,
  previousState: JobState | null,
): Promise<void> {
  await publishMany(tx, jobStateEvents(job, previousState));
}
