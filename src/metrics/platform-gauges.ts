// The platform's state as the database holds it, read when Prometheus scrapes: jobs in the
// active states, each tenant's waiting line, and every executor node's load, health and
// breaker. The same figures in every process that serves them (take max across instances,
// docs/operations.md), so only API processes register them.
//
// Every read goes through the partial indexes over the active jobs (waiting, or placed on
// a node): a scrape costs the size of the active set, never a scan of the Job table, which
// keeps every job ever run. Finished jobs are counted as they finish instead, by
// autoscorer_job_transitions_total (./job-transitions.ts).
import { Counter, Gauge, Registry } from "prom-client";
import type { Sql } from "../db/sql.ts";
import { PLACED_STATES, sqlStates, WAITING_STATES } from "../domain/jobs/lifecycle.ts";
import { acceptsWork, type NodeWithLoad, nodesWithLoad } from "../domain/nodes/nodes.ts";
import { readQueue, type TenantQueue } from "../domain/queue.ts";
import type { JobState } from "../generated/prisma/enums.ts";
import type { Logger } from "../log.ts";

export interface PlatformGaugeDeps {
  sql: Sql;
  log: Logger;
  /** Tenants exported by queue gauges, the longest waits first: a bounded label set. */
  queueTenants: number;
}

/** The active states: each set is exactly the predicate of its partial indexes. */
const ACTIVE_STATES: readonly JobState[] = [...WAITING_STATES, ...PLACED_STATES];

const COUNT_ACTIVE = [WAITING_STATES, PLACED_STATES]
  .map(
    (states) =>
      `SELECT state::text AS state, count(*)::int AS count FROM "Job"
        WHERE state IN ${sqlStates(states)} GROUP BY state`,
  )
  .join(" UNION ALL ");

const CIRCUIT_STATES = ["CLOSED", "OPEN", "HALF_OPEN"] as const;

const RESOURCES = {
  jobs: (n: NodeWithLoad) => [n.runningJobs, n.maxJobs],
  cpu_cores: (n: NodeWithLoad) => [n.usedCpuMillis / 1000, n.cpuMillis / 1000],
  memory_bytes: (n: NodeWithLoad) => [n.usedMemoryMb * 2 ** 20, n.memoryMb * 2 ** 20],
  gpus: (n: NodeWithLoad) => [n.usedGpus, n.gpus],
} as const;

export function createPlatformGauges(deps: PlatformGaugeDeps): Registry {
  const registry = new Registry();
  const registers = [registry];
  const failures = new Counter({
    name: "autoscorer_platform_read_failures_total",
    help: "Scrapes whose read of the platform's state failed (its gauges were left empty)",
    labelNames: ["read"],
    registers,
  });
  // From zero, so the first failure shows in increase() (the alert on it).
  for (const read of ["jobs", "queue", "executors"]) failures.inc({ read }, 0);
  const read = <T>(name: string, fn: () => Promise<T>) =>
    sharedRead(async () => {
      try {
        return await fn();
      } catch (error) {
        failures.inc({ read: name });
        deps.log.warn({ err: error, read: name }, "could not read the platform state for /metrics");
        return null;
      }
    });

  const activeJobs = read("jobs", async () => {
    const { rows } = await deps.sql.query<{ state: string; count: number }>(COUNT_ACTIVE);
    return rows;
  });
  new Gauge({
    name: "autoscorer_jobs",
    help: "Jobs in each active state (PENDING, QUEUED, RUNNING), platform-wide",
    labelNames: ["state"],
    registers,
    async collect() {
      this.reset();
      const rows = await activeJobs();
      if (!rows) return;
      for (const state of ACTIVE_STATES) this.set({ state }, 0);
      for (const row of rows) this.set({ state: row.state }, row.count);
    },
  });

  const queue = read("queue", () => readQueue(deps.sql));
  const waitingTenants = async (): Promise<TenantQueue[] | null> => {
    const rows = await queue();
    if (!rows) return null;
    // readQueue puts the longest waits first.
    return rows.filter((row) => row.oldestWaitingSince !== null).slice(0, deps.queueTenants);
  };
  new Gauge({
    name: "autoscorer_queue_oldest_wait_seconds",
    help: "How long each tenant's longest-waiting job has waited (the longest waits' tenants only)",
    labelNames: ["tenant"],
    registers,
    async collect() {
      this.reset();
      const now = Date.now();
      for (const row of (await waitingTenants()) ?? []) {
        const since = row.oldestWaitingSince as Date;
        this.set({ tenant: row.tenant }, Math.max(0, (now - since.getTime()) / 1000));
      }
    },
  });
  new Gauge({
    name: "autoscorer_queue_waiting_jobs",
    help: "Jobs waiting for admission per tenant (the same tenants as the wait gauge)",
    labelNames: ["tenant"],
    registers,
    async collect() {
      this.reset();
      for (const row of (await waitingTenants()) ?? [])
        this.set({ tenant: row.tenant }, row.waiting);
    },
  });
  new Gauge({
    name: "autoscorer_queue_tenants_waiting",
    help: "Tenants with jobs waiting for admission (the queue gauges show the longest waits of them)",
    registers,
    async collect() {
      const rows = await queue();
      if (rows) this.set(rows.filter((row) => row.oldestWaitingSince !== null).length);
    },
  });

  const nodes = read("executors", () => nodesWithLoad(deps.sql));
  const perNode = (
    name: string,
    help: string,
    value: (node: NodeWithLoad) => number,
  ): Gauge<"node" | "kind"> =>
    new Gauge({
      name,
      help,
      labelNames: ["node", "kind"],
      registers,
      async collect() {
        this.reset();
        for (const node of (await nodes()) ?? [])
          this.set({ node: node.name, kind: node.kind }, value(node));
      },
    });
  perNode(
    "autoscorer_executor_healthy",
    "1 when the node's executor reports healthy and the node heartbeats in time",
    (n) => (n.healthy && n.alive ? 1 : 0),
  );
  perNode(
    "autoscorer_executor_accepts_work",
    "1 when the scheduler may place jobs on the node: active, healthy, alive, breaker not open",
    (n) => (acceptsWork(n) ? 1 : 0),
  );
  perNode(
    "autoscorer_executor_consecutive_failures",
    "Platform failures in a row on the node (its breaker opens at scheduler.breakerFailures)",
    (n) => n.consecutiveFailures,
  );
  new Gauge({
    name: "autoscorer_executor_circuit_state",
    help: "The node's circuit breaker: 1 for its current state (CLOSED, OPEN, HALF_OPEN), 0 for the others",
    labelNames: ["node", "kind", "state"],
    registers,
    async collect() {
      this.reset();
      for (const node of (await nodes()) ?? []) {
        for (const state of CIRCUIT_STATES)
          this.set({ node: node.name, kind: node.kind, state }, node.circuit === state ? 1 : 0);
      }
    },
  });
  const perResource = (name: string, help: string, pick: 0 | 1) =>
    new Gauge({
      name,
      help,
      labelNames: ["node", "kind", "resource"],
      registers,
      async collect() {
        this.reset();
        for (const node of (await nodes()) ?? []) {
          for (const [resource, of] of Object.entries(RESOURCES))
            this.set({ node: node.name, kind: node.kind, resource }, of(node)[pick] ?? 0);
        }
      },
    });
  perResource(
    "autoscorer_executor_used",
    "What the jobs placed on the node hold: jobs, cpu_cores, memory_bytes, gpus",
    0,
  );
  perResource(
    "autoscorer_executor_capacity",
    "What the node offers: jobs, cpu_cores, memory_bytes, gpus",
    1,
  );
  new Gauge({
    name: "autoscorer_executor_usable_nodes",
    help: "Nodes the scheduler may place jobs on now; 0 means nothing new can start",
    registers,
    async collect() {
      const rows = await nodes();
      if (rows) this.set(rows.filter(acceptsWork).length);
    },
  });
  return registry;
}

/**
 * One read per scrape however many gauges need it: prom-client starts collecting every
 * gauge of a scrape at once, so they share the read in flight; the next scrape reads anew.
 */
function sharedRead<T>(fn: () => Promise<T>): () => Promise<T> {
  let inFlight: Promise<T> | undefined;
  return () => {
    inFlight ??= fn().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };
}
