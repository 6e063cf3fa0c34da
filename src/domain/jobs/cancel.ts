// cancelJob: a waiting job (PENDING, QUEUED) is cancelled at once and its capacity and
// submission given back; a RUNNING job is flagged and its worker told, and the worker
// stops the run and records CANCELLED within seconds. Finished jobs cannot be cancelled.
import { publish } from "../../db/pubsub.ts";
import { inTransaction, type Sql } from "../../db/sql.ts";
import { recordAuditSql } from "../audit/record.ts";
import type { DomainContext } from "../context.ts";
import { InvalidStateError } from "../errors.ts";
import { requireAuthenticated, requireTenantRole } from "../principal.ts";
import type { JobRow } from "./job-row.ts";
import { moveJobs } from "./lifecycle.ts";
import { getJob } from "./queries.ts";

/** Topic a worker listens on to stop a running job (key: job id). */
export const CANCEL_TOPIC = "job-cancel";

export interface CancelRequest {
  jobId: string;
  attempt: number;
}

export async function cancelJob(ctx: DomainContext, id: string): Promise<JobRow> {
  const actor = requireAuthenticated(ctx.actor);
  const visible = await getJob(ctx, id);
  requireTenantRole(actor, visible.tenantId, "MEMBER");
  return inTransaction(ctx.db.pool, async (tx) => {
    const before = await lockJob(tx, id);
    const after = await cancelInState(tx, before);
    await recordAuditSql(tx, ctx, {
      action: "job.cancel",
      tenantId: before.tenantId,
      targetType: "Job",
      targetId: id,
      before: { state: before.state, cancelRequested: before.cancelRequested },
      after: { state: after.state, cancelRequested: after.cancelRequested },
    });
    return after;
  });
}

async function lockJob(tx: Sql, id: string): Promise<JobRow> {
  const { rows } = await tx.query<JobRow>(`SELECT * FROM "Job" WHERE id = $1 FOR UPDATE`, [id]);
  return rows[0] as JobRow;
}

async function cancelInState(tx: Sql, job: JobRow): Promise<JobRow> {
  if (job.state === "PENDING" || job.state === "QUEUED") {
    const [cancelled] = await moveJobs(tx, [
      {
        jobId: job.id,
        from: [job.state],
        to: "CANCELLED",
        errorCode: "CANCELLED",
        message: "cancelled by request",
      },
    ]);
    return cancelled as JobRow; // the row lock above keeps the state we just read
  }
  if (job.state === "RUNNING") {
    // Not a state change: the worker owns the run and records how it ended.
    const { rows } = await tx.query<JobRow>(
      `UPDATE "Job" SET "cancelRequested" = true WHERE id = $1 RETURNING *`,
      [job.id],
    );
    const request: CancelRequest = { jobId: job.id, attempt: job.attempt };
    await publish(tx, { topic: CANCEL_TOPIC, key: job.id, data: request });
    return rows[0] as JobRow;
  }
  throw new InvalidStateError(`job is ${job.state} and can no longer be cancelled`, {
    state: job.state,
  });
}
