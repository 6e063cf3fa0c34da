// Scale-out, in real processes on one Postgres: two API processes, two workers and two
// schedulers. Jobs are submitted to either API (a client whose API dies resubmits to the
// other with the same idempotency key); mid-burst one process of each role is SIGKILLed.
// Every accepted job still finishes exactly once, no tenant ever holds more than its quota
// at once, and a daily submission limit holds across both APIs.
import { randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_KEY } from "../helpers/api.ts";
import { createKey, createTenant } from "../helpers/fixtures.ts";
import { startTestPipeline, type TestPipeline } from "./helpers.ts";
import { nodeReady, type RoleEnv, type RoleProcess, serverUrl, spawnRole } from "./processes.ts";

const TENANTS = {
  steady: { maxConcurrentJobs: 3, submissionsPerDay: 1000, jobs: 60 },
  // Submits more than its daily limit, spread over both APIs.
  capped: { maxConcurrentJobs: 2, submissionsPerDay: 25, jobs: 35 },
} as const;
type Slug = keyof typeof TENANTS;

let p: TestPipeline;
/** Requests that found their API gone and went to the other. */
let failovers = 0;
const keys = new Map<Slug, string>();
const spawned: RoleProcess[] = [];

function env(extra: Partial<RoleEnv> = {}): RoleEnv {
  return {
    databaseUrl: p.api.testDb.url,
    inputDir: p.api.inputRoot,
    workspaceDir: p.workspaceRoot,
    dataDir: mkdtempSync(path.join(os.tmpdir(), "autoscorer-data-")),
    extra: { PORT: "0", AUTOSCORER_ADMIN_KEY: ADMIN_KEY },
    ...extra,
  };
}

function spawn(role: "serve" | "worker" | "scheduler", extra: Partial<RoleEnv> = {}) {
  const started = spawnRole(role, env(extra));
  spawned.push(started);
  return started;
}

beforeAll(async () => {
  p = await startTestPipeline({ scheduler: false });
  for (const [slug, t] of Object.entries(TENANTS) as Array<[Slug, (typeof TENANTS)[Slug]]>) {
    await createTenant(p.api, slug, {
      maxConcurrentJobs: t.maxConcurrentJobs,
      submissionsPerDay: t.submissionsPerDay,
      maxQueuedJobs: 1000,
    });
    keys.set(slug, (await createKey(p.api, slug, "MEMBER")).token);
    p.input(slug, "ok");
  }
}, 60_000);

afterAll(async () => {
  await Promise.all(spawned.map((role) => role.stop()));
  await p?.close();
});

/** Tenants holding more jobs at once (QUEUED or RUNNING) than their quota, right now. */
async function overQuota(): Promise<string[]> {
  const { rows } = await p.api.db.pool.query<{ slug: string; n: number; max: number }>(
    `SELECT t.slug, count(*)::int AS n, q."maxConcurrentJobs" AS max
       FROM "Job" j JOIN "Tenant" t ON t.id = j."tenantId" JOIN "Quota" q ON q."tenantId" = t.id
      WHERE j.state IN ('QUEUED', 'RUNNING') GROUP BY t.slug, q."maxConcurrentJobs"`,
  );
  return rows.filter((row) => row.n > row.max).map((row) => `${row.slug}: ${row.n}/${row.max}`);
}

type Submitted = { id: string } | { code: string };

/** Submits to the first API that answers; a dead one's request goes to the next. */
async function submitTo(apis: string[], slug: Slug, jobId: string): Promise<Submitted> {
  let lastError: unknown;
  for (const api of apis) {
    try {
      const response = await fetch(`${api}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${keys.get(slug)}` },
        body: JSON.stringify({
          query: `mutation($input: JobSpecInput!) {
            submitJob(input: $input) { ... on Job { id } ... on Error { code } } }`,
          variables: {
            input: {
              jobId,
              taskType: "classification",
              scorer: "classification_f1",
              inputUri: "ok",
              container: {
                image: "local",
                cmd: ["sh", "-c", "sleep 0.3; cp input/data/pred.csv output/"],
              },
            },
          },
        }),
      });
      const body = (await response.json()) as { data?: { submitJob: Submitted } };
      if (body.data?.submitJob) return body.data.submitJob;
      lastError = new Error(JSON.stringify(body));
    } catch (error) {
      lastError = error; // the API is gone: the same jobId goes to the next one
      failovers += 1;
    }
  }
  throw lastError;
}

describe("two APIs, two workers, two schedulers", () => {
  it("finish every accepted job exactly once within quotas while one of each is killed", async () => {
    const apiProcesses = [spawn("serve"), spawn("serve")];
    const apis = await Promise.all(apiProcesses.map((role) => serverUrl(role)));
    const since = new Date();
    const workers = ["scale-a", "scale-b"].map((name) => spawn("worker", { workerName: name }));
    const schedulers = [spawn("scheduler"), spawn("scheduler")];
    await Promise.all(["scale-a", "scale-b"].map((name) => nodeReady(p.api.db.pool, name, since)));

    // Submissions alternate between the APIs; a third of the way in, one process of each
    // role is killed without warning.
    const plan = (Object.keys(TENANTS) as Slug[]).flatMap((slug) =>
      Array.from({ length: TENANTS[slug].jobs }, () => ({ slug, jobId: randomUUID() })),
    );
    plan.sort(() => Math.random() - 0.5);
    const outcomes = new Map<string, Submitted & { slug: Slug }>();
    const violations: string[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        violations.push(...(await overQuota()));
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    let killed = false;
    for (const [i, { slug, jobId }] of plan.entries()) {
      if (!killed && i >= plan.length / 3) {
        killed = true;
        for (const victim of [apiProcesses[0], workers[0], schedulers[0]])
          victim?.child.kill("SIGKILL");
      }
      const order = i % 2 === 0 ? apis : [...apis].reverse();
      // Eight in flight at a time, so the kill lands amid requests.
      const outcome = submitTo(order, slug, jobId).then((o) => {
        outcomes.set(jobId, { ...o, slug });
      });
      if (i % 8 === 7) await outcome;
    }
    await expect.poll(() => outcomes.size, { timeout: 20_000, interval: 50 }).toBe(plan.length);

    // Every job the platform accepted ends, with one Result.
    const deadline = Date.now() + 120_000;
    for (;;) {
      const { rows } = await p.api.db.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM "Job" WHERE state NOT IN ('SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED')`,
      );
      if (rows[0]?.n === 0) break;
      if (Date.now() > deadline) throw new Error(`${rows[0]?.n} jobs still unfinished`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    sampling = false;
    await sampler;

    const accepted = [...outcomes.entries()].filter(([, o]) => "id" in o);
    const refused = [...outcomes.values()].filter((o) => "code" in o);
    // The daily limit held across both APIs: exactly the limit accepted, the rest refused.
    expect(accepted.filter(([, o]) => o.slug === "capped")).toHaveLength(
      TENANTS.capped.submissionsPerDay,
    );
    expect(refused.map((o) => [o.slug, "code" in o ? o.code : ""])).toEqual(
      Array.from({ length: TENANTS.capped.jobs - TENANTS.capped.submissionsPerDay }, () => [
        "capped",
        "DAILY_LIMIT_REACHED",
      ]),
    );
    expect(accepted.filter(([, o]) => o.slug === "steady")).toHaveLength(TENANTS.steady.jobs);

    // One job per accepted idempotency key, each SUCCEEDED with exactly one Result.
    const { rows: jobs } = await p.api.db.pool.query<{
      clientJobId: string;
      state: string;
      results: number;
    }>(
      `SELECT j."clientJobId", j.state, count(r."jobId")::int AS results
         FROM "Job" j LEFT JOIN "Result" r ON r."jobId" = j.id GROUP BY j.id`,
    );
    expect(jobs).toHaveLength(accepted.length);
    expect(new Set(jobs.map((j) => j.clientJobId))).toEqual(new Set(accepted.map(([k]) => k)));
    expect(jobs.filter((j) => j.state !== "SUCCEEDED" || j.results !== 1)).toEqual([]);
    expect(violations).toEqual([]);
    expect(failovers).toBeGreaterThan(0);
    // The kills happened amid the work: the dead worker's runs were handed back and retried.
    const { rows: retried } = await p.api.db.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "Job" WHERE attempt > 1`,
    );
    expect(retried[0]?.n).toBeGreaterThan(0);
  }, 180_000);
});
