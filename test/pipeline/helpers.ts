// The whole job pipeline in one test process, each role started by the platform's own
// wiring: an API with the scheduler, and local-executor workers (each its own platform, as
// separate processes would be) sharing one cloned database and real pg-boss, with leases
// and ticks short enough for tests.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { schedulerSettingsOf } from "../../src/app/pipeline-settings.ts";
import type { JobRow } from "../../src/domain/jobs/job-row.ts";
import type { ExecutorCapacity } from "../../src/executors/types.ts";
import { runPass, type SchedulerSettings } from "../../src/scheduler/scheduler.ts";
import type { Worker } from "../../src/worker/worker.ts";
import { startTestApi, type TestApi } from "../helpers/api.ts";
import { startTestPlatform, type TestPlatform } from "../helpers/platform.ts";

export const LEASE_MS = 2000;

export interface TestPipeline {
  api: TestApi;
  workspaceRoot: string;
  workers: Worker[];
  /** Starts a worker process-equivalent (its own platform) running one local node. */
  addWorker(
    name: string,
    capacity?: Partial<ExecutorCapacity>,
    config?: Record<string, unknown>,
  ): Promise<Worker>;
  stopWorker(worker: Worker): Promise<void>;
  /** Writes a tenant's input folder: gt.csv and pred.csv (or the given files). */
  input(tenant: string, name: string, files?: Record<string, string>): string;
  job(id: string): Promise<JobRow>;
  waitFor(id: string, states: string[], timeoutMs?: number): Promise<JobRow>;
  close(): Promise<void>;
}

export const GT = "id,label\n1,a\n2,b\n3,a\n4,b\n";
export const PRED = "id,label\n1,a\n2,b\n3,b\n4,b\n";
/** Inputs of a job: ground truth, submitted predictions, and data an inference stage reads. */
const INPUT = { "gt.csv": GT, "pred.csv": PRED, "data/pred.csv": PRED };

export async function startTestPipeline(
  options: { scheduler?: boolean; config?: Record<string, unknown> } = {},
): Promise<TestPipeline> {
  const api = await startTestApi({
    scheduler: options.scheduler ?? true,
    config: { "database.poolSize": 20, ...options.config },
  });
  const workspaceRoot = path.join(api.platform.workspaceRoot);
  const workerPlatforms = new Map<Worker, TestPlatform>();

  const pipeline: TestPipeline = {
    api,
    workspaceRoot,
    workers: [],
    async addWorker(name, capacity = {}, config = {}) {
      const started = await startTestPlatform({
        roles: { api: false, scheduler: false, worker: true },
        database: api.testDb,
        inputRoot: api.inputRoot,
        workspaceRoot,
        config: {
          "worker.name": name,
          "worker.maxJobs": capacity.maxJobs ?? 4,
          "worker.cpuMillis": capacity.cpuMillis ?? 4000,
          "worker.memoryMb": capacity.memoryMb ?? 8192,
          "worker.gpus": capacity.gpus ?? 0,
          "database.poolSize": 5,
          ...options.config,
          ...config,
        },
      });
      const worker = started.platform.workers[0] as Worker;
      workerPlatforms.set(worker, started);
      pipeline.workers.push(worker);
      return worker;
    },
    async stopWorker(worker) {
      await workerPlatforms.get(worker)?.stop();
      workerPlatforms.delete(worker);
      pipeline.workers.splice(pipeline.workers.indexOf(worker), 1);
    },
    input(tenant, name, files = INPUT) {
      const dir = path.join(api.inputRoot, tenant, name);
      mkdirSync(dir, { recursive: true });
      for (const [file, text] of Object.entries(files)) {
        mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
        writeFileSync(path.join(dir, file), text);
      }
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
      for (const worker of [...pipeline.workers]) await pipeline.stopWorker(worker);
      await api.close();
    },
  };
  return pipeline;
}

/** One admission pass by hand (for tests that run without the scheduler loop). */
export const passOnce = (p: TestPipeline, over: Partial<SchedulerSettings> = {}) =>
  runPass({
    pool: p.api.db.pool,
    boss: p.api.boss,
    settings: { ...schedulerSettingsOf(p.api.platform.config), ...over },
  });
