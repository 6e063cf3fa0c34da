// Admission: which waiting jobs start now. Between tenants, weighted dominant resource
// fairness (DRF): the next job comes from the tenant whose dominant share of the cluster
// (its largest fraction of CPU, memory or GPUs in use), divided by its weight, is lowest;
// ties go to the higher-priority, then older, head job. Within a tenant, jobs go in
// priority then submission order. Nothing is admitted past a tenant's quota or a node's
// capacity. Pure: the scheduler loads a snapshot, plans here, then writes the plan.
import { beyondQuota } from "../domain/jobs/resources.ts";
import type { ExecutorKind } from "../generated/prisma/enums.ts";
import { type BackendRules, type Demand, type NodeState, placeJob, reserve } from "./placement.ts";

export interface Usage {
  jobs: number;
  cpuMillis: number;
  memoryMb: number;
  gpus: number;
}

export interface TenantState {
  id: string;
  weight: number;
  quota: { maxConcurrentJobs: number; cpuMillis: number; memoryMb: number; gpus: number };
  /** What its QUEUED and RUNNING jobs hold now. */
  usage: Usage;
}

export interface PendingJob extends Demand {
  id: string;
  tenantId: string;
  priority: number;
  /** Submission order (UUIDv7 ids sort by time); smaller is older. */
  order: string;
}

export interface AdmissionInput {
  tenants: readonly TenantState[];
  /** Each tenant's waiting jobs, already in its own order (priority, then age). */
  pending: ReadonlyMap<string, readonly PendingJob[]>;
  nodes: NodeState[];
  rules: BackendRules;
  /** Most jobs to admit in one pass. */
  limit: number;
}

export interface Admission {
  job: PendingJob;
  node: NodeState;
}

export interface Refusal {
  job: PendingJob;
  code: "QUOTA_EXCEEDED" | "NO_EXECUTOR_AVAILABLE" | "GPU_NOT_AVAILABLE";
  message: string;
}

export interface AdmissionPlan {
  admitted: Admission[];
  /** Jobs that can never run as things stand; they end FAILED with the code. */
  refused: Refusal[];
}

export function dominantShare(usage: Usage, totals: Omit<Usage, "jobs">): number {
  const shares = [
    totals.cpuMillis > 0 ? usage.cpuMillis / totals.cpuMillis : 0,
    totals.memoryMb > 0 ? usage.memoryMb / totals.memoryMb : 0,
    totals.gpus > 0 ? usage.gpus / totals.gpus : 0,
  ];
  return Math.max(...shares);
}

const withinQuota = (tenant: TenantState, job: Demand): boolean =>
  tenant.usage.jobs + 1 <= tenant.quota.maxConcurrentJobs &&
  tenant.usage.cpuMillis + job.cpuMillis <= tenant.quota.cpuMillis &&
  tenant.usage.memoryMb + job.memoryMb <= tenant.quota.memoryMb &&
  tenant.usage.gpus + job.gpus <= tenant.quota.gpus;

export function planAdmissions(input: AdmissionInput): AdmissionPlan {
  const registered = new Set<ExecutorKind>(input.nodes.map((node) => node.kind));
  const totals = input.nodes.reduce(
    (sum, node) => ({
      cpuMillis: sum.cpuMillis + node.cpuMillis,
      memoryMb: sum.memoryMb + node.memoryMb,
      gpus: sum.gpus + node.gpus,
    }),
    { cpuMillis: 0, memoryMb: 0, gpus: 0 },
  );
  // Working copies: the plan books usage as it goes so later picks see earlier ones.
  const queues = new Map<
    string,
    { tenant: TenantState; jobs: readonly PendingJob[]; next: number }
  >();
  for (const tenant of input.tenants) {
    const jobs = input.pending.get(tenant.id);
    if (jobs && jobs.length > 0) {
      queues.set(tenant.id, { tenant: { ...tenant, usage: { ...tenant.usage } }, jobs, next: 0 });
    }
  }
  const plan: AdmissionPlan = { admitted: [], refused: [] };

  while (plan.admitted.length < input.limit && queues.size > 0) {
    const queue = pickTenant([...queues.values()], totals);
    const job = queue.jobs[queue.next] as PendingJob;
    const advance = () => {
      queue.next += 1;
      if (queue.next >= queue.jobs.length) queues.delete(queue.tenant.id);
    };

    // Bigger than the whole quota (lowered after submission): it could never start.
    const over = beyondQuota(job, queue.tenant.quota);
    if (over.length > 0) {
      plan.refused.push({
        job,
        code: "QUOTA_EXCEEDED",
        message: `the job no longer fits the tenant's quota: ${over.join(", ")}`,
      });
      advance();
      continue;
    }
    // The tenant is at its quota: it waits for its own jobs to finish, and only it waits.
    if (!withinQuota(queue.tenant, job)) {
      queues.delete(queue.tenant.id);
      continue;
    }
    const placement = placeJob(job, input.nodes, input.rules, registered);
    if (placement.ok) {
      reserve(placement.node, job);
      const usage = queue.tenant.usage;
      usage.jobs += 1;
      usage.cpuMillis += job.cpuMillis;
      usage.memoryMb += job.memoryMb;
      usage.gpus += job.gpus;
      plan.admitted.push({ job, node: placement.node });
      advance();
    } else if (placement.reason === "never") {
      plan.refused.push({
        job,
        code: placement.code,
        message: "no executor node could ever hold this job",
      });
      advance();
    } else {
      // No room for this tenant's next job; keep its order (no overtaking within a tenant).
      queues.delete(queue.tenant.id);
    }
  }
  return plan;
}

type Queue = { tenant: TenantState; jobs: readonly PendingJob[]; next: number };

function pickTenant(queues: Queue[], totals: Omit<Usage, "jobs">): Queue {
  let best = queues[0] as Queue;
  let bestKey = sortKey(best, totals);
  for (let i = 1; i < queues.length; i++) {
    const queue = queues[i] as Queue;
    const key = sortKey(queue, totals);
    if (compareKeys(key, bestKey) < 0) {
      best = queue;
      bestKey = key;
    }
  }
  return best;
}

type Key = [share: number, negPriority: number, order: string];

function sortKey(queue: Queue, totals: Omit<Usage, "jobs">): Key {
  const head = queue.jobs[queue.next] as PendingJob;
  const weight = queue.tenant.weight > 0 ? queue.tenant.weight : 1;
  return [dominantShare(queue.tenant.usage, totals) / weight, -head.priority, head.order];
}

function compareKeys(a: Key, b: Key): number {
  if (a[0] !== b[0]) return a[0] - b[0];
  if (a[1] !== b[1]) return a[1] - b[1];
  return a[2] < b[2] ? -1 : a[2] > b[2] ? 1 : 0;
}
