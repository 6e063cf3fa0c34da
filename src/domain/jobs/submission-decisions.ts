// The decisions of one submission batch, made in arrival order as one transaction per
// submission would have made them: a repeated client jobId names the job it created before
// (or is refused if it now describes a different job), a submission over the waiting-line
// quota or a daily or total limit is refused on its own, and every other one is accepted
// and counted against the limits of those after it. Pure: submission-transaction.ts reads
// the locked counts, decides here, then writes.
import { type AppError, QuotaExceededError, ValidationError } from "../errors.ts";
import { type Counter, limitReached } from "./submission-counters.ts";
import type { PreparedSubmission } from "./submission-types.ts";
import { ensureWaitingWithin } from "./waiting-line.ts";

/** What the batch's transaction read under its locks. */
export interface LockedState {
  /** Counter values by counterKey, the rows locked until commit. */
  counts: ReadonlyMap<string, number>;
  /** Waiting jobs per tenant (the caller holds their waiting-line locks). */
  waiting: ReadonlyMap<string, number>;
  /** Jobs already stored under a client jobId of the batch, by clientKey. */
  taken: ReadonlyMap<string, { id: string; identity: string }>;
}

/** Each submission ends as a job (new, or the one its jobId already names) or an error. */
export type Decision = { jobId: string } | { error: AppError };

export interface BatchDecisions {
  /** One per submission, in order. */
  decisions: Decision[];
  /** The new jobs to store, with the ids chosen for them. */
  accepted: Array<{ id: string; submission: PreparedSubmission }>;
  /** Every counter charge the accepted jobs make (a counter may appear many times). */
  charged: Counter[];
}

export const counterKey = (c: Pick<Counter, "scope" | "day">): string => `${c.scope}\u0000${c.day}`;

export const clientKey = (tenantId: string, clientJobId: string | null): string | null =>
  clientJobId === null ? null : `${tenantId}\u0000${clientJobId}`;

/**
 * What a repeated client jobId must match to count as the same submission (the rest, such
 * as the input, may legitimately be re-sent differently).
 */
export const IDENTITY = [
  "taskType",
  "scorer",
  "priority",
  "cpuMillis",
  "memoryMb",
  "gpus",
] as const;

export function identityOf(s: PreparedSubmission): string {
  const values: Record<(typeof IDENTITY)[number], unknown> = { ...s.spec, scorer: s.scorer };
  return JSON.stringify(IDENTITY.map((field) => values[field]));
}

export const jobIdTaken = () =>
  new ValidationError([
    { field: "jobId", message: "already used by this tenant for a different job" },
  ]);

/**
 * Decides `batch` against `state`. `counters[i]` are the counters submission i charges;
 * `newId` names an accepted job.
 */
export function decideSubmissions(
  batch: readonly PreparedSubmission[],
  counters: ReadonlyArray<readonly Counter[]>,
  state: LockedState,
  newId: (submission: PreparedSubmission) => string,
): BatchDecisions {
  const counts = new Map(state.counts);
  const waiting = new Map(state.waiting);
  const taken = new Map(state.taken);
  const result: BatchDecisions = { decisions: [], accepted: [], charged: [] };
  batch.forEach((submission, i) => {
    const key = clientKey(submission.tenant.id, submission.spec.clientJobId);
    const earlier = key ? taken.get(key) : undefined;
    if (earlier) {
      const same = earlier.identity === identityOf(submission);
      result.decisions.push(same ? { jobId: earlier.id } : { error: jobIdTaken() });
      return;
    }
    const mine = counters[i] ?? [];
    const error = refusal(submission, mine, counts, waiting);
    if (error) {
      result.decisions.push({ error });
      return;
    }
    for (const counter of mine)
      counts.set(counterKey(counter), (counts.get(counterKey(counter)) ?? 0) + 1);
    waiting.set(submission.tenant.id, (waiting.get(submission.tenant.id) ?? 0) + 1);
    const id = newId(submission);
    if (key) taken.set(key, { id, identity: identityOf(submission) });
    result.accepted.push({ id, submission });
    result.charged.push(...mine);
    result.decisions.push({ jobId: id });
  });
  return result;
}

/** Why this submission cannot be taken now, given what the batch took before it. */
function refusal(
  submission: PreparedSubmission,
  counters: readonly Counter[],
  counts: ReadonlyMap<string, number>,
  waiting: ReadonlyMap<string, number>,
): AppError | null {
  const { tenant } = submission;
  try {
    ensureWaitingWithin((waiting.get(tenant.id) ?? 0) + 1, tenant.maxQueuedJobs);
  } catch (error) {
    if (error instanceof QuotaExceededError) return error;
    throw error;
  }
  for (const counter of counters) {
    if (counter.limit !== null && (counts.get(counterKey(counter)) ?? 0) + 1 > counter.limit)
      return limitReached(counter, submission.now);
  }
  return null;
}
