// Writes an admission plan in the pass's transaction: the admitted jobs become QUEUED on
// their node as a new attempt (the fencing token the worker must quote) and the node queues
// get their messages; jobs that can never run end FAILED. All set-based, so a pass of
// hundreds of jobs costs a handful of round trips.
import type { Sql } from "../db/sql.ts";
import { type MovedJob, moveJobs } from "../domain/jobs/lifecycle.ts";
import { type Boss, bossDb, type DispatchPayload, nodeQueue } from "../domain/jobs/queues.ts";
import type { Admission, Refusal } from "./fair-share.ts";

/**
 * Moves the admitted jobs PENDING → QUEUED and sends each to its node's queue. A job that
 * left PENDING since the snapshot (cancelled meanwhile) is skipped by the move.
 * Returns how many were queued.
 */
export async function writeAdmissions(
  tx: Sql,
  boss: Boss,
  admitted: readonly Admission[],
  dispatchTimeoutMs: number,
): Promise<number> {
  if (admitted.length === 0) return 0;
  const queued = await moveJobs(
    tx,
    admitted.map(({ job, node }) => ({
      jobId: job.id,
      to: "QUEUED",
      node: { id: node.id, kind: node.kind },
      leaseMs: dispatchTimeoutMs,
      message: `placed on ${node.name}`,
    })),
  );
  const byNode = new Map<string, DispatchPayload[]>();
  for (const job of queued) {
    const node = job.executorNodeId as string;
    const list = byNode.get(node) ?? [];
    list.push({ jobId: job.id, attempt: job.attempt });
    byNode.set(node, list);
  }
  for (const [node, payloads] of byNode) {
    await boss.insert(
      nodeQueue(node),
      payloads.map((data) => ({ data })),
      { db: bossDb(tx) },
    );
  }
  return queued.length;
}

/**
 * Jobs that can never run as things stand end FAILED now rather than wait forever.
 * Returns them as they now are.
 */
export async function writeRefusals(tx: Sql, refused: readonly Refusal[]): Promise<MovedJob[]> {
  return moveJobs(
    tx,
    refused.map(({ job, code, message }) => ({
      jobId: job.id,
      from: ["PENDING"],
      to: "FAILED",
      errorCode: code,
      message,
    })),
  );
}
