// What the lifecycle (src/domain/jobs/lifecycle.ts) tells the metrics: the jobs one of its
// statements just moved or created. Counted per (from, to) pair into
// autoscorer_job_transitions_total, so jobs by state over time are rates of a counter this
// process maintains, never a count over the Job table.
//
// Counted when the statement returns, inside its transaction: a transaction that fails
// after it (the database went away in the middle of a scheduler pass) is counted too, and
// its moves again when they are retried. The counter is for rates and alerts; the Job
// table stays the record.
import type { JobState } from "../generated/prisma/enums.ts";
import { processMetrics } from "./process-metrics.ts";

export interface Transition {
  /** Null when the job was just created. */
  previousState: JobState | null;
  state: JobState;
}

export function countJobTransitions(jobs: readonly Transition[]): void {
  if (jobs.length === 0) return;
  // One increment per pair: a scheduler pass moves hundreds of jobs the same way.
  const pairs = new Map<string, { from: string; to: string; count: number }>();
  for (const job of jobs) {
    const from = job.previousState ?? "NONE";
    const key = `${from}>${job.state}`;
    const pair = pairs.get(key);
    if (pair) pair.count += 1;
    else pairs.set(key, { from, to: job.state, count: 1 });
  }
  const counter = processMetrics().jobTransitions;
  for (const { from, to, count } of pairs.values()) counter.inc({ from, to }, count);
}
