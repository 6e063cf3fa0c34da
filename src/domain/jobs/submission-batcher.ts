// Gathers the submissions that arrive together into one batch (a group commit): one query
// finds all their tenants, each is checked against its tenant's rules on its own
// (prepare-submission.ts), and one transaction writes those that pass
// (submission-transaction.ts). Under load a submission costs a share of a handful of round
// trips and of one commit instead of a dozen round trips and a commit of its own
// (BENCHMARKS.md, Scheduler); an idle platform writes each submission as soon as it comes.
import type pg from "pg";
import { createBatcher } from "../../db/batcher.ts";
import { AppError } from "../errors.ts";
import type { JobRow } from "./job-row.ts";
import { prepareSubmission } from "./prepare-submission.ts";
import { submissionPhase, submissionTenants, type TenantQuota } from "./submission-target.ts";
import { writeSubmissions } from "./submission-transaction.ts";
import type {
  PreparedSubmission,
  SubmissionOutcome,
  SubmissionRequest,
  SubmissionSettings,
} from "./submission-types.ts";

export interface SubmissionBatcher {
  /** The stored job, or the AppError that refuses the submission. */
  submit(request: SubmissionRequest): Promise<JobRow>;
}

/** Batches of at most this many submissions; a burst larger than that takes several. */
const MAX_BATCH = 128;

export function createSubmissionBatcher(
  pool: pg.Pool,
  settings: SubmissionSettings,
): SubmissionBatcher {
  // One batch in the database while the next one gathers: an idle platform sends each
  // submission at once, a busy one in batches as large as the load.
  const batcher = createBatcher(
    (batch: SubmissionRequest[]) => processBatch(pool, settings, batch),
    { maxItems: MAX_BATCH, maxDelayMs: 0, maxInFlight: 1 },
  );
  return {
    async submit(request) {
      const outcome = await batcher.add(request);
      if ("error" in outcome) throw outcome.error;
      return outcome.job;
    },
  };
}

async function processBatch(
  pool: pg.Pool,
  settings: SubmissionSettings,
  requests: SubmissionRequest[],
): Promise<SubmissionOutcome[]> {
  const tenants = await submissionTenants(
    pool,
    requests.map((r) => ({ actor: r.ctx.actor, tenantSlug: r.spec.tenantSlug })),
  );
  const prepared = await Promise.all(
    requests.map(async (request, i) => {
      const tenant = tenants[i] as TenantQuota | AppError;
      if (tenant instanceof AppError) return tenant;
      try {
        const { competitionSlug, phaseSlug } = request.spec;
        const phase = competitionSlug
          ? await submissionPhase(pool, competitionSlug, phaseSlug, request.now)
          : null;
        return prepareSubmission(settings, request, tenant, phase);
      } catch (error) {
        if (error instanceof AppError) return error;
        throw error;
      }
    }),
  );
  const ready = prepared.filter((p): p is PreparedSubmission => !(p instanceof AppError));
  const written = ready.length > 0 ? await writeSubmissions(pool, ready) : [];
  let next = 0;
  return prepared.map((p): SubmissionOutcome => {
    if (p instanceof AppError) return { error: p };
    return written[next++] as SubmissionOutcome;
  });
}
