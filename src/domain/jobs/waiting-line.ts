// A tenant's waiting line: its jobs waiting for admission, bounded by maxQueuedJobs. The
// count is taken from the jobs themselves, not kept in a counter: a counter would be
// written by every admission pass as well as every submission, and the two would queue
// behind each other's row locks (it halved end-to-end throughput). Jobs only join the line
// through a submission or a retry, which take the tenant's waiting-line lock and count
// after it; admission only shortens the line and takes nothing.
import type { Sql } from "../../db/sql.ts";
import { QuotaExceededError } from "../errors.ts";
import { sqlStates, WAITING_STATES } from "./lifecycle.ts";

/**
 * The tenant's jobs waiting for admission (a placed job already holds its share of the
 * concurrency quota), with the tenant id in parameter `param`.
 */
export const waitingCount = (param: string) =>
  `SELECT count(*)::int AS count FROM "Job"
   WHERE "tenantId" = ${param}::uuid AND state IN ${sqlStates(WAITING_STATES)}`;

/**
 * Takes the tenants' waiting-line locks until the transaction ends, in one global order so
 * two callers never deadlock. Whoever adds a job to a tenant's line (submission, retry)
 * holds its lock while counting the line, so two of them never both see the last free
 * place; the count must come in a later statement than the lock, so that its snapshot
 * includes everything committed before the lock was granted.
 */
export async function lockWaitingLines(tx: Sql, tenantIds: readonly string[]): Promise<void> {
  await tx.query(waitingLinesLock(tenantIds));
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The statement that takes the waiting-line locks of `tenantIds`, with the ids written in
 * as literals (checked to be UUIDs), so that it can travel with BEGIN (inTransaction's
 * `beginWith`) and cost no round trip of its own.
 */
export function waitingLinesLock(tenantIds: readonly string[]): string {
  const ids = [...new Set(tenantIds)].sort();
  for (const id of ids) if (!UUID.test(id)) throw new Error(`not a tenant id: ${id}`);
  return `SELECT pg_advisory_xact_lock(hashtextextended('waiting-line:' || id, 0))
            FROM unnest('{${ids.join(",")}}'::text[]) WITH ORDINALITY AS k(id, n) ORDER BY n`;
}

/** The tenant's waiting jobs, for a caller holding its waiting-line lock or only reporting. */
export async function countWaiting(sql: Sql, tenantId: string): Promise<number> {
  const { rows } = await sql.query<{ count: number }>(waitingCount("$1"), [tenantId]);
  return rows[0]?.count ?? 0;
}

/** Throws QUOTA_EXCEEDED when `waiting` (after adding a job) is above maxQueuedJobs. */
export function ensureWaitingWithin(waiting: number, maxQueuedJobs: number): void {
  if (waiting > maxQueuedJobs) {
    throw new QuotaExceededError(
      `this tenant already has ${maxQueuedJobs} jobs waiting (maxQueuedJobs)`,
      { limit: "maxQueuedJobs", value: maxQueuedJobs },
    );
  }
}
