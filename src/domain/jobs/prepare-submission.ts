// The checks a submission passes before it is written, once its tenant and phase are
// known: the scorer (a competition imposes its own), the job's size against the tenant's
// whole quota, and the input folder. None needs a lock; each failure is the AppError that
// refuses the submission.
import { pathToFileURL } from "node:url";
import { QuotaExceededError, ValidationError } from "../errors.ts";
import type { ScorerNames } from "../scorers.ts";
import { resolveInputDir } from "./input-location.ts";
import { beyondQuota } from "./resources.ts";
import { DEFAULT_TIME_LIMIT_SEC, type NormalizedSpec } from "./spec.ts";
import type { PhaseRules, TenantQuota } from "./submission-target.ts";
import type {
  PreparedSubmission,
  SubmissionRequest,
  SubmissionSettings,
} from "./submission-types.ts";

export function prepareSubmission(
  settings: SubmissionSettings,
  { ctx, spec, now }: SubmissionRequest,
  tenant: TenantQuota,
  phase: PhaseRules | null,
): PreparedSubmission {
  const { scorer, scorerParams } = chooseScorer(settings.scorers, spec, phase);
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
  scorers: ScorerNames,
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
  if (!scorers.has(spec.scorer)) {
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
      { over },
    );
  }
  return timeLimit;
}
