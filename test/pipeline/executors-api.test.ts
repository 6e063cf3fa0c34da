// The executors query and the drain/resume mutations: every signed-in caller sees nodes,
// load and health; only admins drain or resume, each change audited once; a drained node
// gets no new jobs, and bad names come back as typed errors.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKey, createTenant } from "../helpers/fixtures.ts";
import { type Outcome, submit } from "../jobs/helpers.ts";
import { startTestPipeline, type TestPipeline } from "./helpers.ts";

let p: TestPipeline;
let member: string;

const DRAIN = `mutation($name: String!) { drainExecutor(name: $name) {
  __typename ... on ExecutorNode { name status } ... on Error { code } } }`;
const RESUME = `mutation($name: String!) { resumeExecutor(name: $name) {
  __typename ... on ExecutorNode { name status } ... on Error { code } } }`;

async function auditRows(action: string) {
  const { rows } = await p.api.db.pool.query(
    `SELECT before, after FROM "AuditLog" WHERE action = $1 ORDER BY id`,
    [action],
  );
  return rows;
}

beforeAll(async () => {
  p = await startTestPipeline();
  await createTenant(p.api, "team", { submissionsPerDay: 100 });
  member = (await createKey(p.api, "team", "MEMBER")).token;
  p.input("team", "ok");
  await p.addWorker("node-a", { cpuMillis: 4000, maxJobs: 4 });
  await p.addWorker("node-b", { cpuMillis: 2000, maxJobs: 2 });
});
afterAll(async () => p?.close());

describe("executors", () => {
  it("shows every caller the nodes with capacity, load and health, and nobody anonymous", async () => {
    const result = await p.api.gql<{ executors: Array<Record<string, unknown>> }>(
      `{ executors { name kind status healthy circuit load capacity { cpu jobs } used { jobs } } }`,
      {},
      member,
    );
    expect(result.data?.executors).toEqual([
      {
        name: "node-a",
        kind: "LOCAL",
        status: "ACTIVE",
        healthy: true,
        circuit: "CLOSED",
        load: 0,
        capacity: { cpu: "4", jobs: 4 },
        used: { jobs: 0 },
      },
      {
        name: "node-b",
        kind: "LOCAL",
        status: "ACTIVE",
        healthy: true,
        circuit: "CLOSED",
        load: 0,
        capacity: { cpu: "2", jobs: 2 },
        used: { jobs: 0 },
      },
    ]);
    const anonymous = await p.api.gql(`{ executors { name } }`, {}, null);
    expect(anonymous.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  });

  it("lets only an admin drain a node, audits it once, and places nothing new on it", async () => {
    const refused = await p.api.gql(DRAIN, { name: "node-a" }, member);
    expect(refused.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(await auditRows("executor.drain")).toEqual([]);

    const drained = await p.api.gql(DRAIN, { name: "node-a" });
    expect(drained.data).toEqual({
      drainExecutor: { __typename: "ExecutorNode", name: "node-a", status: "DRAINING" },
    });
    expect(await auditRows("executor.drain")).toEqual([
      { before: { status: "ACTIVE" }, after: { status: "DRAINING" } },
    ]);

    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const job: Outcome = await submit(
        p.api,
        { taskType: "classification", scorer: "classification_f1", inputUri: "ok" },
        member,
      );
      ids.push((job as { id: string }).id);
    }
    for (const id of ids) await p.waitFor(id, ["SUCCEEDED"]);
    const { rows } = await p.api.db.pool.query<{ name: string }>(
      `SELECT DISTINCT n.name FROM "JobEvent" e JOIN "Job" j ON j.id = e."jobId"
       JOIN "ExecutorNode" n ON e.message = 'placed on ' || n.name WHERE j.id = ANY($1::uuid[])`,
      [ids],
    );
    expect(rows).toEqual([{ name: "node-b" }]);
  });

  it("answers typed errors for a node already drained or unknown, writing nothing", async () => {
    expect((await p.api.gql(DRAIN, { name: "node-a" })).data).toEqual({
      drainExecutor: { __typename: "BaseError", code: "INVALID_STATE" },
    });
    expect((await p.api.gql(DRAIN, { name: "no-such-node" })).data).toEqual({
      drainExecutor: { __typename: "BaseError", code: "NOT_FOUND" },
    });
    expect(await auditRows("executor.drain")).toHaveLength(1);
  });

  it("resumes a drained node for admins only", async () => {
    expect(
      (await p.api.gql(RESUME, { name: "node-a" }, member)).errors?.[0]?.extensions?.code,
    ).toBe("FORBIDDEN");
    expect((await p.api.gql(RESUME, { name: "node-a" })).data).toEqual({
      resumeExecutor: { __typename: "ExecutorNode", name: "node-a", status: "ACTIVE" },
    });
    expect(await auditRows("executor.resume")).toEqual([
      { before: { status: "DRAINING" }, after: { status: "ACTIVE" } },
    ]);
  });
});

describe("queue", () => {
  it("shows admins each tenant's waiting line, its oldest wait and what runs", async () => {
    // Nothing may run: the one node left is drained, and the other one too.
    for (const name of ["node-a", "node-b"]) await p.api.gql(DRAIN, { name });
    try {
      const before = new Date();
      for (let i = 0; i < 2; i++)
        await submit(
          p.api,
          { taskType: "classification", scorer: "classification_f1", inputUri: "ok" },
          member,
        );
      const result = await p.api.gql<{
        queue: Array<{
          tenant: string;
          waiting: number;
          oldestWaitingSince: string;
          running: number;
        }>;
      }>(`{ queue { tenant waiting oldestWaitingSince running maxConcurrentJobs } }`);
      const team = result.data?.queue.find((q) => q.tenant === "team");
      expect(team).toMatchObject({ waiting: 2, running: 0 });
      expect(new Date(team?.oldestWaitingSince ?? 0).getTime()).toBeGreaterThanOrEqual(
        before.getTime() - 1000,
      );
      const refused = await p.api.gql(`{ queue { tenant } }`, {}, member);
      expect(refused.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    } finally {
      for (const name of ["node-a", "node-b"]) await p.api.gql(RESUME, { name });
    }
  });
});
