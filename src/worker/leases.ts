// A worker's hold on its running jobs. Every heartbeat renews the lease of each attempt it
// runs, in one statement; an attempt that is no longer RUNNING under that number (reaped
// while this worker was stopped or cut off) comes back missing and must be abandoned, and
// one its owner asked to cancel comes back flagged — a safety net should the NOTIFY be lost.
import type { Sql } from "../db/sql.ts";

export interface LeaseRenewal {
  /** Attempts still ours: job id → whether a cancel was requested. */
  held: Map<string, boolean>;
}

export async function renewLeases(
  sql: Sql,
  attempts: ReadonlyArray<{ jobId: string; attempt: number }>,
  leaseMs: number,
): Promise<LeaseRenewal> {
  const held = new Map<string, boolean>();
  if (attempts.length === 0) return { held };
  const { rows } = await sql.query<{ id: string; cancelRequested: boolean }>(
    `UPDATE "Job" AS j SET "leaseExpiresAt" = now() + make_interval(secs => $3::float8 / 1000)
     FROM unnest($1::uuid[], $2::int[]) AS r(id, attempt)
     WHERE j.id = r.id AND j.attempt = r.attempt AND j.state = 'RUNNING'
     RETURNING j.id, j."cancelRequested"`,
    [attempts.map((a) => a.jobId), attempts.map((a) => a.attempt), leaseMs],
  );
  for (const row of rows) held.set(row.id, row.cancelRequested);
  return { held };
}
