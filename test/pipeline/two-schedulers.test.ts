// Two scheduler processes against one database at once: each admission pass holds the
// advisory lock, so no job is admitted twice and no quota or node is exceeded.
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKey, createTenant } from "../helpers/fixtures.ts";
import { startTestPipeline, type TestPipeline } from "./helpers.ts";
import { type RoleProcess, spawnRole } from "./processes.ts";

let p: TestPipeline;
const schedulers: RoleProcess[] = [];
const JOBS = 300;

beforeAll(async () => {
  p = await startTestPipeline({ scheduler: false });
  for (const slug of ["left", "right"]) {
    await createTenant(p.api, slug, {
      submissionsPerDay: 10_000,
      maxQueuedJobs: 10_000,
      maxConcurrentJobs: 3,
      cpuMillis: 3000,
    });
    p.input(slug, "ok");
  }
  await p.addWorker("two-a", { maxJobs: 3 });
  await p.addWorker("two-b", { maxJobs: 3 });
  for (let i = 0; i < 2; i++) {
    schedulers.push(
      spawnRole("scheduler", {
        databaseUrl: p.api.testDb.url,
        inputDir: p.api.inputRoot,
        workspaceDir: p.workspaceRoot,
        dataDir: mkdtempSync(path.join(os.tmpdir(), "autoscorer-data-")),
      }),
    );
  }
}, 60_000);
afterAll(async () => {
  await Promise.all(schedulers.map((s) => s.stop()));
  await p?.close();
});

describe("two schedulers", () => {
  it("admit every job exactly once within quotas and capacity", async () => {
    const keys = {
      left: (await createKey(p.api, "left", "MEMBER")).token,
      right: (await createKey(p.api, "right", "MEMBER")).token,
    };
    const run = { image: "local", cmd: ["sh", "-c", "sleep 0.1; cp input/data/pred.csv output/"] };
    await Promise.all(
      Array.from({ length: JOBS }, (_, i) =>
        p.api.gql(
          `mutation($input: JobSpecInput!) { submitJob(input: $input) { __typename } }`,
          {
            input: {
              taskType: "classification",
              scorer: "classification_f1",
              inputUri: "ok",
              container: run,
            },
          },
          i % 2 ? keys.left : keys.right,
        ),
      ),
    );
    const violations: string[] = [];
    const deadline = Date.now() + 120_000;
    for (;;) {
      const { rows } = await p.api.db.pool.query<{ open: number; over: string | null }>(
        `SELECT (SELECT count(*)::int FROM "Job" WHERE state NOT IN ('SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED')) AS open,
                (SELECT string_agg(x, ', ') FROM (
                   SELECT "tenantId"::text || ':' || count(*) AS x FROM "Job" WHERE state IN ('QUEUED', 'RUNNING')
                   GROUP BY "tenantId" HAVING count(*) > 3
                   UNION ALL
                   SELECT "executorNodeId"::text || ':' || count(*) FROM "Job" WHERE state IN ('QUEUED', 'RUNNING')
                   GROUP BY "executorNodeId" HAVING count(*) > 3) v) AS over`,
      );
      if (rows[0]?.over) violations.push(rows[0].over);
      if (rows[0]?.open === 0) break;
      if (Date.now() > deadline)
        throw new Error(
          `${rows[0]?.open} jobs unfinished\n${schedulers.map((s) => s.output()).join("\n")}`,
        );
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(violations).toEqual([]);
    const { rows } = await p.api.db.pool.query(
      `SELECT count(*)::int AS jobs, count(*) FILTER (WHERE state = 'SUCCEEDED')::int AS succeeded,
              (SELECT count(*)::int FROM "JobEvent" WHERE "toState" = 'QUEUED') AS admissions,
              (SELECT count(*)::int FROM "Result") AS results
       FROM "Job"`,
    );
    expect(rows[0]).toEqual({ jobs: JOBS, succeeded: JOBS, admissions: JOBS, results: JOBS });
    // Neither process died on a lock conflict along the way.
    expect(schedulers.every((s) => s.child.exitCode === null)).toBe(true);
  }, 180_000);
});
