// Admission planning without a database: weighted DRF between tenants, priority and age
// inside ties, quotas and node capacity never exceeded, no overtaking inside a tenant.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  dominantShare,
  type PendingJob,
  planAdmissions,
  type TenantState,
} from "../../src/scheduler/fair-share.ts";
import type { BackendRules, NodeState } from "../../src/scheduler/placement.ts";
import { node } from "./nodes.ts";

const RULES: BackendRules = {
  defaultBackend: "LOCAL",
  kubernetesCpuMillisAbove: 8000,
  kubernetesMemoryMbAbove: 32768,
};

const sized = (name: string, cpuMillis: number, memoryMb: number, maxJobs = 100): NodeState =>
  node(name, { cpuMillis, memoryMb, maxJobs });

function tenant(id: string, weight = 1, quota: Partial<TenantState["quota"]> = {}): TenantState {
  return {
    id,
    weight,
    quota: {
      maxConcurrentJobs: 1000,
      cpuMillis: 1_000_000,
      memoryMb: 1_000_000,
      gpus: 0,
      ...quota,
    },
    usage: { jobs: 0, cpuMillis: 0, memoryMb: 0, gpus: 0 },
  };
}

let sequence = 0;
function jobs(tenantId: string, count: number, shape: Partial<PendingJob> = {}): PendingJob[] {
  return Array.from({ length: count }, () => {
    sequence += 1;
    const order = String(sequence).padStart(8, "0");
    return {
      id: `${tenantId}-${order}`,
      tenantId,
      priority: 0,
      order,
      cpuMillis: 1000,
      memoryMb: 1024,
      gpus: 0,
      executorPreference: null,
      ...shape,
    };
  });
}

describe("planAdmissions", () => {
  it("splits a contended node by weight (2:1)", () => {
    const plan = planAdmissions({
      tenants: [tenant("heavy", 2), tenant("light", 1)],
      pending: new Map([
        ["heavy", jobs("heavy", 50)],
        ["light", jobs("light", 50)],
      ]),
      nodes: [sized("n1", 30_000, 1_000_000)],
      rules: RULES,
      limit: 1000,
    });
    const count = (id: string) => plan.admitted.filter((a) => a.job.tenantId === id).length;
    expect(plan.admitted).toHaveLength(30);
    expect(count("heavy")).toBe(20);
    expect(count("light")).toBe(10);
  });

  it("uses the dominant resource: a memory-heavy tenant yields to a CPU-light one", () => {
    const nodes = [sized("n1", 10_000, 10_240)];
    const plan = planAdmissions({
      tenants: [tenant("mem"), tenant("cpu")],
      pending: new Map([
        ["mem", jobs("mem", 10, { cpuMillis: 100, memoryMb: 2048 })],
        ["cpu", jobs("cpu", 20, { cpuMillis: 1000, memoryMb: 100 })],
      ]),
      nodes,
      rules: RULES,
      limit: 1000,
    });
    const mem = plan.admitted.filter((a) => a.job.tenantId === "mem").length;
    const cpu = plan.admitted.filter((a) => a.job.tenantId === "cpu").length;
    // Each ends near a 40-50% dominant share: mem 2 jobs = 40% memory, cpu 5 jobs = 50% CPU.
    const totals = { cpuMillis: 10_000, memoryMb: 10_240, gpus: 0 };
    const shareOf = (n: number, j: Partial<PendingJob>) =>
      dominantShare(
        { jobs: n, cpuMillis: n * (j.cpuMillis ?? 0), memoryMb: n * (j.memoryMb ?? 0), gpus: 0 },
        totals,
      );
    expect(
      Math.abs(
        shareOf(mem, { cpuMillis: 100, memoryMb: 2048 }) -
          shareOf(cpu, { cpuMillis: 1000, memoryMb: 100 }),
      ),
    ).toBeLessThanOrEqual(0.2);
    expect(mem).toBeGreaterThanOrEqual(2);
    expect(cpu).toBeGreaterThanOrEqual(4);
  });

  it("never starves a tenant under its quota behind another's backlog", () => {
    const plan = planAdmissions({
      tenants: [tenant("flood"), tenant("small")],
      pending: new Map([
        ["flood", jobs("flood", 500)],
        ["small", jobs("small", 2)],
      ]),
      nodes: [sized("n1", 4000, 1_000_000)],
      rules: RULES,
      limit: 1000,
    });
    expect(plan.admitted.filter((a) => a.job.tenantId === "small")).toHaveLength(2);
    expect(plan.admitted).toHaveLength(4);
  });

  it("breaks share ties by priority, then age, and keeps each tenant's own order", () => {
    const a = jobs("a", 2);
    const b = jobs("b", 1, { priority: 5 });
    const plan = planAdmissions({
      tenants: [tenant("a"), tenant("b")],
      pending: new Map([
        ["a", a],
        ["b", b],
      ]),
      nodes: [sized("n1", 100_000, 1_000_000)],
      rules: RULES,
      limit: 1000,
    });
    expect(plan.admitted.map((x) => x.job.id)).toEqual([b[0]?.id, a[0]?.id, a[1]?.id]);
  });

  it("holds a tenant at its quota and refuses a job bigger than the whole quota", () => {
    const plan = planAdmissions({
      tenants: [tenant("t", 1, { maxConcurrentJobs: 3, cpuMillis: 2500 })],
      pending: new Map([["t", [...jobs("t", 1, { cpuMillis: 5000 }), ...jobs("t", 5)]]]),
      nodes: [sized("n1", 100_000, 1_000_000)],
      rules: RULES,
      limit: 1000,
    });
    expect(plan.refused.map((r) => r.code)).toEqual(["QUOTA_EXCEEDED"]);
    expect(plan.admitted).toHaveLength(2); // 2 × 1000m fit in 2500m; a third would not
  });

  it("keeps every quota and every node's capacity, whatever the load (property)", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            weight: fc.integer({ min: 1, max: 4 }),
            jobs: fc.integer({ min: 0, max: 30 }),
            maxJobs: fc.integer({ min: 0, max: 10 }),
            cpu: fc.integer({ min: 1, max: 8 }),
          }),
          { minLength: 1, maxLength: 6 },
        ),
        fc.array(
          fc.record({
            cpu: fc.integer({ min: 1, max: 16 }),
            slots: fc.integer({ min: 1, max: 8 }),
          }),
          { minLength: 1, maxLength: 4 },
        ),
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 200 }),
        (tenantSpecs, nodeSpecs, sizes) => {
          let k = 0;
          const tenants = tenantSpecs.map((t, i) =>
            tenant(`t${i}`, t.weight, { maxConcurrentJobs: t.maxJobs, cpuMillis: t.cpu * 1000 }),
          );
          const pending = new Map(
            tenantSpecs.map((t, i) => [
              `t${i}`,
              jobs(`t${i}`, t.jobs).map((j) => ({
                ...j,
                cpuMillis: (sizes[k++ % sizes.length] ?? 1) * 500,
              })),
            ]),
          );
          const nodes = nodeSpecs.map((n, i) => sized(`n${i}`, n.cpu * 1000, 1_000_000, n.slots));
          const plan = planAdmissions({
            tenants,
            pending,
            nodes: nodes.map((n) => ({ ...n })),
            rules: RULES,
            limit: 10_000,
          });
          for (const t of tenants) {
            const mine = plan.admitted.filter((a) => a.job.tenantId === t.id);
            expect(mine.length).toBeLessThanOrEqual(t.quota.maxConcurrentJobs);
            expect(mine.reduce((s, a) => s + a.job.cpuMillis, 0)).toBeLessThanOrEqual(
              t.quota.cpuMillis,
            );
            // No overtaking inside a tenant: admitted jobs are a prefix of its queue.
            const queue = (pending.get(t.id) ?? []).filter(
              (j) => !plan.refused.some((r) => r.job.id === j.id),
            );
            expect(mine.map((a) => a.job.id)).toEqual(queue.slice(0, mine.length).map((j) => j.id));
          }
          for (const n of nodes) {
            const placed = plan.admitted.filter((a) => a.node.id === n.id);
            expect(placed.length).toBeLessThanOrEqual(n.maxJobs);
            expect(placed.reduce((s, a) => s + a.job.cpuMillis, 0)).toBeLessThanOrEqual(
              n.cpuMillis,
            );
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
