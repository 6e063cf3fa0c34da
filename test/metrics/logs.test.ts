// The scheduler's job lines name the job and its tenant, so one grep follows a job across
// processes: a job refused at admission, and an attempt whose lease ran out on a node whose
// worker is gone. (The API's error lines and the webhook sender's are checked beside the
// metrics and the webhooks.)
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nodeQueue } from "../../src/domain/jobs/queues.ts";
import { registerNode } from "../../src/domain/nodes/nodes.ts";
import { createKey, createTenant } from "../helpers/fixtures.ts";
import type { LogLine } from "../helpers/platform.ts";
import { type Outcome, submit } from "../jobs/helpers.ts";
import { startTestPipeline, type TestPipeline } from "../pipeline/helpers.ts";

let p: TestPipeline;
let key: string;
let tenantId: string;

beforeAll(async () => {
  p = await startTestPipeline();
  tenantId = await createTenant(p.api, "logs", { cpuMillis: 16_000, maxConcurrentJobs: 4 });
  key = (await createKey(p.api, "logs", "MEMBER")).token;
  p.input("logs", "ok");
  // A node nobody runs: what is placed there is never started, and its lease runs out.
  const ghost = await registerNode(p.api.db.pool, {
    name: "ghost",
    kind: "LOCAL",
    capacity: { cpuMillis: 2000, memoryMb: 4096, gpus: 0, maxJobs: 2 },
    healthy: true,
    aliveForMs: 600_000,
  });
  await p.api.boss.createQueue(nodeQueue(ghost.id));
});
afterAll(async () => p?.close());

async function submitJob(cpu: string): Promise<string> {
  const outcome: Outcome = await submit(
    p.api,
    {
      taskType: "classification",
      scorer: "classification_f1",
      inputUri: "ok",
      resources: { cpu, memory: "256Mi" },
    },
    key,
  );
  if (outcome.__typename !== "Job") throw new Error(JSON.stringify(outcome));
  return (outcome as { id: string }).id;
}

async function lineAbout(jobId: string, msg: string, timeoutMs = 10_000): Promise<LogLine> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const line = p.api.platform.logs.find((l) => l.jobId === jobId && l.msg === msg);
    if (line) return line;
    if (Date.now() > deadline) throw new Error(`no "${msg}" line for job ${jobId}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("scheduler log lines", () => {
  it("name the job and tenant of a refusal", async () => {
    const id = await submitJob("4");
    await p.waitFor(id, ["FAILED"]);
    expect(await lineAbout(id, "refused a job that cannot run as things stand")).toMatchObject({
      role: "scheduler",
      jobId: id,
      tenantId,
      errorCode: "NO_EXECUTOR_AVAILABLE",
    });
  });

  it("name the job and tenant of an attempt whose lease ran out", async () => {
    const id = await submitJob("500m");
    await p.waitFor(id, ["QUEUED"]);
    const line = await lineAbout(
      id,
      "the job's lease ran out; its attempt ended EXECUTOR_UNAVAILABLE",
    );
    expect(line).toMatchObject({ role: "scheduler", jobId: id, tenantId, attempt: 1 });
    expect(line.level).toBe(40);
  });
});
