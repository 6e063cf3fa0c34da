// Executor nodes as the scheduler sees them: a worker registers its node with the capacity
// its executor offers, heartbeats while it lives, and the scheduler places work only on
// nodes that are active, healthy, heartbeating and not behind an open circuit breaker.
import type { Sql } from "../../db/sql.ts";
import type { ExecutorCapacity } from "../../executors/types.ts";
import type { ExecutorKind, ExecutorStatus } from "../../generated/prisma/enums.ts";

export interface NodeRow {
  id: string;
  name: string;
  kind: ExecutorKind;
  status: ExecutorStatus;
  cpuMillis: number;
  memoryMb: number;
  gpus: number;
  maxJobs: number;
  usedCpuMillis: number;
  usedMemoryMb: number;
  usedGpus: number;
  runningJobs: number;
  healthy: boolean;
  consecutiveFailures: number;
  circuitOpenUntil: Date | null;
  lastHeartbeatAt: Date;
  labels: Record<string, string>;
  createdAt: Date;
}

/**
 * Creates the node or takes it over again after a restart (same name), with the capacity
 * offered now. A drained node stays drained: that was an administrator's decision.
 */
export async function registerNode(
  tx: Sql,
  node: {
    name: string;
    kind: ExecutorKind;
    capacity: ExecutorCapacity;
    labels?: Record<string, string>;
  },
): Promise<NodeRow> {
  const { rows } = await tx.query<NodeRow>(
    `INSERT INTO "ExecutorNode" (id, name, kind, "cpuMillis", "memoryMb", gpus, "maxJobs", labels)
     VALUES (gen_random_uuid(), $1, $2::"ExecutorKind", $3, $4, $5, $6, $7::jsonb)
     ON CONFLICT (name) DO UPDATE SET kind = EXCLUDED.kind, "cpuMillis" = EXCLUDED."cpuMillis",
       "memoryMb" = EXCLUDED."memoryMb", gpus = EXCLUDED.gpus, "maxJobs" = EXCLUDED."maxJobs",
       labels = EXCLUDED.labels, healthy = true, "lastHeartbeatAt" = now()
     RETURNING *`,
    [
      node.name,
      node.kind,
      node.capacity.cpuMillis,
      node.capacity.memoryMb,
      node.capacity.gpus,
      node.capacity.maxJobs,
      JSON.stringify(node.labels ?? {}),
    ],
  );
  const row = rows[0] as NodeRow;
  await reconcileUsage(tx, row.id);
  return row;
}

/**
 * Recomputes what is booked on a node from the jobs actually placed there, so a crash
 * between a job's end and its capacity release can never leak capacity for good.
 */
export async function reconcileUsage(tx: Sql, nodeId: string): Promise<void> {
  await tx.query(
    `UPDATE "ExecutorNode" AS n SET "usedCpuMillis" = u.cpu, "usedMemoryMb" = u.mem,
       "usedGpus" = u.gpu, "runningJobs" = u.jobs
     FROM (SELECT COALESCE(sum("cpuMillis"), 0)::int AS cpu, COALESCE(sum("memoryMb"), 0)::int AS mem,
                  COALESCE(sum(gpus), 0)::int AS gpu, count(*)::int AS jobs
           FROM "Job" WHERE "executorNodeId" = $1 AND state IN ('QUEUED', 'RUNNING')) AS u
     WHERE n.id = $1`,
    [nodeId],
  );
}

/** Records that the node is alive and whether its executor reports itself healthy. */
export async function heartbeatNode(sql: Sql, nodeId: string, healthy: boolean): Promise<void> {
  await sql.query(
    `UPDATE "ExecutorNode" SET "lastHeartbeatAt" = now(), healthy = $2 WHERE id = $1`,
    [nodeId, healthy],
  );
}

export interface BreakerSettings {
  /** Platform failures in a row that open the breaker. */
  failures: number;
  /** How long an open breaker keeps new jobs away; then one probe job is let through. */
  openSeconds: number;
}

/**
 * Counts a platform failure on the node (a lost run, a container the engine could not
 * create). At the threshold the breaker opens; a failure while half-open re-opens it.
 */
export async function recordNodeFailure(
  tx: Sql,
  nodeId: string,
  settings: BreakerSettings,
): Promise<void> {
  await tx.query(
    `UPDATE "ExecutorNode" SET "consecutiveFailures" = "consecutiveFailures" + 1,
       "circuitOpenUntil" = CASE WHEN "consecutiveFailures" + 1 >= $2
         THEN now() + make_interval(secs => $3) ELSE "circuitOpenUntil" END
     WHERE id = $1`,
    [nodeId, settings.failures, settings.openSeconds],
  );
}

/** A run that worked closes the breaker; written only when there is something to reset. */
export async function recordNodeSuccess(tx: Sql, nodeId: string): Promise<void> {
  await tx.query(
    `UPDATE "ExecutorNode" SET "consecutiveFailures" = 0, "circuitOpenUntil" = NULL
     WHERE id = $1 AND ("consecutiveFailures" > 0 OR "circuitOpenUntil" IS NOT NULL)`,
    [nodeId],
  );
}
