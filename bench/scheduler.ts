// bench:scheduler — N no-op jobs end to end (submitJob → admission → dispatch → the worker
// runs the job: workspace, a two-row scoring, the Result → SUCCEEDED) against the same N
// messages through bare pg-boss send/work, side by side on one embedded Postgres. Then the
// submit → RUNNING latency of single jobs while capacity is free.
import { randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { startBoss } from "../src/app/boss.ts";
import { schedulerSettingsOf, workerSettingsOf } from "../src/app/pipeline-settings.ts";
import { configSchema } from "../src/config/schema.ts";
import { connectDatabase } from "../src/db/database.ts";
import { createSubscriber } from "../src/db/pubsub.ts";
import type { DomainContext } from "../src/domain/context.ts";
import { submitJob } from "../src/domain/jobs/submit.ts";
import { createSubmissionWriter } from "../src/domain/jobs/write-submissions.ts";
import { createLocalExecutor } from "../src/executors/local.ts";
import { startScheduler } from "../src/scheduler/scheduler.ts";
import { createScorerRegistry } from "../src/scorers/index.ts";
import { startWorker } from "../src/worker/worker.ts";
import { benchDatabase, fmt, percentile, postgresCpuSeconds } from "./lib.ts";

const N = Number(process.env.BENCH_JOBS ?? 20_000);
const IN_FLIGHT = Number(process.env.BENCH_CONCURRENCY ?? 16);
const LATENCY_SAMPLES = Number(process.env.BENCH_LATENCY_SAMPLES ?? 200);
const BATCH = 50;
/** Teams submitting at once; each team's exact daily limit serialises its own submissions. */
const TENANTS = Number(process.env.BENCH_TENANTS ?? 16);

async function main() {
  const database = await benchDatabase();
  const db = connectDatabase(database.url, { poolSize: 20 });
  const events = createSubscriber(database.url);
  await events.ready();
  const boss = await startBoss({
    url: database.url,
    poolSize: 8,
    onError: (e) => console.error(e),
  });
  const scorers = await createScorerRegistry({ watch: false });
  const submissions = createSubmissionWriter(db.pool, boss);
  const inputRoot = mkdtempSync(path.join(os.tmpdir(), "bench-inputs-"));
  const workspaceRoot = mkdtempSync(path.join(os.tmpdir(), "bench-ws-"));
  const user = randomUUID();
  await db.pool.query(
    `INSERT INTO "User" (id, email, name) VALUES ($1, 'bench@example.com', 'bench')`,
    [user],
  );
  // One context per submitting team; quotas far above the run: this measures the pipeline.
  const contexts: DomainContext[] = [];
  for (let t = 0; t < TENANTS; t++) {
    const tenant = randomUUID();
    const slug = `team-${t}`;
    await db.pool.query(
      `INSERT INTO "Tenant" (id, slug, name, "updatedAt") VALUES ($1, $2, $2, now())`,
      [tenant, slug],
    );
    await db.pool.query(
      `INSERT INTO "Quota" ("tenantId", "maxConcurrentJobs", "maxQueuedJobs", "cpuMillis", "memoryMb",
         "submissionsPerDay", "updatedAt") VALUES ($1, 100000, 1000000, 100000000, 100000000, 10000000, now())`,
      [tenant],
    );
    await db.pool.query(
      `INSERT INTO "Membership" (id, "userId", "tenantId", role) VALUES (gen_random_uuid(), $1, $2, 'MEMBER')`,
      [user, tenant],
    );
    const dir = path.join(inputRoot, slug, "noop");
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, "gt.csv"), "id,label\n1,a\n2,b\n");
    writeFileSync(path.join(dir, "pred.csv"), "id,label\n1,a\n2,b\n");
    contexts.push({
      db,
      actor: {
        userId: user,
        apiKeyId: randomUUID(),
        isPlatformAdmin: false,
        tenantId: tenant,
        role: "MEMBER",
      },
      requestId: "bench",
      scorers,
      jobs: { boss, inputRoot, maxAttempts: 3, submissions },
    });
  }
  const ctx = contexts[0] as DomainContext;
  const spec = {
    taskType: "noop",
    scorer: "classification_accuracy",
    inputUri: "noop",
    resources: { cpu: "10m", memory: "16Mi" },
  };

  // The platform's own defaults, but for the paths and the worker's size.
  const config = configSchema.parse({
    inputDir: inputRoot,
    workspaceDir: workspaceRoot,
    worker: {
      name: "bench-node",
      maxJobs: 256,
      cpuMillis: 1_000_000,
      memoryMb: 1_000_000,
      batchSize: BATCH,
    },
  });
  const scheduler = await startScheduler({
    pool: db.pool,
    boss,
    events,
    settings: schedulerSettingsOf(config),
    log: () => {},
  });
  const worker = await startWorker({
    pool: db.pool,
    boss,
    events,
    executor: createLocalExecutor({
      capacity: { cpuMillis: 1_000_000, memoryMb: 1_000_000, gpus: 0, maxJobs: 256 },
    }),
    scorers,
    settings: workerSettingsOf(config),
    log: () => {},
  });

  const count = async (state: string) =>
    (
      await db.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM "Job" WHERE state = $1::"JobState"`,
        [state],
      )
    ).rows[0]?.n ?? 0;
  const waitAll = async (total: number) => {
    while ((await count("SUCCEEDED")) < total) await new Promise((r) => setTimeout(r, 100));
  };

  // CPU per job: this process (submitters, scheduler, worker or pg-boss's client) and Postgres.
  const cpuMeter = () => {
    const own = process.cpuUsage();
    const postgres = postgresCpuSeconds();
    return () => {
      const used = process.cpuUsage(own);
      return {
        nodeUs: ((used.user + used.system) / N) | 0,
        postgresUs: (((postgresCpuSeconds() - postgres) * 1e6) / N) | 0,
      };
    };
  };

  // 1. End to end (BENCH_PROFILE=1 writes a CPU profile of this process for this phase).
  const profiler = process.env.BENCH_PROFILE ? await startProfiler() : null;
  let next = 0;
  const e2eCpu = cpuMeter();
  const e2eStart = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async (_, i) => {
      while (next < N) {
        next += 1;
        await submitJob(contexts[i % TENANTS] as DomainContext, spec);
      }
    }),
  );
  const submitted = performance.now();
  await waitAll(N);
  const e2eSeconds = (performance.now() - e2eStart) / 1000;
  const e2eUsed = e2eCpu();
  await profiler?.stop("bench/out/profile/scheduler-e2e.cpuprofile");
  const failed = (await count("FAILED")) + (await count("TIMED_OUT"));
  const loaded = await latencies(db.pool, 0);

  // 2. Bare pg-boss: the same N messages, sent one by one with the same in-flight count,
  //    worked in the same batch size, each acknowledged by the handler.
  await boss.createQueue("bare", { notify: true });
  let worked = 0;
  let allWorked: () => void = () => {};
  const doneWorking = new Promise<void>((resolve) => {
    allWorked = resolve;
  });
  await boss.work(
    "bare",
    { batchSize: BATCH, burstWhenBatchFull: true, notifyPollingIntervalSeconds: 2 },
    async (jobs) => {
      worked += jobs.length;
      if (worked >= N) allWorked();
    },
  );
  let sent = 0;
  const bareCpu = cpuMeter();
  const bareStart = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (sent < N) {
        sent += 1;
        await boss.send("bare", { jobId: randomUUID(), attempt: 1 });
      }
    }),
  );
  await doneWorking;
  const bareSeconds = (performance.now() - bareStart) / 1000;
  const bareUsed = bareCpu();

  // 3. Latency with free capacity: one job at a time, each submitted once the last runs.
  const before = await count("SUCCEEDED");
  const marker = new Date();
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    const job = await submitJob(ctx, spec);
    while (
      (
        await db.pool.query(`SELECT 1 FROM "Job" WHERE id = $1 AND "startedAt" IS NOT NULL`, [
          job.id,
        ])
      ).rowCount === 0
    ) {
      await new Promise((r) => setTimeout(r, 1));
    }
  }
  await waitAll(before + LATENCY_SAMPLES);
  const idle = await latencies(db.pool, marker.getTime());

  await worker.stop();
  await scheduler.stop();
  await boss.stop({ graceful: false, close: true });
  await events.close();
  await scorers.close();
  await db.close();
  await database.stop();
  rmSync(inputRoot, { recursive: true, force: true });
  rmSync(workspaceRoot, { recursive: true, force: true });

  const e2eRate = N / e2eSeconds;
  const bareRate = N / bareSeconds;
  console.log(
    `bench:scheduler — ${fmt(N)} no-op jobs, ${IN_FLIGHT} submissions in flight from ${TENANTS} tenants, batch ${BATCH}, ${os.cpus().length} cores`,
  );
  console.log(
    `  end to end (submit → admit → dispatch → run → SUCCEEDED): ${fmt(e2eRate)} jobs/s (${fmt(e2eSeconds, 1)} s; submissions alone took ${fmt((submitted - e2eStart) / 1000, 1)} s; ${failed} failed)`,
  );
  console.log(
    `  bare pg-boss send + work:                                 ${fmt(bareRate)} jobs/s (${fmt(bareSeconds, 1)} s)`,
  );
  console.log(
    `  ratio end to end / bare:                                  ${fmt(e2eRate / bareRate, 2)}`,
  );
  console.log(
    `  CPU per job, Node / Postgres: end to end ${fmt(e2eUsed.nodeUs)} / ${fmt(e2eUsed.postgresUs)} µs, bare ${fmt(bareUsed.nodeUs)} / ${fmt(bareUsed.postgresUs)} µs`,
  );
  console.log(
    `  submit → RUNNING under load: p50 ${fmt(loaded.p50, 1)} ms, p99 ${fmt(loaded.p99, 1)} ms`,
  );
  console.log(
    `  submit → RUNNING, capacity free (${LATENCY_SAMPLES} jobs one at a time): p50 ${fmt(idle.p50, 1)} ms, p99 ${fmt(idle.p99, 1)} ms`,
  );
}

async function startProfiler() {
  const { Session } = await import("node:inspector/promises");
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.start");
  return {
    async stop(file: string) {
      const { profile } = await session.post("Profiler.stop");
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
    },
  };
}

/** submit → RUNNING per job, from the job's own timestamps (both written by this process). */
async function latencies(pool: import("pg").Pool, sinceMs: number) {
  const { rows } = await pool.query<{ ms: number }>(
    `SELECT EXTRACT(EPOCH FROM ("startedAt" - "submittedAt")) * 1000 AS ms FROM "Job"
     WHERE "submittedAt" >= to_timestamp($1::float8 / 1000) AND "startedAt" IS NOT NULL`,
    [sinceMs],
  );
  const sorted = rows.map((r) => Number(r.ms)).sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
}

await main();
