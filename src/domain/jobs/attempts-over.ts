// Which runs are over: a run is one attempt of a job, and it is over once the job has moved
// on (another attempt, or an end) or is gone. A run whose attempt is still the job's placed
// one is not over, even if its node looks dead: that node may come back and adopt it, and
// if it does not, the lease reaper hands the job back and the run is over then. Only runs of
// nodes registered in this database are judged: an engine may be shared with another
// installation, whose jobs this database has never heard of.
import type { Sql } from "../../db/sql.ts";
import { type ForeignRun, runKey } from "../../executors/types.ts";
import { PLACED_STATES, sqlStates } from "./lifecycle.ts";

const UUID = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$";

export async function attemptsOver(sql: Sql, runs: readonly ForeignRun[]): Promise<Set<string>> {
  if (runs.length === 0) return new Set();
  // Labels are text: a label that is not a job id names no job, so its run is over.
  const { rows } = await sql.query<{ jobId: string; attempt: number }>(
    `SELECT r.job_id AS "jobId", r.attempt
       FROM unnest($1::text[], $2::int[], $3::text[]) AS r(job_id, attempt, node)
       JOIN "ExecutorNode" n ON n.name = r.node
       LEFT JOIN "Job" j ON j.id = CASE WHEN r.job_id ~* '${UUID}' THEN r.job_id::uuid END
      WHERE j.id IS NULL OR j.attempt <> r.attempt OR j.state NOT IN ${sqlStates(PLACED_STATES)}`,
    [runs.map((run) => run.jobId), runs.map((run) => run.attempt), runs.map((run) => run.node)],
  );
  return new Set(rows.map(runKey));
}
