// A job's whole life on real Postgres, pg-boss and the local executor: scoring, the
// inference stage, each way an attempt fails, time limits, cancellation while running,
// and platform failures retried with backoff until attempts run out.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { heartbeatNode, nodesWithLoad, registerNode } from "../../src/domain/nodes/nodes.ts";
import { createKey, createTenant } from "../helpers/fixtures.ts";
import { jobAction, type Outcome, submit } from "../jobs/helpers.ts";
import { startTestPipeline, type TestPipeline } from "./helpers.ts";

let p: TestPipeline;
let key: string;

const idOf = (outcome: Outcome): string => {
  if (outcome.__typename !== "Job") throw new Error(JSON.stringify(outcome));
  return (outcome as { id: string }).id;
};

async function submitJob(spec: Record<string, unknown>): Promise<string> {
  return idOf(
    await submit(p.api, { taskType: "classification", scorer: "classification_f1", ...spec }, key),
  );
}

async function events(id: string) {
  const { rows } = await p.api.db.pool.query<{
    fromState: string | null;
    toState: string;
    attempt: number;
    errorCode: string | null;
    at: Date;
  }>(
    `SELECT "fromState", "toState", attempt, "errorCode", at FROM "JobEvent" WHERE "jobId" = $1 ORDER BY id`,
    [id],
  );
  return rows;
}

beforeAll(async () => {
  p = await startTestPipeline();
  await createTenant(p.api, "team", {
    submissionsPerDay: 1000,
    maxConcurrentJobs: 8,
    cpuMillis: 8000,
  });
  key = (await createKey(p.api, "team", "MEMBER")).token;
  await p.addWorker("node-a");
  p.input("team", "ok");
});
afterAll(async () => p?.close());

describe("a job's life", () => {
  it("scores submitted predictions and records one Result with the whole history", async () => {
    const id = await submitJob({ inputUri: "ok" });
    const job = await p.waitFor(id, ["SUCCEEDED", "FAILED"]);
    expect(job).toMatchObject({ state: "SUCCEEDED", attempt: 1, errorCode: null });
    const { rows } = await p.api.db.pool.query(
      `SELECT attempt, score, metrics FROM "Result" WHERE "jobId" = $1`,
      [id],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ attempt: 1, score: expect.closeTo(0.7333333333, 6) });
    expect((await events(id)).map((e) => e.toState)).toEqual([
      "PENDING",
      "QUEUED",
      "RUNNING",
      "SUCCEEDED",
    ]);
    const workspace = path.join(p.workspaceRoot, id, "attempt-1");
    expect(JSON.parse(readFileSync(path.join(workspace, "meta.json"), "utf8"))).toMatchObject({
      scorer: "classification_f1",
    });
    expect(existsSync(path.join(workspace, "output", "result.json"))).toBe(true);
    // The node's capacity is given back.
    const [node] = (await nodesWithLoad(p.api.db.pool)).filter((n) => n.name === "node-a");
    expect(node).toMatchObject({ runningJobs: 0, usedCpuMillis: 0 });
  });

  it("runs the inference stage before scoring, with its log captured", async () => {
    p.input("team", "infer", { "gt.csv": "id,label\n1,a\n2,b\n", "data.txt": "x" });
    const id = await submitJob({
      inputUri: "infer",
      container: {
        image: "local",
        cmd: ["sh", "-c", "echo inferring; printf 'id,label\\n1,a\\n2,b\\n' > output/pred.csv"],
      },
    });
    const job = await p.waitFor(id, ["SUCCEEDED", "FAILED"]);
    expect(job.state).toBe("SUCCEEDED");
    const log = readFileSync(
      path.join(p.workspaceRoot, id, "attempt-1", "logs", "container.log"),
      "utf8",
    );
    expect(log).toContain("inferring");
  });

  it("ends a failing inference stage FAILED with EXECUTION_FAILED and does not retry it", async () => {
    const id = await submitJob({
      inputUri: "ok",
      container: { image: "local", cmd: ["sh", "-c", "exit 3"] },
    });
    const job = await p.waitFor(id, ["FAILED", "SUCCEEDED"]);
    expect(job).toMatchObject({ state: "FAILED", errorCode: "EXECUTION_FAILED", attempt: 1 });
    const { rows } = await p.api.db.pool.query(`SELECT 1 FROM "Result" WHERE "jobId" = $1`, [id]);
    expect(rows).toHaveLength(0);
  });

  it("fails bad input with the scorer's code", async () => {
    p.input("team", "no-pred", { "gt.csv": "id,label\n1,a\n" });
    const id = await submitJob({ inputUri: "no-pred" });
    expect(await p.waitFor(id, ["FAILED", "SUCCEEDED"])).toMatchObject({
      state: "FAILED",
      errorCode: "MISSING_FILE",
    });
  });

  it("stops a job at its time limit: TIMED_OUT, TIME_LIMIT_EXCEEDED", async () => {
    const started = Date.now();
    const id = await submitJob({
      inputUri: "ok",
      timeLimit: 1,
      container: { image: "local", cmd: ["sleep", "30"] },
    });
    const job = await p.waitFor(id, ["TIMED_OUT", "FAILED", "SUCCEEDED"]);
    expect(job).toMatchObject({ state: "TIMED_OUT", errorCode: "TIME_LIMIT_EXCEEDED" });
    expect(Date.now() - started).toBeLessThan(6000);
  });

  it("cancels a running job within seconds", async () => {
    const id = await submitJob({
      inputUri: "ok",
      container: { image: "local", cmd: ["sleep", "30"] },
    });
    await p.waitFor(id, ["RUNNING"]);
    const asked = Date.now();
    expect(await jobAction(p.api, "cancelJob", id, key)).toMatchObject({
      state: "RUNNING",
      cancelRequested: true,
    });
    const job = await p.waitFor(id, ["CANCELLED", "FAILED", "SUCCEEDED"], 5000);
    expect(job).toMatchObject({ state: "CANCELLED", errorCode: "CANCELLED" });
    expect(Date.now() - asked).toBeLessThan(3000);
  });
});

describe("jobs that cannot run as things stand", () => {
  it("ends a job whose preferred backend has no node NO_EXECUTOR_AVAILABLE", async () => {
    const id = await submitJob({ inputUri: "ok", executor: "KUBERNETES" });
    expect(await p.waitFor(id, ["FAILED", "SUCCEEDED"])).toMatchObject({
      state: "FAILED",
      errorCode: "NO_EXECUTOR_AVAILABLE",
    });
  });

  it("ends a GPU job GPU_NOT_AVAILABLE when no node has GPUs", async () => {
    await createTenant(p.api, "gpu-team", { gpus: 2 });
    const gpuKey = (await createKey(p.api, "gpu-team", "MEMBER")).token;
    p.input("gpu-team", "ok");
    const outcome = await submit(
      p.api,
      {
        taskType: "detection",
        scorer: "classification_f1",
        inputUri: "ok",
        resources: { gpus: 1 },
      },
      gpuKey,
    );
    expect(await p.waitFor(idOf(outcome), ["FAILED", "SUCCEEDED"])).toMatchObject({
      state: "FAILED",
      errorCode: "GPU_NOT_AVAILABLE",
    });
  });

  it("ends a waiting job QUOTA_EXCEEDED when its tenant's quota shrinks below it", async () => {
    // Fill node-a (4 CPUs) so a 4-CPU job has to wait, then lower the tenant's CPU quota.
    const blocker = await submitJob({
      inputUri: "ok",
      resources: { cpu: "1" },
      container: { image: "local", cmd: ["sh", "-c", "sleep 2; cp input/data/pred.csv output/"] },
    });
    await p.waitFor(blocker, ["RUNNING"]);
    const big = await submitJob({ inputUri: "ok", resources: { cpu: "4" } });
    expect((await p.job(big)).state).toBe("PENDING");
    const lowered = await p.api.gql(
      `mutation { setQuota(tenant: "team", input: { cpuMillis: 2000 }) { __typename } }`,
    );
    expect(lowered.errors).toBeUndefined();
    expect(await p.waitFor(big, ["FAILED", "SUCCEEDED"])).toMatchObject({
      state: "FAILED",
      errorCode: "QUOTA_EXCEEDED",
    });
    expect(await p.waitFor(blocker, ["SUCCEEDED", "FAILED"])).toMatchObject({ state: "SUCCEEDED" });
    await p.api.gql(
      `mutation { setQuota(tenant: "team", input: { cpuMillis: 8000 }) { __typename } }`,
    );
  });
});

describe("platform failures", () => {
  it("retries with growing backoff, opens the node's breaker, and ends EXECUTOR_UNAVAILABLE", async () => {
    // A node that heartbeats but never takes its work: every dispatch times out.
    for (const worker of [...p.workers]) await p.stopWorker(worker);
    const phantom = await registerNode(p.api.db.pool, {
      name: "phantom",
      kind: "LOCAL",
      capacity: { cpuMillis: 4000, memoryMb: 8192, gpus: 0, maxJobs: 4 },
      healthy: true,
      aliveForMs: 1500,
    });
    await p.api.boss?.createQueue(`executor-${phantom.id}`);
    const beat = setInterval(
      () =>
        void heartbeatNode(p.api.db.pool, phantom.id, { healthy: true, capacity: phantom }, 1500),
      200,
    );
    try {
      const id = await submitJob({ inputUri: "ok" });
      const job = await p.waitFor(id, ["FAILED", "SUCCEEDED"], 20_000);
      expect(job).toMatchObject({ state: "FAILED", errorCode: "EXECUTOR_UNAVAILABLE", attempt: 3 });
      const history = await events(id);
      const queued = history.filter((e) => e.toState === "QUEUED");
      expect(queued.map((e) => e.attempt)).toEqual([1, 2, 3]);
      const retried = history.filter((e) => e.fromState === "QUEUED" && e.toState === "PENDING");
      expect(retried).toHaveLength(2);
      // Each re-admission waits out at least half its backoff (equal jitter): 50 ms, then 100 ms.
      for (const [i, wait] of [50, 100].entries()) {
        const back = retried[i]?.at.getTime() ?? 0;
        const next = queued[i + 1]?.at.getTime() ?? 0;
        expect(next - back).toBeGreaterThanOrEqual(wait - 5);
      }
      const { rows } = await p.api.db.pool.query(
        `SELECT "consecutiveFailures", "circuitOpenUntil" FROM "ExecutorNode" WHERE id = $1`,
        [phantom.id],
      );
      expect(rows[0]?.consecutiveFailures).toBe(3);
      expect(rows[0]?.circuitOpenUntil).not.toBeNull();
    } finally {
      clearInterval(beat);
    }
  });

  it("hands a shutting-down worker's running jobs back to run elsewhere", async () => {
    const leaving = await p.addWorker("node-s");
    const id = await submitJob({
      inputUri: "ok",
      executor: "LOCAL",
      container: { image: "local", cmd: ["sh", "-c", "sleep 2; cp input/data/pred.csv output/"] },
    });
    await p.waitFor(id, ["RUNNING"]);
    await p.stopWorker(leaving);
    const handedBack = await p.job(id);
    expect(handedBack).toMatchObject({ errorCode: "EXECUTOR_UNAVAILABLE", attempt: 1 });
    expect(["PENDING", "QUEUED"]).toContain(handedBack.state);
    const next = await p.addWorker("node-t");
    expect(await p.waitFor(id, ["SUCCEEDED", "FAILED"])).toMatchObject({
      state: "SUCCEEDED",
      attempt: 2,
    });
    await p.stopWorker(next);
  });
});
