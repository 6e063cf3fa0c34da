// Merging live job updates into a page of the newest jobs: a job that matches the filter
// is replaced in place, or inserted in order when it belongs on the loaded page; one that
// no longer matches (a RUNNING filter, and it finished) leaves the list. Each update
// carries the job as the server read it on delivery, so the newest update always wins.
import type { JobRow, JobState } from "../../api/types.ts";

export interface JobListFilter {
  states: JobState[] | null;
  competition: string | null;
  tenant: string | null;
}

export function matches(job: JobRow, filter: JobListFilter): boolean {
  if (filter.states && !filter.states.includes(job.state)) return false;
  if (filter.competition && job.competition?.slug !== filter.competition) return false;
  if (filter.tenant && job.tenant.slug !== filter.tenant) return false;
  return true;
}

/** Newest first, as the API lists them (ids are time-ordered UUIDv7). */
const newerFirst = (a: JobRow, b: JobRow) =>
  b.submittedAt.localeCompare(a.submittedAt) || b.id.localeCompare(a.id);

export function mergeJob(
  rows: JobRow[],
  job: JobRow,
  filter: JobListFilter,
  complete: boolean,
): JobRow[] {
  const index = rows.findIndex((row) => row.id === job.id);
  if (!matches(job, filter)) return index < 0 ? rows : rows.filter((row) => row.id !== job.id);
  if (index >= 0) return rows.map((row) => (row.id === job.id ? job : row));
  // An older job than the page's last row belongs to a page not loaded yet.
  const last = rows.at(-1);
  if (!complete && last && newerFirst(job, last) > 0) return rows;
  return [...rows, job].sort(newerFirst);
}
