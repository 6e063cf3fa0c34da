// What one admission pass plans from: every executor node, every active tenant with jobs
// waiting (its quota, weight and current usage), and the head of each such tenant's queue.
// Read inside the pass's transaction, under the scheduler lock.

import { prepared } from "../db/prepared.ts";
import type { Sql } from "../db/sql.ts";
import { PLACED_STATES, sqlStates, WAITING_STATES } from "../domain/jobs/lifecycle.ts";
import { RETRYABLE_CODES } from "../domain/jobs/retry-policy.ts";
import { acceptsWork, nodesWithLoad } from "../domain/nodes/nodes.ts";
import type { ExecutorKind } from "../generated/prisma/enums.ts";
import type { PendingJob, TenantState } from "./fair-share.ts";
import type { NodeState } from "./placement.ts";

export interface Snapshot {
  nodes: NodeState[];
  tenants: TenantState[];
  pending: Map<string, PendingJob[]>;
}

const TENANTS_AND_HEADS = prepared(
  "scheduler.tenants-and-heads",
  `WITH tenants AS (
       SELECT t.id, t.weight, q."maxConcurrentJobs", q."cpuMillis", q."memoryMb", q.gpus,
              u.jobs, u.cpu, u.mem, u.gpu
       FROM "Tenant" t
       JOIN "Quota" q ON q."tenantId" = t.id
       CROSS JOIN LATERAL (
         SELECT count(*)::int AS jobs, COALESCE(sum("cpuMillis"), 0)::int AS cpu,
                COALESCE(sum("memoryMb"), 0)::int AS mem, COALESCE(sum(gpus), 0)::int AS gpu
         FROM "Job" WHERE "tenantId" = t.id AND state IN ${sqlStates(PLACED_STATES)}) u
       WHERE t.status = 'ACTIVE'
         AND EXISTS (SELECT 1 FROM "Job" WHERE "tenantId" = t.id AND state IN ${sqlStates(WAITING_STATES)})),
     heads AS (
       SELECT j.id, j."tenantId", j.priority, j."cpuMillis", j."memoryMb", j.gpus,
              j."executorPreference", coalesce(j."errorCode" = ANY($2::text[]), false) AS "failingOver"
       FROM tenants t CROSS JOIN LATERAL (
         SELECT id, "tenantId", priority, "cpuMillis", "memoryMb", gpus, "executorPreference",
                "errorCode"
         FROM "Job"
         WHERE "tenantId" = t.id AND state IN ${sqlStates(WAITING_STATES)}
           AND ("notBefore" IS NULL OR "notBefore" <= now())
         ORDER BY priority DESC, id
         LIMIT GREATEST(0, LEAST($1::int, t."maxConcurrentJobs" - t.jobs))) j)
     SELECT (SELECT coalesce(json_agg(t), '[]') FROM tenants t) AS tenants,
            (SELECT coalesce(json_agg(h ORDER BY h."tenantId", h.priority DESC, h.id), '[]')
               FROM heads h) AS heads`,
);

/** `perTenantLimit`: most jobs read per tenant (a pass admits at most this many overall). */
export async function loadSnapshot(tx: Sql, perTenantLimit: number): Promise<Snapshot> {
  const nodes = (await nodesWithLoad(tx)).map((node) => ({
    ...node,
    usable: acceptsWork(node),
    probeOnly: node.circuit === "HALF_OPEN",
    recovering: node.alive && !node.healthy,
  }));
  // The active tenants with waiting jobs and the head of each one's line (as many as its
  // concurrency quota could take now), in one statement.
  const {
    rows: [snapshot],
  } = await tx.query<{ tenants: TenantRow[]; heads: PendingRow[] }>(
    TENANTS_AND_HEADS([perTenantLimit, [...RETRYABLE_CODES]]),
  );
  const tenants: TenantState[] = (snapshot?.tenants ?? []).map((row) => ({
    id: row.id,
    weight: row.weight,
    quota: {
      maxConcurrentJobs: row.maxConcurrentJobs,
      cpuMillis: row.cpuMillis,
      memoryMb: row.memoryMb,
      gpus: row.gpus,
    },
    usage: { jobs: row.jobs, cpuMillis: row.cpu, memoryMb: row.mem, gpus: row.gpu },
  }));
  const pending = new Map<string, PendingJob[]>();
  for (const row of snapshot?.heads ?? []) {
    const list = pending.get(row.tenantId) ?? [];
    list.push({ ...row, order: row.id });
    pending.set(row.tenantId, list);
  }
  return { nodes, tenants, pending };
}

interface TenantRow {
  id: string;
  weight: number;
  maxConcurrentJobs: number;
  cpuMillis: number;
  memoryMb: number;
  gpus: number;
  jobs: number;
  cpu: number;
  mem: number;
  gpu: number;
}

interface PendingRow {
  id: string;
  tenantId: string;
  priority: number;
  cpuMillis: number;
  memoryMb: number;
  gpus: number;
  executorPreference: ExecutorKind | null;
  failingOver: boolean;
}
