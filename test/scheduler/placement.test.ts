// Backend rules and least-loaded placement, without a database.
import { describe, expect, it } from "vitest";
import type { ExecutorKind } from "../../src/generated/prisma/enums.ts";
import {
  type BackendRules,
  candidateKinds,
  type Demand,
  type NodeState,
  placeJob,
} from "../../src/scheduler/placement.ts";
import { node } from "./nodes.ts";

const RULES: BackendRules = {
  defaultBackend: "DOCKER",
  kubernetesCpuMillisAbove: 8000,
  kubernetesMemoryMbAbove: 32768,
};
const ALL = new Set<ExecutorKind>(["LOCAL", "DOCKER", "KUBERNETES"]);

const docker = (name: string, over: Partial<NodeState> = {}): NodeState =>
  node(name, { kind: "DOCKER", ...over });
const job = (over: Partial<Demand> = {}): Demand => ({
  cpuMillis: 1000,
  memoryMb: 1024,
  gpus: 0,
  executorPreference: null,
  ...over,
});

describe("candidateKinds", () => {
  it("follows preference, then GPU and size rules, then the default", () => {
    expect(candidateKinds(job({ executorPreference: "LOCAL" }), RULES, ALL)).toEqual(["LOCAL"]);
    expect(candidateKinds(job({ gpus: 1 }), RULES, ALL)).toEqual(["KUBERNETES", "DOCKER"]);
    expect(candidateKinds(job({ cpuMillis: 9000 }), RULES, ALL)).toEqual(["KUBERNETES"]);
    expect(candidateKinds(job({ memoryMb: 40_000 }), RULES, ALL)).toEqual(["KUBERNETES"]);
    expect(candidateKinds(job(), RULES, ALL)).toEqual(["DOCKER"]);
  });

  it("falls back to the kinds present, except for an explicit preference", () => {
    const localOnly = new Set<ExecutorKind>(["LOCAL"]);
    expect(candidateKinds(job({ cpuMillis: 9000 }), RULES, localOnly)).toEqual(["LOCAL"]);
    expect(candidateKinds(job({ executorPreference: "KUBERNETES" }), RULES, localOnly)).toEqual([]);
  });
});

describe("placeJob", () => {
  it("picks the node with the most capacity left after placement", () => {
    const nodes = [
      docker("busy", { usedCpuMillis: 6000, usedMemoryMb: 8000, runningJobs: 5 }),
      docker("idle"),
      docker("half", { usedCpuMillis: 4000, runningJobs: 4 }),
    ];
    const placed = placeJob(job(), nodes, RULES, ALL);
    expect(placed.ok && placed.node.name).toBe("idle");
  });

  it("skips unusable and full nodes, and half-open nodes already probing", () => {
    const nodes = [
      docker("down", { usable: false }),
      docker("full", { runningJobs: 8 }),
      docker("probing", { probeOnly: true, runningJobs: 1 }),
    ];
    expect(placeJob(job(), nodes, RULES, ALL)).toEqual({ ok: false, reason: "busy" });
    const probe = placeJob(job(), [docker("probe", { probeOnly: true })], RULES, ALL);
    expect(probe.ok && probe.node.name).toBe("probe");
  });

  it("refuses what no node could ever hold, with the right code", () => {
    const nodes = [docker("d")];
    const kinds = new Set<ExecutorKind>(["DOCKER"]);
    expect(
      placeJob(job({ cpuMillis: 64_000, executorPreference: "DOCKER" }), nodes, RULES, kinds),
    ).toMatchObject({ reason: "never", code: "NO_EXECUTOR_AVAILABLE" });
    expect(placeJob(job({ gpus: 1 }), nodes, RULES, kinds)).toMatchObject({
      reason: "never",
      code: "GPU_NOT_AVAILABLE",
    });
    // With no node registered at all, the job waits for one.
    expect(placeJob(job(), [], RULES, new Set())).toEqual({ ok: false, reason: "busy" });
  });

  it("sends GPU jobs only to nodes with GPUs", () => {
    const nodes = [docker("cpu-only"), docker("gpu", { gpus: 2 })];
    const placed = placeJob(job({ gpus: 1 }), nodes, RULES, new Set<ExecutorKind>(["DOCKER"]));
    expect(placed.ok && placed.node.name).toBe("gpu");
  });
});

describe("failover", () => {
  const local = (name: string, over: Partial<NodeState> = {}): NodeState =>
    node(name, { kind: "LOCAL", ...over });

  it("moves a job its platform failed to another healthy backend, and only such a job", () => {
    const nodes = [docker("engine-down", { usable: false }), local("fallback")];
    const kinds = new Set<ExecutorKind>(["DOCKER", "LOCAL"]);
    expect(placeJob(job({ failingOver: true }), nodes, RULES, kinds)).toMatchObject({
      ok: true,
      node: { name: "fallback" },
    });
    // A fresh job waits for its backend; a job that failed by its own doing is not retried.
    expect(placeJob(job(), nodes, RULES, kinds)).toEqual({ ok: false, reason: "busy" });
    // An explicit preference is a requirement, also after a platform failure.
    expect(
      placeJob(job({ failingOver: true, executorPreference: "DOCKER" }), nodes, RULES, kinds),
    ).toEqual({ ok: false, reason: "busy" });
  });

  it("waits for, or fails over from, a node whose engine is down, never failing the job for good", () => {
    // What a Docker node reports while its engine does not answer: unhealthy, no capacity.
    const engineDown = docker("engine-down", {
      usable: false,
      recovering: true,
      cpuMillis: 0,
      memoryMb: 0,
      maxJobs: 0,
    });
    const kinds = new Set<ExecutorKind>(["DOCKER", "LOCAL"]);
    const nodes = [engineDown, local("fallback")];
    expect(placeJob(job(), nodes, RULES, kinds)).toEqual({ ok: false, reason: "busy" });
    expect(placeJob(job({ failingOver: true }), nodes, RULES, kinds)).toMatchObject({
      ok: true,
      node: { name: "fallback" },
    });
    // A node whose worker is gone is judged by what it last reported.
    const gone = { ...engineDown, recovering: false };
    expect(placeJob(job(), [gone, local("fallback")], RULES, kinds)).toMatchObject({
      reason: "never",
      code: "NO_EXECUTOR_AVAILABLE",
    });
  });

  it("stays on its backend while that backend has a usable node, even a full one", () => {
    const nodes = [docker("full", { runningJobs: 8, maxJobs: 8 }), local("fallback")];
    const kinds = new Set<ExecutorKind>(["DOCKER", "LOCAL"]);
    expect(placeJob(job({ failingOver: true }), nodes, RULES, kinds)).toEqual({
      ok: false,
      reason: "busy",
    });
  });
});
