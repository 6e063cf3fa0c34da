// Executor nodes as the scheduler sees them: a worker registers its node with the capacity
// its executor offers, heartbeats while it lives, and the scheduler places work only on
// nodes that are active, healthy, heartbeating and not behind an open circuit breaker.

import { prepared } from "../../db/prepared.ts";
import { publishMany } from "../../db/pubsub.ts";
import type { Sql } from "../../db/sql.ts";
import type { ExecutorCapacity } from "../../executors/types.ts";
import type { ExecutorKind, ExecutorStatus } from "../../generated/prisma/enums.ts";
import { PLACED_STATES, sqlStates } from "../jobs/lifecycle.ts";

export interface NodeRow {
  id: string;
  name: string;
  kind: ExecutorKind;
  status: ExecutorStatus;
  cpuMillis: number;
  memoryMb: number;
  gpus: number;
  maxJobs: number;
  healthy: boolean;
  consecutiveFailures: number;
  circuitOpenUntil: Date | null;
  lastHeartbeatAt: Date;
  aliveUntil: Date;
  labels: Record<string, string>;
  createdAt: Date;
}

/** NodeRow's columns: the prepared statement below names them (see db/prepared.ts). */
const NODE_COLUMNS: ReadonlyArray<keyof NodeRow> = [
  "id",
  "name",
  "kind",
  "status",
  "cpuMillis",
  "memoryMb",
  "gpus",
  "maxJobs",
  "healthy",
  "consecutiveFailures",
  "circuitOpenUntil",
  "lastHeartbeatAt",
  "aliveUntil",
  "labels",
  "createdAt",
];

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
    /** Whether its executor answers now (an engine may be down when its worker starts). */
    healthy: boolean;
    labels?: Record<string, string>;
    /** How long the node counts as alive without another heartbeat. */
    aliveForMs: number;
  },
): Promise<NodeRow> {
  const { rows } = await tx.query<NodeRow>(
    `INSERT INTO "ExecutorNode" (id, name, kind, "cpuMillis", "memoryMb", gpus, "maxJobs", labels,
       "aliveUntil", healthy)
     VALUES (gen_random_uuid(), $1, $2::"ExecutorKind", $3, $4, $5, $6, $7::jsonb,
       now() + make_interval(secs => $8::float8 / 1000), $9)
     ON CONFLICT (name) DO UPDATE SET kind = EXCLUDED.kind, "cpuMillis" = EXCLUDED."cpuMillis",
       "memoryMb" = EXCLUDED."memoryMb", gpus = EXCLUDED.gpus, "maxJobs" = EXCLUDED."maxJobs",
       labels = EXCLUDED.labels, healthy = EXCLUDED.healthy, "lastHeartbeatAt" = now(),
       "aliveUntil" = EXCLUDED."aliveUntil"
     RETURNING *`,
    [
      node.name,
      node.kind,
      node.capacity.cpuMillis,
      node.capacity.memoryMb,
      node.capacity.gpus,
      node.capacity.maxJobs,
      JSON.stringify(node.labels ?? {}),
      node.aliveForMs,
      node.healthy,
    ],
  );
  return rows[0] as NodeRow;
}

/** Topic of node changes (registration, health or capacity, drain), for live load views. */
export const NODES_TOPIC = "nodes";

/** Tells live views that a node changed (after commit when `sql` is a transaction). */
export async function announceNode(sql: Sql, nodeId: string): Promise<void> {
  await publishMany(sql, [{ topic: NODES_TOPIC, key: nodeId, data: { nodeId } }]);
}

export type CircuitState = "CLOSED" | "OPEN" | "HALF_OPEN";

/**
 * A node with what the jobs placed on it (QUEUED or RUNNING) hold right now, and its
 * liveness and breaker state as of the database's clock.
 */
export interface NodeWithLoad extends NodeRow {
  usedCpuMillis: number;
  usedMemoryMb: number;
  usedGpus: number;
  runningJobs: number;
  /** Heartbeated within its deadline. */
  alive: boolean;
  /** OPEN until circuitOpenUntil; HALF_OPEN after it until a success clears it. */
  circuit: CircuitState;
}

/** Whether the scheduler may place new work on the node. */
export const acceptsWork = (node: NodeWithLoad): boolean =>
  node.status === "ACTIVE" && node.healthy && node.alive && node.circuit !== "OPEN";

const NODES_WITH_LOAD = prepared(
  "executor.nodes-with-load",
  `SELECT ${NODE_COLUMNS.map((c) => `n."${c}"`).join(", ")},
            COALESCE(u.cpu, 0)::int AS "usedCpuMillis", COALESCE(u.mem, 0)::int AS "usedMemoryMb",
            COALESCE(u.gpu, 0)::int AS "usedGpus", COALESCE(u.jobs, 0)::int AS "runningJobs",
            n."aliveUntil" > now() AS alive,
            CASE WHEN n."circuitOpenUntil" > now() THEN 'OPEN'
                 WHEN n."circuitOpenUntil" IS NOT NULL THEN 'HALF_OPEN'
                 ELSE 'CLOSED' END AS circuit
     FROM "ExecutorNode" n
     LEFT JOIN (SELECT "executorNodeId" AS node, sum("cpuMillis") AS cpu, sum("memoryMb") AS mem,
                       sum(gpus) AS gpu, count(*) AS jobs
                FROM "Job" WHERE state IN ${sqlStates(PLACED_STATES)} GROUP BY "executorNodeId") u
       ON u.node = n.id
     WHERE $1::uuid IS NULL OR n.id = $1::uuid
     ORDER BY n.name`,
);

/**
 * Nodes and their load, summed from the placed jobs themselves: no counter on the node row
 * to keep in step (a crash between a job's end and a counter update could leak capacity),
 * and no row every job start and finish would have to lock.
 */
export async function nodesWithLoad(sql: Sql, nodeId?: string): Promise<NodeWithLoad[]> {
  const { rows } = await sql.query<NodeWithLoad>(NODES_WITH_LOAD([nodeId ?? null]));
  return rows;
}

/**
 * Records that the node is alive for another `aliveForMs`, whether its executor reports
 * itself healthy, and what it offers now (an engine's capacity can change while it runs).
 */
export async function heartbeatNode(
  sql: Sql,
  nodeId: string,
  health: { healthy: boolean; capacity: ExecutorCapacity },
  aliveForMs: number,
): Promise<void> {
  const { capacity } = health;
  await sql.query(
    `UPDATE "ExecutorNode" SET "lastHeartbeatAt" = now(), healthy = $2,
       "aliveUntil" = now() + make_interval(secs => $3::float8 / 1000),
       "cpuMillis" = $4, "memoryMb" = $5, gpus = $6, "maxJobs" = $7
     WHERE id = $1`,
    [
      nodeId,
      health.healthy,
      aliveForMs,
      capacity.cpuMillis,
      capacity.memoryMb,
      capacity.gpus,
      capacity.maxJobs,
    ],
  );
}

export interface BreakerSettings {
  /** Platform failures in a row that open the breaker. */
  failures: number;
  /** How long an open breaker keeps new jobs away; then one probe job is let through. */
  openSeconds: number;
}

/**
 * Counts platform failures (a lost run, a container the engine could not create), one per
 * entry of `nodeIds`. At the threshold a node's breaker opens; a failure while half-open
 * (the count is still at or above the threshold) re-opens it.
 */
export async function recordNodeFailures(
  tx: Sql,
  nodeIds: readonly string[],
  settings: BreakerSettings,
): Promise<void> {
  if (nodeIds.length === 0) return;
  await tx.query(
    `UPDATE "ExecutorNode" AS n SET "consecutiveFailures" = n."consecutiveFailures" + f.failures,
       "circuitOpenUntil" = CASE WHEN n."consecutiveFailures" + f.failures >= $2
         THEN now() + make_interval(secs => $3) ELSE n."circuitOpenUntil" END
     FROM (SELECT id, count(*)::int AS failures FROM unnest($1::uuid[]) AS id GROUP BY id) f
     WHERE n.id = f.id`,
    [nodeIds, settings.failures, settings.openSeconds],
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
