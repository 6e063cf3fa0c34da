// Scoring an attempt's workspace on the worker's host, through the result cache when the
// job may use it (src/domain/jobs/result-cache.ts): identical inputs come back as the stored
// Result, written to output/result.json like a fresh one, and marked as cached.
import type { JobRow } from "../domain/jobs/job-row.ts";
import { type ResultCache, resultCacheKey } from "../domain/jobs/result-cache.ts";
import type { Logger } from "../log.ts";
import {
  locateInputs,
  type Result,
  type ScorerLookup,
  scoreWorkspace,
  type WriteResult,
} from "../scorers/index.ts";

export interface ScoringDeps {
  scorers: ScorerLookup;
  /** The result cache; null turns it off. */
  cache: ResultCache | null;
  log: Logger;
  /** Writes output/result.json (the worker's does it on its file-system thread). */
  writeResult: WriteResult;
}

export async function scoreAttempt(
  deps: ScoringDeps,
  job: JobRow,
  workspace: string,
  signal: AbortSignal,
): Promise<{ result: Result; cached: boolean }> {
  const score = () =>
    scoreWorkspace(deps.scorers, {
      workspace,
      scorer: job.scorer,
      params: job.scorerParams,
      signal,
      write: deps.writeResult,
    });
  const scorer = deps.scorers.get(job.scorer);
  if (!deps.cache || !scorer || !(await deps.cache.allowed(job.competitionId))) {
    return { result: await score(), cached: false };
  }
  let key: string;
  try {
    const { gtPath, predPath } = locateInputs(workspace, scorer.format);
    key = await resultCacheKey({
      scorer: scorer.name,
      version: scorer.version,
      params: job.scorerParams,
      gtPath,
      predPath,
    });
  } catch {
    // Missing inputs: scoring itself reports them, with their contract code.
    return { result: await score(), cached: false };
  }
  const hit = await deps.cache.lookup(key);
  if (hit) {
    await deps.writeResult(workspace, hit);
    return { result: hit, cached: true };
  }
  const result = await score();
  await deps.cache
    .store(key, { scorer: scorer.name, version: scorer.version }, result)
    .catch((error: unknown) =>
      deps.log.warn({ err: error, jobId: job.id }, "could not store a result in the cache"),
    );
  return { result, cached: false };
}
