// Executor nodes: capacity, load, health and breaker state for every caller; drain and
// resume for platform admins.

import { formatCpu, formatMemory } from "../domain/jobs/resources.ts";
import { drainExecutor, listExecutors, resumeExecutor } from "../domain/nodes/admin.ts";
import type { NodeWithLoad } from "../domain/nodes/nodes.ts";
import { queueOverview, type TenantQueue } from "../domain/queue.ts";
import { followExecutorLoad, unwrap } from "../realtime/subscriptions.ts";
import { builder } from "./builder.ts";
import { ExecutorKind } from "./enums.ts";

const ExecutorStatus = builder.enumType("ExecutorStatus", {
  values: {
    ACTIVE: { description: "Takes new jobs" },
    DRAINING: { description: "Finishes its jobs, takes no new ones" },
  },
});

const CircuitState = builder.enumType("CircuitState", {
  values: {
    CLOSED: { description: "Jobs are placed normally" },
    OPEN: { description: "Too many platform failures in a row: no new jobs until it half-opens" },
    HALF_OPEN: { description: "One probe job at a time until one succeeds" },
  },
});

const Capacity = builder
  .objectRef<{ cpuMillis: number; memoryMb: number; gpus: number; jobs: number }>(
    "ExecutorCapacity",
  )
  .implement({
    fields: (t) => ({
      cpu: t.string({ resolve: (c) => formatCpu(c.cpuMillis) }),
      memory: t.string({ resolve: (c) => formatMemory(c.memoryMb) }),
      cpuMillis: t.exposeInt("cpuMillis"),
      memoryMb: t.exposeInt("memoryMb"),
      gpus: t.exposeInt("gpus"),
      jobs: t.exposeInt("jobs"),
    }),
  });

export const ExecutorNode = builder.objectRef<NodeWithLoad>("ExecutorNode").implement({
  description: "A machine (or cluster) that runs jobs, as its worker last reported it",
  fields: (t) => ({
    id: t.exposeID("id"),
    name: t.exposeString("name"),
    kind: t.expose("kind", { type: ExecutorKind }),
    status: t.expose("status", { type: ExecutorStatus }),
    healthy: t.boolean({
      description: "Its executor reports healthy and it heartbeated within its deadline",
      resolve: (n) => n.healthy && n.alive,
    }),
    lastHeartbeatAt: t.expose("lastHeartbeatAt", { type: "DateTime" }),
    capacity: t.field({
      type: Capacity,
      resolve: (n) => ({
        cpuMillis: n.cpuMillis,
        memoryMb: n.memoryMb,
        gpus: n.gpus,
        jobs: n.maxJobs,
      }),
    }),
    used: t.field({
      type: Capacity,
      description: "Booked by jobs placed on the node and not yet finished",
      resolve: (n) => ({
        cpuMillis: n.usedCpuMillis,
        memoryMb: n.usedMemoryMb,
        gpus: n.usedGpus,
        jobs: n.runningJobs,
      }),
    }),
    load: t.float({
      description: "Largest used fraction of CPU, memory, GPUs or job slots (0 to 1)",
      resolve: (n) =>
        Math.max(
          n.usedCpuMillis / n.cpuMillis,
          n.usedMemoryMb / n.memoryMb,
          n.gpus > 0 ? n.usedGpus / n.gpus : 0,
          n.runningJobs / n.maxJobs,
        ),
    }),
    circuit: t.expose("circuit", { type: CircuitState }),
    consecutiveFailures: t.exposeInt("consecutiveFailures"),
  }),
});

builder.subscriptionFields((t) => ({
  executorLoad: t.field({
    type: [ExecutorNode],
    description: "Every node's capacity, load and health, now and whenever they change",
    authScopes: { authenticated: true },
    subscribe: (_root, _args, ctx) => followExecutorLoad(ctx.domain, ctx.services.live),
    resolve: (payload) => unwrap(payload),
  }),
}));

const TenantQueueRef = builder.objectRef<TenantQueue>("TenantQueue").implement({
  description: "A tenant's part of the waiting line",
  fields: (t) => ({
    tenant: t.exposeString("tenant"),
    waiting: t.exposeInt("waiting", { description: "Jobs waiting for admission (PENDING)" }),
    oldestWaitingSince: t.expose("oldestWaitingSince", {
      type: "DateTime",
      nullable: true,
      description: "When the longest-waiting job was submitted",
    }),
    running: t.exposeInt("running", { description: "Jobs placed on a node (QUEUED, RUNNING)" }),
    maxConcurrentJobs: t.exposeInt("maxConcurrentJobs"),
  }),
});

builder.queryFields((t) => ({
  queue: t.field({
    type: [TenantQueueRef],
    description: "Tenants with jobs waiting or running, the longest wait first (platform admins)",
    authScopes: { platformAdmin: true },
    resolve: (_root, _args, ctx) => queueOverview(ctx.domain),
  }),
  executors: t.field({
    type: [ExecutorNode],
    authScopes: { authenticated: true },
    resolve: (_root, _args, ctx) => listExecutors(ctx.domain),
  }),
}));

builder.mutationFields((t) => ({
  drainExecutor: t.field({
    type: ExecutorNode,
    description: "Stop placing new jobs on a node; its running jobs finish",
    authScopes: { platformAdmin: true },
    errors: {},
    args: { name: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) => drainExecutor(ctx.domain, args.name),
  }),
  resumeExecutor: t.field({
    type: ExecutorNode,
    description: "Place jobs on a drained node again",
    authScopes: { platformAdmin: true },
    errors: {},
    args: { name: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) => resumeExecutor(ctx.domain, args.name),
  }),
}));
