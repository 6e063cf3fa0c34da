// submitJob: check the spec against the tenant's quota and the competition's rules, then
// write the job, its first event, its audit row, the submission counters and the
// scheduler's wake-up in one transaction. A client `jobId` makes a retried submit return
// the job the first one created instead of a second job.
import { pathToFileURL } from "node:url";
import { inTransaction, type Sql } from "../../db/sql.ts";
import { recordAuditSql } from "../audit.ts";
import { type DomainContext, type JobSettings, nowOf } from "../context.ts";
import { QuotaExceededError, ValidationError } from "../errors.ts";
import { requireAuthenticated } from "../principal.ts";
import { resolveInputDir } from "./input-location.ts";
import type { JobRow } from "./job-row.ts";
import { wakeScheduler } from "./queues.ts";
import { beyondQuota } from "./resources.ts";
import { DEFAULT_TIME_LIMIT_SEC, type NormalizedSpec, normalizeSpec } from "./spec.ts";
import { chargeSubmission, lockWaitingLine, utcDay } from "./submission-counters.ts";
import {
  type PhaseRules,
  submissionPhase,
  submissionTenant,
  type TenantQuota,
} from "./submission-target.ts";
import { publishJobState } from "./transitions.ts";
import { uuidv7 } from "./uuid7.ts";

export function jobSettings(ctx: DomainContext): JobSettings {
  if (!ctx.jobs) throw new Error("job submission is not wired into this process");
  return ctx.jobs;
}

export async function submitJob(ctx: DomainContext, input: unknown): Promise<JobRow> {
  const actor = requireAuthenticated(ctx.actor);
  const settings = jobSettings(ctx);
  const spec = normalizeSpec(input);
  const now = nowOf(ctx);
  const { pool } = ctx.db;

  const tenant = await submissionTenant(pool, actor, spec.tenantSlug);
  const phase = spec.competitionSlug
    ? await submissionPhase(pool, spec.competitionSlug, spec.phaseSlug, now)
    : null;
  const { scorer, scorerParams } = chooseScorer(ctx, spec, phase);
  const timeLimitSec = checkAgainstQuota(spec, tenant);
  const inputDir = await resolveInputDir(settings.inputRoot, tenant.slug, spec.inputUri);

  return inTransaction(pool, async (tx) => {
    const job = await insertJob(tx, {
      spec,
      tenantId: tenant.id,
      submittedById: actor.userId,
      scorer,
      scorerParams,
      inputUri: pathToFileURL(inputDir).href,
      timeLimitSec,
      phase,
      maxAttempts: settings.maxAttempts,
      day: utcDay(now),
      now,
    });
    if (!job) return sameJobAgain(tx, tenant.id, spec, scorer);

    await recordAuditSql(tx, ctx, {
      action: "job.submit",
      tenantId: tenant.id,
      targetType: "Job",
      targetId: job.id,
      after: job,
    });
    await publishJobState(tx, job, null);
    await wakeScheduler(settings.boss, tx);
    // Locks last: they serialise a tenant's submissions until commit, so they are taken
    // when nothing but the commit is left to do.
    await lockWaitingLine(tx, tenant.id);
    await chargeSubmission(
      tx,
      { tenantId: tenant.id, phaseId: phase?.phaseId ?? null },
      {
        tenantPerDay: tenant.submissionsPerDay,
        phasePerDay: phase?.dailyLimit ?? null,
        phaseTotal: phase?.totalLimit ?? null,
      },
      now,
      tenant.maxQueuedJobs,
    );
    return job;
  });
}

function chooseScorer(
  ctx: DomainContext,
  spec: NormalizedSpec,
  phase: PhaseRules | null,
): { scorer: string; scorerParams: Record<string, unknown> } {
  if (phase) {
    // A competition ranks every entry with its own scorer and parameters.
    if (spec.scorer && spec.scorer !== phase.scorer) {
      throw new ValidationError([
        { field: "scorer", message: `competition scores with "${phase.scorer}"` },
      ]);
    }
    if (spec.scorerParams) {
      throw new ValidationError([
        { field: "scorerParams", message: "set by the competition; leave it out" },
      ]);
    }
    return { scorer: phase.scorer, scorerParams: phase.scorerParams };
  }
  if (!spec.scorer) {
    throw new ValidationError([{ field: "scorer", message: "required outside a competition" }]);
  }
  if (ctx.scorers && !ctx.scorers.has(spec.scorer)) {
    throw new ValidationError([{ field: "scorer", message: `unknown scorer "${spec.scorer}"` }]);
  }
  return { scorer: spec.scorer, scorerParams: spec.scorerParams ?? {} };
}

/** A job that asks for more than its tenant may ever hold could never run: refuse it now. */
function checkAgainstQuota(spec: NormalizedSpec, quota: TenantQuota): number {
  const over = beyondQuota(spec, quota);
  const timeLimit = spec.timeLimitSec ?? Math.min(DEFAULT_TIME_LIMIT_SEC, quota.maxJobSeconds);
  if (timeLimit > quota.maxJobSeconds)
    over.push(`timeLimit ${timeLimit}s > ${quota.maxJobSeconds}s`);
  if (over.length > 0) {
    throw new QuotaExceededError(
      `the job asks for more than the tenant's quota: ${over.join(", ")}`,
      {
        over,
      },
    );
  }
  return timeLimit;
}

interface NewJob {
  spec: NormalizedSpec;
  tenantId: string;
  submittedById: string;
  scorer: string;
  scorerParams: Record<string, unknown>;
  inputUri: string;
  timeLimitSec: number;
  phase: PhaseRules | null;
  maxAttempts: number;
  day: string;
  now: Date;
}

/**
 * Inserts the job and its first event; returns null when the tenant already has a job with
 * this client jobId.
 */
async function insertJob(tx: Sql, job: NewJob): Promise<JobRow | null> {
  const { spec } = job;
  const { rows } = await tx.query<JobRow>(
    // The job and its first event in one statement: one round trip fewer per submission.
    `WITH job AS (
     INSERT INTO "Job" (id, "tenantId", "submittedById", "clientJobId", state, "taskType", scorer,
       "scorerParams", "inputUri", "timeLimitSec", "cpuMillis", "memoryMb", gpus, container,
       "executorPreference", priority, "competitionId", "phaseId", "maxAttempts",
       "submittedAt", "chargedOn")
     VALUES ($20, $1, $2, $3, 'PENDING', $4, $5, $6::jsonb, $7, $8, $9, $10, $11,
       $12::jsonb, $13::"ExecutorKind", $14, $15, $16, $17, $18, $19::date)
     ON CONFLICT ("tenantId", "clientJobId") DO NOTHING
     RETURNING *),
     event AS (
       INSERT INTO "JobEvent" ("jobId", attempt, "fromState", "toState", message)
       SELECT id, 0, NULL, 'PENDING', 'submitted' FROM job)
     SELECT * FROM job`,
    [
      job.tenantId,
      job.submittedById,
      spec.clientJobId,
      spec.taskType,
      job.scorer,
      JSON.stringify(job.scorerParams),
      job.inputUri,
      job.timeLimitSec,
      spec.cpuMillis,
      spec.memoryMb,
      spec.gpus,
      spec.container ? JSON.stringify(spec.container) : null,
      spec.executorPreference,
      spec.priority,
      job.phase?.competitionId ?? null,
      job.phase?.phaseId ?? null,
      job.maxAttempts,
      job.now,
      job.day,
      uuidv7(job.now.getTime()),
    ],
  );
  return rows[0] ?? null;
}

/** The earlier job with this client jobId, if it is the same submission; else an error. */
async function sameJobAgain(
  tx: Sql,
  tenantId: string,
  spec: NormalizedSpec,
  scorer: string,
): Promise<JobRow> {
  const { rows } = await tx.query<JobRow>(
    `SELECT * FROM "Job" WHERE "tenantId" = $1 AND "clientJobId" = $2`,
    [tenantId, spec.clientJobId],
  );
  const earlier = rows[0];
  const same =
    earlier &&
    earlier.taskType === spec.taskType &&
    earlier.scorer === scorer &&
    earlier.priority === spec.priority &&
    earlier.cpuMillis === spec.cpuMillis &&
    earlier.memoryMb === spec.memoryMb &&
    earlier.gpus === spec.gpus;
  if (!earlier || !same) {
    throw new ValidationError([
      { field: "jobId", message: "already used by this tenant for a different job" },
    ]);
  }
  return earlier;
}
