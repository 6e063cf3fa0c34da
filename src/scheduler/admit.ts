// Writes an admission plan in the pass's transaction: the admitted jobs become QUEUED on
// their node as a new attempt (the fencing token the worker must quote) with their events in
// the same statement, and the node queues get their messages — all
// in set-based statements, so a pass of hundreds of jobs costs a handful of round trips.

import { prepared } from "../db/prepared.ts";
import { publishMany } from "../db/pubsub.ts";
import type { Sql } from "../db/sql.ts";
import { type Boss, bossDb, type DispatchPayload, nodeQueue } from "../domain/jobs/queues.ts";
import { jobStateEvents, transitionJob } from "../domain/jobs/transitions.ts";
import type { ExecutorKind, JobState } from "../generated/prisma/enums.ts";
import type { Admission, Refusal } from "./fair-share.ts";

interface QueuedRow {
  id: string;
  tenantId: string;
  attempt: number;
  executorNodeId: string;
  state: JobState;
  errorCode: string | null;
}

const QUEUE_ADMITTED = prepared(
  "scheduler.queue-admitted",
  `WITH queued AS (
       UPDATE "Job" AS j SET state = 'QUEUED', attempt = j.attempt + 1,
         "executorNodeId" = p.node, backend = p.kind, "queuedAt" = now(),
         "leaseExpiresAt" = now() + make_interval(secs => $4::float8 / 1000),
         "notBefore" = NULL, "errorCode" = NULL, "errorMessage" = NULL
       FROM unnest($1::uuid[], $2::uuid[], $3::"ExecutorKind"[]) AS p(job, node, kind)
       WHERE j.id = p.job AND j.state = 'PENDING'
       RETURNING j.id, j."tenantId", j.attempt, j."executorNodeId", j.state, j."errorCode"),
     event AS (
       INSERT INTO "JobEvent" ("jobId", attempt, "fromState", "toState", message)
       SELECT id, attempt, 'PENDING', 'QUEUED', 'placed on ' || "executorNodeId" FROM queued)
     SELECT * FROM queued`,
);

/**
 * Moves the admitted jobs PENDING → QUEUED and sends each to its node's queue. A job that
 * left PENDING since the snapshot (cancelled meanwhile) is skipped by the state check.
 * Returns how many were queued.
 */
export async function writeAdmissions(
  tx: Sql,
  boss: Boss,
  admitted: readonly Admission[],
  dispatchTimeoutMs: number,
): Promise<number> {
  if (admitted.length === 0) return 0;
  const { rows } = await tx.query<QueuedRow>(
    QUEUE_ADMITTED([
      admitted.map((a) => a.job.id),
      admitted.map((a) => a.node.id),
      admitted.map((a) => a.node.kind satisfies ExecutorKind),
      dispatchTimeoutMs,
    ]),
  );
  if (rows.length === 0) return 0;

  await publishMany(
    tx,
    rows.flatMap((row) => jobStateEvents(row, "PENDING")),
  );
  const byNode = new Map<string, DispatchPayload[]>();
  for (const row of rows) {
    const list = byNode.get(row.executorNodeId) ?? [];
    list.push({ jobId: row.id, attempt: row.attempt });
    byNode.set(row.executorNodeId, list);
  }
  for (const [node, payloads] of byNode) {
    await boss.insert(
      nodeQueue(node),
      payloads.map((data) => ({ data })),
      { db: bossDb(tx) },
    );
  }
  return rows.length;
}

/** Jobs that can never run as things stand end FAILED now rather than wait forever. */
export async function writeRefusals(tx: Sql, refused: readonly Refusal[]): Promise<void> {
  for (const { job, code, message } of refused) {
    await transitionJob(tx, {
      jobId: job.id,
      from: ["PENDING"],
      to: "FAILED",
      errorCode: code,
      message,
    });
  }
}
