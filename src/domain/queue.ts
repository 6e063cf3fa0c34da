// The waiting line as operators see it: per tenant, how many jobs wait for admission, since
// when the oldest has waited, and how many run. What answers "why is my submission stuck in
// PENDING" before anyone has to ask: a tenant at its concurrency quota, or a platform with
// no room.

import type { Sql } from "../db/sql.ts";
import type { DomainContext } from "./context.ts";
import { PLACED_STATES, sqlStates, WAITING_STATES } from "./jobs/lifecycle.ts";
import { requirePlatformAdmin } from "./principal.ts";

export interface TenantQueue {
  tenantId: string;
  tenant: string;
  waiting: number;
  /** Submission time of the tenant's longest-waiting job; null when none waits. */
  oldestWaitingSince: Date | null;
  running: number;
  maxConcurrentJobs: number;
}

/** Every tenant with jobs waiting or placed, the longest wait first. */
export async function readQueue(sql: Sql): Promise<TenantQueue[]> {
  const { rows } = await sql.query<TenantQueue>(
    `SELECT t.id AS "tenantId", t.slug AS tenant,
            count(*) FILTER (WHERE j.state IN ${sqlStates(WAITING_STATES)})::int AS waiting,
            min(j."submittedAt") FILTER (WHERE j.state IN ${sqlStates(WAITING_STATES)})
              AS "oldestWaitingSince",
            count(*) FILTER (WHERE j.state IN ${sqlStates(PLACED_STATES)})::int AS running,
            q."maxConcurrentJobs"
       FROM "Job" j JOIN "Tenant" t ON t.id = j."tenantId" JOIN "Quota" q ON q."tenantId" = t.id
      -- Two state sets, as the partial indexes spell them: one IN list of the active states
      -- matches neither index, and Postgres would read the whole table.
      WHERE (j.state IN ${sqlStates(WAITING_STATES)} OR j.state IN ${sqlStates(PLACED_STATES)})
      GROUP BY t.id, q."maxConcurrentJobs"
      ORDER BY "oldestWaitingSince" NULLS LAST, t.slug`,
  );
  return rows;
}

export async function queueOverview(ctx: DomainContext): Promise<TenantQueue[]> {
  requirePlatformAdmin(ctx.actor);
  return readQueue(ctx.db.pool);
}
