// cancelJob and retryJob in every state, through the API, with their bookkeeping:
// refunds follow the competition's counting rule, and refusals change nothing.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JobErrorCode } from "../../src/contract/error-codes.ts";
import { inTransaction } from "../../src/db/sql.ts";
import type { CancelRequest } from "../../src/domain/jobs/cancel.ts";
import { moveJobs } from "../../src/domain/jobs/lifecycle.ts";
import { nodesWithLoad } from "../../src/domain/nodes/nodes.ts";
import type { JobState } from "../../src/generated/prisma/enums.ts";
import { startTestApi, type TestApi } from "../helpers/api.ts";
import { createKey, createTenant } from "../helpers/fixtures.ts";
import { baseSpec, jobAction, makeInput, submit } from "./helpers.ts";

let api: TestApi;
let member: string;
let viewer: string;

beforeAll(async () => {
  api = await startTestApi();
  await createTenant(api, "team", { submissionsPerDay: 3 });
  member = (await createKey(api, "team", "MEMBER")).token;
  viewer = (await createKey(api, "team", "VIEWER")).token;
  makeInput(api, "team");
});
afterAll(async () => api?.close());

async function newJob(): Promise<string> {
  const job = await submit(api, baseSpec("sub"), member);
  expect(job.__typename).toBe("Job");
  return (job as { id: string }).id;
}

/** Moves a job along the way the scheduler and a worker would. */
async function force(id: string, from: JobState, to: JobState, errorCode?: JobErrorCode) {
  await inTransaction(api.db.pool, (tx) =>
    moveJobs(tx, [{ jobId: id, from: [from], to, errorCode }]),
  );
}

async function usedToday(): Promise<number> {
  const usage = await api.gql<{ quotaUsage: { submissionsToday: number } }>(
    `{ quotaUsage { ... on QuotaUsage { submissionsToday } } }`,
    {},
    member,
  );
  return usage.data?.quotaUsage.submissionsToday ?? -1;
}

async function auditCount(action: string, id: string): Promise<number> {
  const { rows } = await api.db.pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM "AuditLog" WHERE action = $1 AND "targetId" = $2`,
    [action, id],
  );
  return rows[0]?.n ?? -1;
}

describe("cancelJob", () => {
  it("cancels a PENDING job at once and gives the submission back", async () => {
    const id = await newJob();
    const before = await usedToday();
    expect(await jobAction(api, "cancelJob", id, member)).toMatchObject({
      state: "CANCELLED",
      errorCode: "CANCELLED",
    });
    expect(await usedToday()).toBe(before - 1);
    expect(await auditCount("job.cancel", id)).toBe(1);
    expect(await jobAction(api, "cancelJob", id, member)).toMatchObject({ code: "INVALID_STATE" });
    expect(await auditCount("job.cancel", id)).toBe(1);
  });

  it("cancels a QUEUED job and releases what it held on its node", async () => {
    const id = await newJob();
    const { rows } = await api.db.pool.query<{ id: string }>(
      `INSERT INTO "ExecutorNode" (id, name, kind, "cpuMillis", "memoryMb", "maxJobs")
       VALUES (gen_random_uuid(), 'node-a', 'LOCAL', 4000, 8192, 4) RETURNING id`,
    );
    const nodeId = rows[0]?.id as string;
    await api.db.pool.query(
      `UPDATE "Job" SET state = 'QUEUED', "executorNodeId" = $2 WHERE id = $1`,
      [id, nodeId],
    );
    expect((await nodesWithLoad(api.db.pool, nodeId))[0]).toMatchObject({
      runningJobs: 1,
      usedCpuMillis: 1000,
    });
    expect(await jobAction(api, "cancelJob", id, member)).toMatchObject({ state: "CANCELLED" });
    expect((await nodesWithLoad(api.db.pool, nodeId))[0]).toMatchObject({
      usedCpuMillis: 0,
      usedMemoryMb: 0,
      runningJobs: 0,
    });
  });

  it("asks the worker of a RUNNING job to stop, and tells it at once", async () => {
    const id = await newJob();
    await force(id, "PENDING", "QUEUED");
    await force(id, "QUEUED", "RUNNING");
    const heard = new Promise<CancelRequest>((resolve) => {
      api.events.on("job-cancel", id, (event) => resolve(event.data as CancelRequest));
    });
    expect(await jobAction(api, "cancelJob", id, member)).toMatchObject({
      state: "RUNNING",
      cancelRequested: true,
    });
    // Admission made it attempt 1: the worker stops that attempt only.
    expect(await heard).toEqual({ jobId: id, attempt: 1 });
  });

  it("refuses viewers, other tenants and unknown ids without changing anything", async () => {
    const id = await newJob();
    expect(await jobAction(api, "cancelJob", id, viewer)).toMatchObject({ code: "FORBIDDEN" });
    await createTenant(api, "rival");
    const rival = (await createKey(api, "rival", "OWNER")).token;
    expect(await jobAction(api, "cancelJob", id, rival)).toMatchObject({ code: "NOT_FOUND" });
    expect(await jobAction(api, "retryJob", id, rival)).toMatchObject({ code: "NOT_FOUND" });
    expect(await jobAction(api, "cancelJob", "not-a-uuid", member)).toMatchObject({
      code: "NOT_FOUND",
    });
    const { rows } = await api.db.pool.query(`SELECT state FROM "Job" WHERE id = $1`, [id]);
    expect(rows[0]?.state).toBe("PENDING");
    await jobAction(api, "cancelJob", id, member);
  });
});

describe("retryJob", () => {
  it("runs a failed job again with a fresh attempt budget", async () => {
    const id = await newJob();
    await force(id, "PENDING", "FAILED", "EXECUTION_FAILED");
    const before = await usedToday();
    expect(await jobAction(api, "retryJob", id, member)).toMatchObject({
      state: "PENDING",
      errorCode: null,
    });
    // A failed job still counted, so retrying it does not count twice.
    expect(await usedToday()).toBe(before);
    expect(await auditCount("job.retry", id)).toBe(1);
    expect(await jobAction(api, "retryJob", id, member)).toMatchObject({ code: "INVALID_STATE" });
    await jobAction(api, "cancelJob", id, member);
  });

  it("charges a cancelled job again, and refuses when today's limit is used up", async () => {
    const ids: string[] = [];
    while ((await usedToday()) < 3) ids.push(await newJob());
    expect(await submit(api, baseSpec("sub"), member)).toMatchObject({
      code: "DAILY_LIMIT_REACHED",
    });
    const [first] = ids as [string];
    await jobAction(api, "cancelJob", first, member);
    expect(await usedToday()).toBe(2);
    const second = await newJob(); // takes the place the cancel gave back
    expect(await jobAction(api, "retryJob", first, member)).toMatchObject({
      code: "DAILY_LIMIT_REACHED",
    });
    const { rows } = await api.db.pool.query(`SELECT state FROM "Job" WHERE id = $1`, [first]);
    expect(rows[0]?.state).toBe("CANCELLED");
    await jobAction(api, "cancelJob", second, member);
    expect(await jobAction(api, "retryJob", first, member)).toMatchObject({ state: "PENDING" });
    expect(await usedToday()).toBe(3);
  });
});

describe("reading jobs", () => {
  it("lists only the caller's tenant and hides other tenants' jobs", async () => {
    await createTenant(api, "other");
    const otherKey = (await createKey(api, "other")).token;
    makeInput(api, "other");
    const theirs = await submit(api, baseSpec("sub"), otherKey);
    const theirId = (theirs as { id: string }).id;
    const list = await api.gql<{ jobs: { edges: Array<{ node: { tenant: { slug: string } } }> } }>(
      `{ jobs(first: 100) { edges { node { tenant { slug } } } } }`,
      {},
      member,
    );
    const slugs = new Set(list.data?.jobs.edges.map((e) => e.node.tenant.slug));
    expect([...slugs]).toEqual(["team"]);
    const peek = await api.gql<{ job: { __typename: string; code?: string } }>(
      `query($id: ID!) { job(id: $id) { __typename ... on Error { code } } }`,
      { id: theirId },
      member,
    );
    expect(peek.data?.job).toEqual({ __typename: "BaseError", code: "NOT_FOUND" });
    const filtered = await api.gql(
      `{ jobs(filter: { tenant: "other" }) { edges { node { id } } } }`,
      {},
      member,
    );
    expect(filtered.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    const usage = await api.gql(
      `{ quotaUsage(tenant: "other") { __typename ... on Error { code } } }`,
      {},
      member,
    );
    expect(usage.data).toEqual({ quotaUsage: { __typename: "BaseError", code: "NOT_FOUND" } });
    const admin = await api.gql<{ job: { tenant: { slug: string }; events: unknown[] } }>(
      `query($id: ID!) { job(id: $id) { ... on Job { tenant { slug } events { toState } } } }`,
      { id: theirId },
    );
    expect(admin.data?.job).toEqual({
      tenant: { slug: "other" },
      events: [{ toState: "PENDING" }],
    });
  });
});
