// submitJob: check the spec, then hand it to the submission writer, which finds its
// tenant, holds it to the tenant's quota and the competition's rules (prepareSubmission),
// and writes the job, its first event, its audit row, the submission counters and the
// scheduler's wake-up in one transaction, shared with the submissions that arrive at the
// same time. A client `jobId` makes a retried submit return the job the first one created
// instead of a second job.
import { pathToFileURL } from "node:url";
import { type DomainContext, type JobSettings, nowOf } from "../context.ts";
import { QuotaExceededError, ValidationError } from "../errors.ts";
import { requireAuthenticated } from "../principal.ts";
import { resolveInputDir } from "./input-location.ts";
import type { JobRow } from "./job-row.ts";
import { beyondQuota } from "./resources.ts";
import { DEFAULT_TIME_LIMIT_SEC, type NormalizedSpec, normalizeSpec } from "./spec.ts";
import type { PhaseRules, TenantQuota } from "./submission-target.ts";
import type { SubmissionRequest } from "./submission-writer.ts";
import type { PreparedSubmission } from "./write-submissions.ts";

export function jobSettings(ctx: DomainContext): JobSettings {
  if (!ctx.jobs) throw new Error("job submission is not wired into this process");
  return ctx.jobs;
}

export async function submitJob(ctx: DomainContext, input: unknown): Promise<JobRow> {
  const actor = requireAuthenticated(ctx.actor);
  const spec = normalizeSpec(input);
  return jobSettings(ctx).submissions.submit({ ctx: { ...ctx, actor }, spec, now: nowOf(ctx) });
}

/**
 * The checks a submission passes before it is written, once its tenant and phase are
 * known: the scorer, the job's size against the whole quota, and the input folder.
 * Throws the AppError that refuses it.
 */
export function prepareSubmission(
  { ctx, spec, now }: SubmissionRequest,
  tenant: TenantQuota,
  phase: PhaseRules | null,
): PreparedSubmission {
  const settings = jobSettings(ctx);
  const { scorer, scorerParams } = chooseScorer(ctx, spec, phase);
  const timeLimitSec = checkAgainstQuota(spec, tenant);
  const inputDir = resolveInputDir(settings.inputRoot, tenant.slug, spec.inputUri);
  return {
    ctx,
    spec,
    tenant,
    phase,
    scorer,
    scorerParams,
    inputUri: pathToFileURL(inputDir).href,
    timeLimitSec,
    maxAttempts: settings.maxAttempts,
    now,
  };
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
