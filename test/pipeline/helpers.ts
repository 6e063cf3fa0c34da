// The whole job pipeline in one test process: API, scheduler and local-executor workers on
// a cloned database with real pg-boss, with leases and ticks short enough for tests.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { JobRow } from "../../src/domain/jobs/job-row.ts";
import { createLocalExecutor } from "../../src/executors/local.ts";
import type { ExecutorCapacity } from "../../src/executors/types.ts";
import {
  runPass,
  type Scheduler,
  type SchedulerSettings,
  startScheduler,
} from "../../src/scheduler/scheduler.ts";
import { createScorerRegistry, type ScorerRegistry } from "../../src/scorers/index.ts";
import { startWorker, type Worker, type WorkerSettings } from "../../src/worker/worker.ts";
import { startTestApi, type TestApi } from "../helpers/api.ts";

export const LEASE_MS = 2000;

export const schedulerSettings = (over: Partial<SchedulerSettings> = {}): SchedulerSettings => ({
  rules: {
    defaultBackend: "LOCAL",
    kubernetesCpuMillisAbove: 64_000,
    kubernetesMemoryMbAbove: 262_144,
  },
  reaper: {
    backoff: { baseMs: 100, maxMs: 1000 },
    breaker: { failures: 3, openSeconds: 2 },
    batch: 500,
  },
  passLimit: 500,
  dispatchTimeoutMs: LEASE_MS,
  tickMs: 100,
  ...over,
});

/** Silent unless DEBUG_PIPELINE is set: then each role's log lines go to stderr. */
const debugLog =
  (role: string) =>
  (message: string, fields: Record<string, unknown>): void => {
    if (!process.env.DEBUG_PIPELINE) return;
    const text = JSON.stringify(fields, (_k, v: unknown) => (v instanceof Error ? v.message : v));
    console.error(role, message, text);
  };

export interface TestPipeline {
  api: TestApi;
  scorers: ScorerRegistry;
  workspaceRoot: string;
  scheduler: Scheduler | null;
  workers: Worker[];
  workerSettings(name: string): WorkerSettings;
  addWorker(name: string, capacity?: Partial<ExecutorCapacity>): Promise<Worker>;
  /** Writes a tenant's input folder: gt.csv and pred.csv (or the given files). */
  input(tenant: string, name: string, files?: Record<string, string>): string;
  job(id: string): Promise<JobRow>;
  waitFor(id: string, states: string[], timeoutMs?: number): Promise<JobRow>;
  close(): Promise<void>;
}

export const GT = "id,label\n1,a\n2,b\n3,a\n4,b\n";
export const PRED = "id,label\n1,a\n2,b\n3,b\n4,b\n";

export async function startTestPipeline(
  options: { scheduler?: boolean; settings?: Partial<SchedulerSettings>; leaseMs?: number } = {},
): Promise<TestPipeline> {
  // Workers, scheduler and API share one pool here; too small a pool would starve leases.
  const api = await startTestApi({ jobs: true, poolSize: 20 });
  const leaseMs = options.leaseMs ?? LEASE_MS;
  const boss = api.boss;
  if (!boss) throw new Error("pg-boss did not start");
  const scorers = await createScorerRegistry({ watch: false });
  const workspaceRoot = mkdtempSync(path.join(os.tmpdir(), "autoscorer-ws-"));
  const settings = schedulerSettings({ dispatchTimeoutMs: leaseMs, ...options.settings });
  const scheduler =
    options.scheduler === false
      ? null
      : await startScheduler({
          pool: api.db.pool,
          boss,
          events: api.events,
          settings,
          log: debugLog("scheduler"),
        });
  const workers: Worker[] = [];

  const workerSettings = (name: string): WorkerSettings => ({
    name,
    leaseMs,
    heartbeatMs: Math.min(500, leaseMs / 3),
    workspaceRoot,
    inputRoot: api.inputRoot,
    backoff: settings.reaper.backoff,
    breaker: settings.reaper.breaker,
    batchSize: 50,
    shutdownGraceMs: 0,
    workspaceRetentionMs: 24 * 3_600_000,
  });

  const pipeline: TestPipeline = {
    api,
    scorers,
    workspaceRoot,
    scheduler,
    workers,
    workerSettings,
    async addWorker(name, capacity = {}) {
      const worker = await startWorker({
        pool: api.db.pool,
        boss,
        events: api.events,
        executor: createLocalExecutor({
          capacity: { cpuMillis: 4000, memoryMb: 8192, gpus: 0, maxJobs: 4, ...capacity },
        }),
        scorers,
        settings: workerSettings(name),
        log: debugLog(name),
      });
      workers.push(worker);
      return worker;
    },
    input(tenant, name, files = { "gt.csv": GT, "pred.csv": PRED }) {
      const dir = path.join(api.inputRoot, tenant, name);
      mkdirSync(dir, { recursive: true });
      for (const [file, text] of Object.entries(files)) writeFileSync(path.join(dir, file), text);
      return name;
    },
    async job(id) {
      const { rows } = await api.db.pool.query<JobRow>(`SELECT * FROM "Job" WHERE id = $1`, [id]);
      if (!rows[0]) throw new Error(`no job ${id}`);
      return rows[0];
    },
    async waitFor(id, states, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const job = await pipeline.job(id);
        if (states.includes(job.state)) return job;
        if (Date.now() > deadline) {
          throw new Error(
            `job ${id} is ${job.state} (${job.errorCode ?? "-"}), not ${states.join("/")}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    async close() {
      for (const worker of workers) await worker.stop();
      await scheduler?.stop();
      await scorers.close();
      await api.close();
      rmSync(workspaceRoot, { recursive: true, force: true });
    },
  };
  return pipeline;
}

/** One admission pass by hand (for tests that run without the scheduler loop). */
export const passOnce = (p: TestPipeline, over: Partial<SchedulerSettings> = {}) =>
  runPass({
    pool: p.api.db.pool,
    boss: p.api.boss as NonNullable<TestApi["boss"]>,
    settings: schedulerSettings(over),
  });
