// What travels through the submission path (submit.ts → submission-batcher.ts →
// prepare-submission.ts → submission-transaction.ts), kept apart so those modules depend on
// these shapes and not on each other.
import type { DomainContext } from "../context.ts";
import type { AppError } from "../errors.ts";
import type { Principal } from "../principal.ts";
import type { ScorerNames } from "../scorers.ts";
import type { JobRow } from "./job-row.ts";
import type { NormalizedSpec } from "./spec.ts";
import type { PhaseRules, TenantQuota } from "./submission-target.ts";

/** What checking a submission needs beyond its tenant: fixed for the life of a process. */
export interface SubmissionSettings {
  /** Tenants' input folders live under here, one per tenant slug. */
  inputRoot: string;
  /** Automatic attempts a job gets (config scheduler.maxAttempts). */
  maxAttempts: number;
  scorers: ScorerNames;
}

/** A submission as it arrives: who sends it, the checked spec, and when. */
export interface SubmissionRequest {
  ctx: Pick<DomainContext, "requestId"> & { actor: Principal };
  spec: NormalizedSpec;
  now: Date;
}

/** A submission that passed every check that needs no lock, ready to be written. */
export interface PreparedSubmission {
  ctx: SubmissionRequest["ctx"];
  spec: NormalizedSpec;
  tenant: TenantQuota;
  phase: PhaseRules | null;
  scorer: string;
  scorerParams: Record<string, unknown>;
  inputUri: string;
  timeLimitSec: number;
  maxAttempts: number;
  now: Date;
}

export type SubmissionOutcome = { job: JobRow } | { error: AppError };
