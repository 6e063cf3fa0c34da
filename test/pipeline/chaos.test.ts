// Workers that die or stall mid-job, in real processes: the job is retried within a bounded
// time, exactly one Result is recorded, and a stalled worker's late report changes nothing.
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createKey, createTenant } from "../helpers/fixtures.ts";
import { type Outcome, submit } from "../jobs/helpers.ts";
import { startTestPipeline, type TestPipeline } from "./helpers.ts";
import { nodeReady, type RoleProcess, spawnRole } from "./processes.ts";

let p: TestPipeline;
let key: string;
const spawned: RoleProcess[] = [];

function worker(name: string, extra: Record<string, string> = {}): RoleProcess {
  const role = spawnRole("worker", {
    databaseUrl: p.api.testDb.url,
    inputDir: p.api.inputRoot,
    workspaceDir: p.workspaceRoot,
    dataDir: mkdtempSync(path.join(os.tmpdir(), "autoscorer-data-")),
    workerName: name,
    extra,
  });
  spawned.push(role);
  return role;
}

async function startWorkerProcess(
  name: string,
  extra?: Record<string, string>,
): Promise<RoleProcess> {
  const since = new Date();
  const role = worker(name, extra);
  await nodeReady(p.api.db.pool, name, since).catch((error: Error) => {
    throw new Error(`${error.message}\n${role.output()}`);
  });
  return role;
}

async function submitSleep(seconds: number): Promise<string> {
  const outcome: Outcome = await submit(
    p.api,
    {
      taskType: "classification",
      scorer: "classification_f1",
      inputUri: "ok",
      container: {
        image: "local",
        cmd: ["sh", "-c", `sleep ${seconds}; cp input/data/pred.csv output/pred.csv`],
      },
    },
    key,
  );
  if (outcome.__typename !== "Job") throw new Error(JSON.stringify(outcome));
  return (outcome as { id: string }).id;
}

async function results(id: string) {
  const { rows } = await p.api.db.pool.query<{ attempt: number }>(
    `SELECT attempt FROM "Result" WHERE "jobId" = $1`,
    [id],
  );
  return rows;
}

async function placedOn(id: string): Promise<string | null> {
  const { rows } = await p.api.db.pool.query<{ name: string }>(
    `SELECT n.name FROM "Job" j JOIN "ExecutorNode" n ON n.id = j."executorNodeId" WHERE j.id = $1`,
    [id],
  );
  return rows[0]?.name ?? null;
}

beforeAll(async () => {
  p = await startTestPipeline();
  await createTenant(p.api, "team", { submissionsPerDay: 1000 });
  key = (await createKey(p.api, "team", "MEMBER")).token;
  p.input("team", "ok");
});
afterEach(async () => {
  await Promise.all(spawned.splice(0).map((role) => role.stop()));
});
afterAll(async () => p?.close());

describe("worker failures", () => {
  it("retries a job whose worker was SIGKILLed mid-run and records exactly one result", async () => {
    const first = await startWorkerProcess("kill-a");
    const id = await submitSleep(1);
    await p.waitFor(id, ["RUNNING"]);
    expect(await placedOn(id)).toBe("kill-a");
    first.child.kill("SIGKILL");
    const killedAt = Date.now();
    await startWorkerProcess("kill-b");
    const job = await p.waitFor(id, ["SUCCEEDED", "FAILED"], 20_000);
    expect(job).toMatchObject({ state: "SUCCEEDED", attempt: 2 });
    // Lease (2 s) + backoff + a fresh run (1 s) + start-up slack.
    expect(Date.now() - killedAt).toBeLessThan(12_000);
    expect(await results(id)).toEqual([{ attempt: 2 }]);
    expect(await placedOn(id)).toBe("kill-b");
  });

  it("hands a restarted worker's lost runs back at once", async () => {
    // A lease far longer than the test: only the restart itself can hand the job back.
    const longLease = { AUTOSCORER_SCHEDULER__LEASE_SECONDS: "60" };
    const first = await startWorkerProcess("restart-a", longLease);
    const id = await submitSleep(8);
    await p.waitFor(id, ["RUNNING"]);
    first.child.kill("SIGKILL");
    await startWorkerProcess("restart-a", longLease);
    // The node is registered (what startWorkerProcess waits for) just before it recovers
    // its runs, so the hand-back lands a moment later: well within the 60 s lease.
    const handBack = async () => {
      const { rows } = await p.api.db.pool.query<{ message: string }>(
        `SELECT message FROM "JobEvent" WHERE "jobId" = $1 AND "fromState" = 'RUNNING' ORDER BY id`,
        [id],
      );
      return rows[0]?.message ?? "";
    };
    await expect.poll(handBack, { timeout: 5000 }).toMatch(/worker restarted/);
    const again = await p.waitFor(id, ["RUNNING", "SUCCEEDED"], 10_000);
    expect(again.attempt).toBe(2);
  });

  it("rejects the late report of a worker stalled past its lease (SIGSTOP)", async () => {
    const stalled = await startWorkerProcess("stall-a");
    const id = await submitSleep(2);
    await p.waitFor(id, ["RUNNING"]);
    expect(await placedOn(id)).toBe("stall-a");
    stalled.child.kill("SIGSTOP");
    await startWorkerProcess("stall-b");
    const job = await p.waitFor(id, ["SUCCEEDED", "FAILED"], 20_000);
    expect(job).toMatchObject({ state: "SUCCEEDED", attempt: 2 });
    // Wake the stalled worker: its own run ended long ago and it now tries to report it.
    stalled.child.kill("SIGCONT");
    const deadline = Date.now() + 8000;
    while (!/late outcome of a stale attempt|abandoned an attempt/.test(stalled.output())) {
      if (Date.now() > deadline) throw new Error(`no stale-attempt report:\n${stalled.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(await results(id)).toEqual([{ attempt: 2 }]);
    const { rows } = await p.api.db.pool.query(
      `SELECT count(*)::int AS n FROM "JobEvent" WHERE "jobId" = $1 AND "toState" = 'SUCCEEDED'`,
      [id],
    );
    expect(rows[0]?.n).toBe(1);
    expect((await p.job(id)).state).toBe("SUCCEEDED");
  });
});
