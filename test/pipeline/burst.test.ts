// 2,000 jobs from 5 tenants with different quotas and weights, run to the end on three
// nodes while a sampler checks, many times a second, that no tenant ever holds more than
// its quota and no node more than its capacity; then every job has exactly one Result.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKey, createTenant } from "../helpers/fixtures.ts";
import { startTestPipeline, type TestPipeline } from "./helpers.ts";

const TENANTS = [
  { slug: "t1", weight: 1, quota: { maxConcurrentJobs: 2, cpuMillis: 2000 } },
  { slug: "t2", weight: 2, quota: { maxConcurrentJobs: 6, cpuMillis: 3000 } },
  { slug: "t3", weight: 1, quota: { maxConcurrentJobs: 4, cpuMillis: 8000 } },
  { slug: "t4", weight: 4, quota: { maxConcurrentJobs: 10, cpuMillis: 10_000 } },
  { slug: "t5", weight: 1, quota: { maxConcurrentJobs: 1, cpuMillis: 1000 } },
];
const JOBS = 2000;

let p: TestPipeline;
const keys = new Map<string, string>();

beforeAll(async () => {
  // Leases long enough that a busy test machine never looks like a lost worker.
  p = await startTestPipeline({ config: { "scheduler.leaseSeconds": 15 } });
  for (const t of TENANTS) {
    await createTenant(p.api, t.slug, {
      ...t.quota,
      submissionsPerDay: 10_000,
      maxQueuedJobs: 10_000,
    });
    await p.api.gql(
      `mutation($slug: String!, $w: Float!) { updateTenant(slug: $slug, input: { weight: $w }) { __typename } }`,
      { slug: t.slug, w: t.weight },
    );
    keys.set(t.slug, (await createKey(p.api, t.slug, "MEMBER")).token);
    p.input(t.slug, "ok");
  }
  await p.addWorker("burst-a", { cpuMillis: 4000, maxJobs: 6 });
  await p.addWorker("burst-b", { cpuMillis: 6000, maxJobs: 8 });
  await p.addWorker("burst-c", { cpuMillis: 2000, maxJobs: 3 });
}, 60_000);
afterAll(async () => p?.close());

interface Sample {
  tenants: Array<{ slug: string; jobs: number; cpu: number }>;
  nodes: Array<{ name: string; jobs: number; cpu: number; maxJobs: number; capacity: number }>;
}

async function sample(): Promise<Sample> {
  const pool = p.api.db.pool;
  // One statement, one snapshot: tenants' and nodes' holdings at the same instant.
  const { rows } = await pool.query<{ tenants: Sample["tenants"]; nodes: Sample["nodes"] }>(
    `SELECT
       (SELECT COALESCE(json_agg(x), '[]') FROM (
          SELECT t.slug, count(*)::int AS jobs, sum(j."cpuMillis")::int AS cpu
          FROM "Job" j JOIN "Tenant" t ON t.id = j."tenantId"
          WHERE j.state IN ('QUEUED', 'RUNNING') GROUP BY t.slug) x) AS tenants,
       (SELECT COALESCE(json_agg(y), '[]') FROM (
          SELECT n.name, n."maxJobs", n."cpuMillis" AS capacity,
                 count(j.id)::int AS jobs, COALESCE(sum(j."cpuMillis"), 0)::int AS cpu
          FROM "ExecutorNode" n LEFT JOIN "Job" j ON j."executorNodeId" = n.id AND j.state IN ('QUEUED', 'RUNNING')
          GROUP BY n.id) y) AS nodes`,
  );
  return rows[0] as Sample;
}

describe("a burst of 2,000 jobs", () => {
  it("never exceeds a quota or a node, and ends with one Result per job", async () => {
    const sizes = ["500m", "1", "1000m", "500m"];
    const ids: string[] = [];
    const submitAll = (async () => {
      const queue = Array.from({ length: JOBS }, (_, i) => i);
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
            const t = TENANTS[i % TENANTS.length] as (typeof TENANTS)[number];
            const r = await p.api.gql<{ submitJob: { id?: string; code?: string } }>(
              `mutation($input: JobSpecInput!) { submitJob(input: $input) { ... on Job { id } ... on Error { code } } }`,
              {
                input: {
                  taskType: "classification",
                  scorer: "classification_f1",
                  inputUri: "ok",
                  resources: { cpu: sizes[i % sizes.length] },
                },
              },
              keys.get(t.slug),
            );
            const id = r.data?.submitJob.id;
            if (!id) throw new Error(JSON.stringify(r));
            ids.push(id);
          }
        }),
      );
    })();

    let samples = 0;
    let peakTotal = 0;
    const violations: string[] = [];
    const quota = new Map(TENANTS.map((t) => [t.slug, t.quota]));
    let done = false;
    const sampler = (async () => {
      while (!done) {
        const s = await sample();
        samples += 1;
        peakTotal = Math.max(
          peakTotal,
          s.tenants.reduce((n, t) => n + t.jobs, 0),
        );
        for (const t of s.tenants) {
          const q = quota.get(t.slug);
          if (q && (t.jobs > q.maxConcurrentJobs || t.cpu > q.cpuMillis))
            violations.push(`${t.slug}: ${t.jobs} jobs, ${t.cpu}m`);
        }
        for (const n of s.nodes) {
          if (n.jobs > n.maxJobs || n.cpu > n.capacity)
            violations.push(`${n.name}: ${n.jobs} jobs, ${n.cpu}m`);
        }
      }
    })();

    await submitAll;
    const deadline = Date.now() + 240_000;
    for (;;) {
      const { rows } = await p.api.db.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM "Job" WHERE state NOT IN ('SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED')`,
      );
      if (rows[0]?.n === 0) break;
      if (Date.now() > deadline) throw new Error(`${rows[0]?.n} jobs still unfinished`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    done = true;
    await sampler;

    expect(violations).toEqual([]);
    expect(samples).toBeGreaterThan(50);
    // The platform was actually busy: close to the sum of the quotas ran at once.
    expect(peakTotal).toBeGreaterThanOrEqual(8);
    const { rows: failures } = await p.api.db.pool.query(
      `SELECT "errorCode", "errorMessage" FROM "Job" WHERE state <> 'SUCCEEDED' LIMIT 5`,
    );
    expect(failures).toEqual([]);
    const { rows } = await p.api.db.pool.query<{ state: string; n: number; results: number }>(
      `SELECT j.state, count(*)::int AS n, count(r."jobId")::int AS results
       FROM "Job" j LEFT JOIN "Result" r ON r."jobId" = j.id GROUP BY j.state`,
    );
    expect(rows).toEqual([{ state: "SUCCEEDED", n: JOBS, results: JOBS }]);
    const { rows: requeued } = await p.api.db.pool.query(
      `SELECT "fromState", message, count(*)::int AS n FROM "JobEvent"
       WHERE "toState" = 'PENDING' AND "fromState" IS NOT NULL GROUP BY 1, 2`,
    );
    expect(requeued).toEqual([]);
    const { rows: admissions } = await p.api.db.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "JobEvent" WHERE "toState" = 'QUEUED'`,
    );
    expect(admissions[0]?.n).toBe(JOBS);
    expect(new Set(ids).size).toBe(JOBS);
  }, 300_000);
});
