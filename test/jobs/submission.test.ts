// submitJob end to end on real Postgres: what one submission writes, exact
// limits under concurrency, idempotency, and every refusal leaving nothing behind.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JobStateEvent } from "../../src/domain/jobs/lifecycle.ts";
import { startTestApi, type TestApi } from "../helpers/api.ts";
import { createKey, createTenant } from "../helpers/fixtures.ts";
import { baseSpec, makeInput, type Outcome, submit } from "./helpers.ts";

let api: TestApi;
let member: string;

async function count(table: string, where = "true", values: unknown[] = []): Promise<number> {
  const { rows } = await api.db.pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ${table} WHERE ${where}`,
    values,
  );
  return rows[0]?.n ?? -1;
}

beforeAll(async () => {
  api = await startTestApi();
  await createTenant(api, "alpha", { submissionsPerDay: 1000, maxQueuedJobs: 1000 });
  member = (await createKey(api, "alpha", "MEMBER")).token;
  makeInput(api, "alpha");
});
afterAll(async () => api?.close());

describe("submitJob", () => {
  it("writes the job, its first event and one audit row together, and tells the scheduler", async () => {
    // What wakes the scheduler: the job's state event on its tenant's feed, after commit.
    const heard: JobStateEvent[] = [];
    const stopListening = api.events.on("tenant-jobs", undefined, (event) => {
      heard.push(event.data as JobStateEvent);
    });
    const job = await submit(
      api,
      { ...baseSpec("sub"), resources: { cpu: "500m", memory: "2Gi" }, priority: 5 },
      member,
    );
    expect(job).toMatchObject({
      __typename: "Job",
      state: "PENDING",
      attempt: 0,
      resources: { cpu: "500m", memory: "2Gi", gpus: 0 },
      tenant: { slug: "alpha" },
    });
    const id = (job as { id: string }).id;
    expect(await count(`"JobEvent"`, `"jobId" = $1 AND "toState" = 'PENDING'`, [id])).toBe(1);
    expect(await count(`"AuditLog"`, `action = 'job.submit' AND "targetId" = $1`, [id])).toBe(1);
    await expect
      .poll(() => heard.find((event) => event.id === id))
      .toMatchObject({ state: "PENDING", previousState: null });
    stopListening();
    const { rows } = await api.db.pool.query(`SELECT "inputUri" FROM "Job" WHERE id = $1`, [id]);
    expect(rows[0]?.inputUri).toMatch(/^file:\/\/.*\/alpha\/sub$/);
  });

  it("reports every invalid field at once and writes nothing", async () => {
    const jobsBefore = await count(`"Job"`);
    const auditBefore = await count(`"AuditLog"`);
    const outcome = await submit(
      api,
      {
        taskType: "Bad Type",
        scorer: "classification_f1",
        inputUri: "sub",
        timeLimit: -5,
        resources: { cpu: "two", memory: "4Gx", gpus: -1 },
        container: { image: "x", cmd: [], env: { "1BAD": "v" } },
        priority: 1000,
      },
      member,
    );
    expect(outcome).toMatchObject({ __typename: "ValidationError", code: "VALIDATION_FAILED" });
    const fields = (outcome as { issues: Array<{ field: string }> }).issues.map((i) => i.field);
    expect(fields).toEqual(
      expect.arrayContaining([
        "taskType",
        "timeLimit",
        "resources.cpu",
        "resources.memory",
        "resources.gpus",
        "container.cmd",
        "priority",
      ]),
    );
    expect(await count(`"Job"`)).toBe(jobsBefore);
    expect(await count(`"AuditLog"`)).toBe(auditBefore);
  });

  it("refuses a job larger than the tenant's quota could ever run", async () => {
    const outcome = await submit(
      api,
      { ...baseSpec("sub"), resources: { cpu: "64", memory: "1Ti", gpus: 2 } },
      member,
    );
    expect(outcome).toMatchObject({ __typename: "QuotaExceededError", code: "QUOTA_EXCEEDED" });
    expect((outcome as { message: string }).message).toMatch(/cpu.*memory.*gpus/);
  });

  it("keeps inputs inside the tenant's own folder", async () => {
    await createTenant(api, "beta");
    makeInput(api, "beta", "secret");
    for (const inputUri of ["../beta/secret", "/etc", "file:///etc", "s3://bucket/x", "missing"]) {
      const outcome = await submit(api, baseSpec(inputUri), member);
      expect(outcome, inputUri).toMatchObject({ code: "VALIDATION_FAILED" });
      expect((outcome as { issues: Array<{ field: string }> }).issues[0]?.field).toBe("inputUri");
    }
    const { symlinkSync } = await import("node:fs");
    symlinkSync(`${api.inputRoot}/beta/secret`, `${api.inputRoot}/alpha/link`);
    expect(await submit(api, baseSpec("link"), member)).toMatchObject({
      code: "VALIDATION_FAILED",
    });
  });

  it("returns the first job again for a repeated client jobId, even when sent at once", async () => {
    const spec = { ...baseSpec("sub"), jobId: "client-42" };
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => submit(api, spec, member)));
    const ids = new Set(outcomes.map((o) => (o as { id: string }).id));
    expect(ids.size).toBe(1);
    expect(await count(`"Job"`, `"clientJobId" = 'client-42'`)).toBe(1);
    const [id] = [...ids];
    expect(await count(`"AuditLog"`, `action = 'job.submit' AND "targetId" = $1`, [id])).toBe(1);
    const other = await submit(api, { ...spec, taskType: "regression" }, member);
    expect(other).toMatchObject({ code: "VALIDATION_FAILED" });
  });
});

describe("who may submit", () => {
  it("refuses viewers, suspended tenants and admins who name no tenant", async () => {
    await createTenant(api, "paused");
    const owner = (await createKey(api, "paused", "OWNER")).token;
    const viewer = (await createKey(api, "paused", "VIEWER")).token;
    makeInput(api, "paused");
    expect(await submit(api, baseSpec("sub"), viewer)).toMatchObject({ code: "FORBIDDEN" });
    await api.gql(`mutation { suspendTenant(slug: "paused") { __typename } }`);
    expect(await submit(api, baseSpec("sub"), owner)).toMatchObject({ code: "TENANT_SUSPENDED" });
    expect(await submit(api, baseSpec("sub"))).toMatchObject({ code: "VALIDATION_FAILED" });
    expect(await submit(api, { ...baseSpec("sub"), tenant: "alpha" })).toMatchObject({
      __typename: "Job",
      tenant: { slug: "alpha" },
    });
    expect(await submit(api, { ...baseSpec("sub"), tenant: "alpha" }, owner)).toMatchObject({
      code: "NOT_FOUND",
    });
    const anonymous = await api.gql(
      `mutation { submitJob(input: { taskType: "x", inputUri: "y" }) { __typename } }`,
      {},
      null,
    );
    expect(anonymous.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  });
});

describe("limits under concurrency", () => {
  it("accepts exactly 5 of 100 simultaneous submissions against a daily limit of 5", async () => {
    await createTenant(api, "racer", { submissionsPerDay: 5 });
    const key = (await createKey(api, "racer")).token;
    makeInput(api, "racer");
    const outcomes: Outcome[] = await Promise.all(
      Array.from({ length: 100 }, () => submit(api, baseSpec("sub"), key)),
    );
    const accepted = outcomes.filter((o) => o.__typename === "Job");
    const refused = outcomes.filter((o) => o.__typename === "DailyLimitReachedError");
    expect(accepted).toHaveLength(5);
    expect(refused).toHaveLength(95);
    expect(await count(`"Job" j JOIN "Tenant" t ON t.id = j."tenantId"`, `t.slug = 'racer'`)).toBe(
      5,
    );
    expect(
      await count(
        `"AuditLog" a JOIN "Tenant" t ON t.id = a."tenantId"`,
        `t.slug = 'racer' AND action = 'job.submit'`,
      ),
    ).toBe(5);
    const usage = await api.gql<{ quotaUsage: Record<string, unknown> }>(
      `{ quotaUsage { ... on QuotaUsage { submissionsToday remainingToday resetsAt waitingJobs } } }`,
      {},
      key,
    );
    const midnight = new Date();
    midnight.setUTCHours(24, 0, 0, 0);
    expect(usage.data?.quotaUsage).toEqual({
      submissionsToday: 5,
      remainingToday: 0,
      resetsAt: midnight.toISOString(),
      waitingJobs: 5,
    });
  });

  it("holds maxQueuedJobs exactly and frees a place when a waiting job is cancelled", async () => {
    await createTenant(api, "queue", { maxQueuedJobs: 3 });
    const key = (await createKey(api, "queue")).token;
    makeInput(api, "queue");
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, () => submit(api, baseSpec("sub"), key)),
    );
    const accepted = outcomes.filter((o) => o.__typename === "Job") as Array<{ id: string }>;
    expect(accepted).toHaveLength(3);
    expect(outcomes.filter((o) => o.__typename === "QuotaExceededError")).toHaveLength(17);
    const cancelled = await api.gql<{ cancelJob: { state: string } }>(
      `mutation($id: ID!) { cancelJob(id: $id) { ... on Job { state } } }`,
      { id: accepted[0]?.id },
      key,
    );
    expect(cancelled.data?.cancelJob.state).toBe("CANCELLED");
    expect(await submit(api, baseSpec("sub"), key)).toMatchObject({ __typename: "Job" });
    expect(await submit(api, baseSpec("sub"), key)).toMatchObject({ code: "QUOTA_EXCEEDED" });
  });

  it("applies a competition phase's daily and total limits per tenant", async () => {
    const created = await api.gql(
      `mutation($input: CreateCompetitionInput!) { createCompetition(input: $input) { __typename } }`,
      {
        input: {
          slug: "digits",
          title: "Digits",
          scorer: "classification_f1",
          metric: "f1_macro",
          phases: [{ slug: "dev", name: "Development", dailyLimit: 3, totalLimit: 4 }],
        },
      },
    );
    expect(created.data).toEqual({ createCompetition: { __typename: "Competition" } });
    const spec = { taskType: "classification", inputUri: "sub", competition: "digits" };
    const outcomes = await Promise.all(Array.from({ length: 30 }, () => submit(api, spec, member)));
    expect(outcomes.filter((o) => o.__typename === "Job")).toHaveLength(3);
    expect(outcomes.filter((o) => o.__typename === "DailyLimitReachedError")).toHaveLength(27);
    const usage = await api.gql<{ quotaUsage: { phase: Record<string, unknown> } }>(
      `{ quotaUsage(competition: "digits") {
         ... on QuotaUsage { phase { phase usedToday remainingToday usedTotal remainingTotal } }
       } }`,
      {},
      member,
    );
    expect(usage.data?.quotaUsage.phase).toEqual({
      phase: "dev",
      usedToday: 3,
      remainingToday: 0,
      usedTotal: 3,
      remainingTotal: 1,
    });
    expect(await submit(api, { ...spec, scorer: "regression_rmse" }, member)).toMatchObject({
      code: "VALIDATION_FAILED",
    });
    expect(await submit(api, { ...spec, scorerParams: { a: 1 } }, member)).toMatchObject({
      code: "VALIDATION_FAILED",
    });
  });
});
