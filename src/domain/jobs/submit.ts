// submitJob: check the spec, then hand it to the submission batcher, which finds its
// tenant, holds it to the tenant's quota and the competition's rules, and writes the job,
// its first event, its audit row and the submission counters in one transaction, shared
// with the submissions that arrive at the same time. A client `jobId` makes a retried
// submit return the job the first one created instead of a second.
import { type DomainContext, nowOf } from "../context.ts";
import { requireAuthenticated } from "../principal.ts";
import type { JobRow } from "./job-row.ts";
import { normalizeSpec } from "./spec.ts";
import type { SubmissionBatcher } from "./submission-batcher.ts";

export async function submitJob(
  ctx: DomainContext,
  submissions: SubmissionBatcher,
  input: unknown,
): Promise<JobRow> {
  const actor = requireAuthenticated(ctx.actor);
  const spec = normalizeSpec(input);
  return submissions.submit({ ctx: { requestId: ctx.requestId, actor }, spec, now: nowOf(ctx) });
}
