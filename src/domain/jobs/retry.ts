// retryJob: runs a FAILED, TIMED_OUT or CANCELLED job again as a new submission would be
// counted: it must fit today's limits and the waiting-jobs quota, and gets a fresh budget
// of automatic attempts.
import { inTransaction } from "../../db/sql.ts";
import { recordAuditSql } from "../audit/record.ts";
import { type DomainContext, nowOf } from "../context.ts";
import { InvalidStateError, TenantSuspendedError } from "../errors.ts";
import { requireAuthenticated, requireTenantRole } from "../principal.ts";
import type { JobRow } from "./job-row.ts";
import { LIFECYCLE, moveJobs, TERMINAL_STATES } from "./lifecycle.ts";
import { getJob } from "./queries.ts";
import { chargeSubmission, utcDay } from "./submission-counters.ts";
import { countWaiting, ensureWaitingWithin, lockWaitingLines } from "./waiting-line.ts";

/** What a retry needs beyond the database: the attempt budget. */
export interface RetrySettings {
  maxAttempts: number;
}

/** The ended states a job may be retried from (all but success, which has nothing to redo). */
const RETRYABLE = TERMINAL_STATES.filter((state) => LIFECYCLE.PENDING.from.includes(state));

export async function retryJob(
  ctx: DomainContext,
  settings: RetrySettings,
  id: string,
): Promise<JobRow> {
  const actor = requireAuthenticated(ctx.actor);
  const visible = await getJob(ctx, id);
  requireTenantRole(actor, visible.tenantId, "MEMBER");
  const now = nowOf(ctx);
  return inTransaction(ctx.db.pool, async (tx) => {
    const {
      rows: [limits],
    } = await tx.query<{
      slug: string;
      status: string;
      submissionsPerDay: number;
      maxQueuedJobs: number;
      dailyLimit: number | null;
      totalLimit: number | null;
    }>(
      `SELECT t.slug, t.status, q."submissionsPerDay", q."maxQueuedJobs", p."dailyLimit", p."totalLimit"
       FROM "Job" j JOIN "Tenant" t ON t.id = j."tenantId" JOIN "Quota" q ON q."tenantId" = t.id
       LEFT JOIN "Phase" p ON p.id = j."phaseId" WHERE j.id = $1`,
      [id],
    );
    if (!limits) throw new InvalidStateError("job has no tenant quota");
    if (limits.status === "SUSPENDED") throw new TenantSuspendedError(limits.slug);
    const [job] = await moveJobs(tx, [
      {
        jobId: id,
        from: RETRYABLE,
        to: "PENDING",
        message: "retried by request",
        notBefore: null,
        maxAttempts: visible.attempt + settings.maxAttempts,
      },
    ]);
    if (!job) {
      throw new InvalidStateError(`only ${RETRYABLE.join(", ")} jobs can be retried`, {
        state: visible.state,
      });
    }
    // Back in the waiting line: hold it to the quota like a new job.
    await lockWaitingLines(tx, [job.tenantId]);
    ensureWaitingWithin(await countWaiting(tx, job.tenantId), limits.maxQueuedJobs);
    if (!job.chargedOn) {
      await chargeSubmission(
        tx,
        { tenantId: job.tenantId, phaseId: job.phaseId },
        {
          tenantPerDay: limits.submissionsPerDay,
          phasePerDay: limits.dailyLimit,
          phaseTotal: limits.totalLimit,
        },
        now,
      );
      await tx.query(`UPDATE "Job" SET "chargedOn" = $2::date WHERE id = $1`, [id, utcDay(now)]);
      job.chargedOn = new Date(`${utcDay(now)}T00:00:00Z`);
    }
    await recordAuditSql(tx, ctx, {
      action: "job.retry",
      tenantId: job.tenantId,
      targetType: "Job",
      targetId: id,
      before: { state: visible.state, errorCode: visible.errorCode },
      after: { state: job.state },
    });
    // Its state event, sent after commit, wakes the scheduler.
    return job;
  });
}
