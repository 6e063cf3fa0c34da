// What one admission pass plans from: every executor node, every active tenant with jobs
// waiting (its quota, weight and current usage), and the head of each such tenant's queue.
// Read inside the pass's transaction, under the scheduler lock.
import type { Sql } from "../db/sql.ts";
import { acceptsWork, nodesWithLoad } from "../domain/executors/nodes.ts";
import type { ExecutorKind } from "../generated/prisma/enums.ts";
import type { PendingJob, TenantState } from "./fair-share.ts";
import type { NodeState } from "./placement.ts";

export interface Snapshot {
  nodes: NodeState[];
  tenants: TenantState[];
  pending: Map<string, PendingJob[]>;
}

/** `perTenantLimit`: most jobs read per tenant (a pass admits at most this many overall). */
export async function loadSnapshot(tx: Sql, perTenantLimit: number): Promise<Snapshot> {
  const nodes = (await nodesWithLoad(tx)).map((node) => ({
    ...node,
    usable: acceptsWork(node),
    probeOnly: node.circuit === "HALF_OPEN",
  }));
  const { rows } = await tx.query<TenantRow>(
    `SELECT t.id, t.weight, q."maxConcurrentJobs", q."cpuMillis", q."memoryMb", q.gpus,
            u.jobs, u.cpu, u.mem, u.gpu
     FROM "Tenant" t
     JOIN "Quota" q ON q."tenantId" = t.id
     CROSS JOIN LATERAL (
       SELECT count(*)::int AS jobs, COALESCE(sum("cpuMillis"), 0)::int AS cpu,
              COALESCE(sum("memoryMb"), 0)::int AS mem, COALESCE(sum(gpus), 0)::int AS gpu
       FROM "Job" WHERE "tenantId" = t.id AND state IN ('QUEUED', 'RUNNING')) u
     WHERE t.status = 'ACTIVE'
       AND EXISTS (SELECT 1 FROM "Job" WHERE "tenantId" = t.id AND state = 'PENDING')`,
  );
  const tenants: TenantState[] = rows.map((row) => ({
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
  const pending = await loadPending(tx, tenants, perTenantLimit);
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

/** Each tenant's next waiting jobs, at most what its concurrency quota could take now. */
async function loadPending(
  tx: Sql,
  tenants: readonly TenantState[],
  perTenantLimit: number,
): Promise<Map<string, PendingJob[]>> {
  const pending = new Map<string, PendingJob[]>();
  if (tenants.length === 0) return pending;
  const ids = tenants.map((t) => t.id);
  const limits = tenants.map((t) =>
    Math.max(0, Math.min(perTenantLimit, t.quota.maxConcurrentJobs - t.usage.jobs)),
  );
  const { rows } = await tx.query<PendingRow>(
    `SELECT j.id, j."tenantId", j.priority, j."cpuMillis", j."memoryMb", j.gpus,
            j."executorPreference"
     FROM unnest($1::uuid[], $2::int[]) AS t(id, n)
     CROSS JOIN LATERAL (
       SELECT id, "tenantId", priority, "cpuMillis", "memoryMb", gpus, "executorPreference"
       FROM "Job"
       WHERE "tenantId" = t.id AND state = 'PENDING'
         AND ("notBefore" IS NULL OR "notBefore" <= now())
       ORDER BY priority DESC, id
       LIMIT t.n) j
     ORDER BY j."tenantId", j.priority DESC, j.id`,
    [ids, limits],
  );
  for (const row of rows) {
    const list = pending.get(row.tenantId) ?? [];
    list.push({ ...row, order: row.id });
    pending.set(row.tenantId, list);
  }
  return pending;
}

interface PendingRow {
  id: string;
  tenantId: string;
  priority: number;
  cpuMillis: number;
  memoryMb: number;
  gpus: number;
  executorPreference: ExecutorKind | null;
}
