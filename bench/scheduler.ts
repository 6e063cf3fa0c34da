// bench:scheduler — N no-op jobs end to end (submitJob → admission → dispatch → the worker
// runs the job: workspace, a two-row scoring, the Result → SUCCEEDED) against the same N
// messages through bare pg-boss send/work, side by side on one embedded Postgres. Then the
// submit → RUNNING latency of single jobs while capacity is free.
//
// The platform runs in two processes, as it is deployed: this one submits (standing in for
// the API) and runs the scheduler; a second one (bench/scheduler-worker.ts) runs the worker
// role, and lives through the run, warm, as a deployed worker does. Bare pg-boss runs as it
// runs fastest, sent and worked in this one process, with the worker role stopped: every
// pg-boss instance listens for every queue's NOTIFY, so an idle second one would slow the
// baseline down. BENCH_ONE_PROCESS=1 runs the worker role in this process too, as
// `autoscorer start` does.
import { type ChildProcess, fork } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { startPlatform } from "../src/app/platform.ts";
import { loadConfig } from "../src/config/load.ts";
import type { DomainContext } from "../src/domain/context.ts";
import { createSubmissionBatcher } from "../src/domain/jobs/submission-batcher.ts";
import { submitJob } from "../src/domain/jobs/submit.ts";
import { silentLogger } from "../src/log.ts";
import { benchDatabase, fmt, percentile, postgresCpuSeconds } from "./lib.ts";
import type { FromWorker, ToWorker, WorkerProcessConfig } from "./scheduler-worker.ts";

const N = Number(process.env.BENCH_JOBS ?? 20_000);
const IN_FLIGHT = Number(process.env.BENCH_CONCURRENCY ?? 16);
const LATENCY_SAMPLES = Number(process.env.BENCH_LATENCY_SAMPLES ?? 200);
const BATCH = 50;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
/** Teams submitting at once; each team's exact daily limit serialises its own submissions. */
const TENANTS = Number(process.env.BENCH_TENANTS ?? 16);
const ONE_PROCESS = Boolean(process.env.BENCH_ONE_PROCESS);

async function main() {
  const database = await benchDatabase();
  const scratch = process.env.BENCH_SCRATCH ?? os.tmpdir();
  const inputRoot = mkdtempSync(path.join(scratch, "bench-inputs-"));
  const workspaceRoot = mkdtempSync(path.join(scratch, "bench-ws-"));
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "bench-data-"));
  // The platform's own defaults and wiring, but for the paths and the worker's size.
  const overrides = {
    "database.url": database.url,
    "database.poolSize": 20,
    dataDir,
    inputDir: inputRoot,
    workspaceDir: workspaceRoot,
    "worker.name": "bench-node",
    "worker.maxJobs": 256,
    "worker.cpuMillis": 1_000_000,
    "worker.memoryMb": 1_000_000,
    "worker.batchSize": BATCH,
    "scorers.reload": false,
  };
  const config = loadConfig({ env: {}, cwd: dataDir, overrides });
  const platform = await startPlatform({
    config,
    roles: { api: false, scheduler: true, worker: ONE_PROCESS },
    log: silentLogger,
    migrate: false,
  });
  const { db, boss, scorers } = platform;
  const submissions = createSubmissionBatcher(db.pool, {
    inputRoot,
    maxAttempts: 3,
    scorers,
  });
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
    });
  }
  const ctx = contexts[0] as DomainContext;
  const spec = {
    taskType: "noop",
    scorer: "classification_accuracy",
    inputUri: "noop",
    resources: { cpu: "10m", memory: "16Mi" },
  };

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

  // Bare pg-boss: the same messages, sent one by one with the same in-flight count, worked
  // in the same batch size, each acknowledged by the handler.
  const bareQueue = workedCounter();
  await boss.createQueue("bare", { notify: true });
  await boss.work(
    "bare",
    { batchSize: BATCH, burstWhenBatchFull: true, notifyPollingIntervalSeconds: 2 },
    async (jobs) => bareQueue.worked(jobs.length),
  );

  // The worker's process: its worker role runs for the end-to-end phases and is stopped for
  // the bare ones; the process itself lives through the run, as a deployed worker does.
  const worker = ONE_PROCESS ? null : forkWorkerProcess({ dataDir, overrides });
  const startWorker = async () => worker?.start();
  const stopWorker = async () => worker?.stop();

  // CPU used so far: the Node processes (submitters and scheduler or pg-boss's client and
  // `work`; the worker) and Postgres, in seconds.
  const cpuNow = async () => {
    const own = process.cpuUsage();
    return {
      node: (own.user + own.system) / 1e6 + ((await worker?.cpuSeconds()) ?? 0),
      postgres: postgresCpuSeconds(),
    };
  };

  const phases = { e2e: emptyPhase(), bare: emptyPhase() };
  const measure = async (phase: Phase, run: () => Promise<void>) => {
    const cpu = await cpuNow();
    const started = performance.now();
    await run();
    phase.seconds += (performance.now() - started) / 1000;
    const after = await cpuNow();
    phase.nodeCpu += after.node - cpu.node;
    phase.postgresCpu += after.postgres - cpu.postgres;
  };
  /** Submits `jobs` through submitJob with IN_FLIGHT in flight; waits for all to succeed. */
  const endToEnd = async (jobs: number, succeededBefore: number) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async (_, i) => {
        while (next < jobs) {
          next += 1;
          await submitJob(contexts[i % TENANTS] as DomainContext, submissions, spec);
        }
      }),
    );
    await waitAll(succeededBefore + jobs);
  };
  const bare = async (jobs: number) => {
    const done = bareQueue.until(bareQueue.total + jobs);
    let sent = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (sent < jobs) {
          sent += 1;
          await boss.send("bare", { jobId: randomUUID(), attempt: 1 });
        }
      }),
    );
    await done;
  };

  // The paths alternate in ROUNDS rounds of N / ROUNDS jobs each, so that drift on a
  // shared machine (other tenants of the host, autovacuum, checkpoints) hits all alike.
  // BENCH_PROFILE=1 writes a CPU profile of this process for the end-to-end phases (and the
  // worker's process writes one of its own, for its whole life).
  const profiler = process.env.BENCH_PROFILE ? await startProfiler() : null;
  const perRound = Math.ceil(N / ROUNDS);
  const rounds: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    await startWorker();
    const e2eBefore = phases.e2e.seconds;
    await measure(phases.e2e, () => endToEnd(perRound, round * perRound));
    await stopWorker();
    const bareBefore = phases.bare.seconds;
    await measure(phases.bare, () => bare(perRound));
    rounds.push((phases.bare.seconds - bareBefore) / (phases.e2e.seconds - e2eBefore));
  }
  await profiler?.stop("bench/out/profile/scheduler-e2e.cpuprofile");
  const total = perRound * ROUNDS;
  const failed = (await count("FAILED")) + (await count("TIMED_OUT"));
  const loaded = await latencies(db.pool, 0);

  // 3. Latency with free capacity: one job at a time, each submitted once the last runs.
  await startWorker();
  const before = await count("SUCCEEDED");
  const marker = new Date();
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    const job = await submitJob(ctx, submissions, spec);
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

  await worker?.exit();
  await platform.stop();
  await database.stop();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(inputRoot, { recursive: true, force: true });
  rmSync(workspaceRoot, { recursive: true, force: true });

  const rate = (phase: Phase) => total / phase.seconds;
  const perJob = (seconds: number) => fmt((seconds * 1e6) / total);
  const e2eRate = rate(phases.e2e);
  const bareRate = rate(phases.bare);
  console.log(
    `bench:scheduler — ${fmt(total)} no-op jobs per path in ${ROUNDS} alternating rounds, ${IN_FLIGHT} submissions in flight from ${TENANTS} tenants, batch ${BATCH}, ${os.cpus().length} cores, the worker role in ${ONE_PROCESS ? "the same process" : "a process of its own"}`,
  );
  console.log(
    `  end to end (submit → admit → dispatch → run → SUCCEEDED): ${fmt(e2eRate)} jobs/s (${fmt(phases.e2e.seconds, 1)} s; ${failed} failed)`,
  );
  console.log(
    `  bare pg-boss send + work (one process):                  ${fmt(bareRate)} jobs/s (${fmt(phases.bare.seconds, 1)} s)`,
  );
  console.log(
    `  ratio end to end / bare:                                  ${fmt(e2eRate / bareRate, 2)} (rounds ${rounds.map((r) => fmt(r, 2)).join(", ")})`,
  );
  console.log(
    `  CPU per job, Node / Postgres: end to end ${perJob(phases.e2e.nodeCpu)} / ${perJob(phases.e2e.postgresCpu)} µs, bare ${perJob(phases.bare.nodeCpu)} / ${perJob(phases.bare.postgresCpu)} µs`,
  );
  console.log(
    `  submit → RUNNING under load: p50 ${fmt(loaded.p50, 1)} ms, p99 ${fmt(loaded.p99, 1)} ms`,
  );
  console.log(
    `  submit → RUNNING, capacity free (${LATENCY_SAMPLES} jobs one at a time): p50 ${fmt(idle.p50, 1)} ms, p99 ${fmt(idle.p99, 1)} ms`,
  );
}

interface Phase {
  seconds: number;
  nodeCpu: number;
  postgresCpu: number;
}

const emptyPhase = (): Phase => ({ seconds: 0, nodeCpu: 0, postgresCpu: 0 });

/** How many bare messages were worked, and a wait for the count to reach a total. */
function workedCounter() {
  let waiting: { total: number; resolve: () => void } | null = null;
  const counter = {
    total: 0,
    worked(n: number) {
      counter.total += n;
      if (waiting && counter.total >= waiting.total) {
        waiting.resolve();
        waiting = null;
      }
    },
    until: (total: number) =>
      new Promise<void>((resolve) => {
        waiting = { total, resolve };
      }),
  };
  return counter;
}

interface WorkerProcess {
  /** Starts the worker role; resolves once its node is registered. */
  start(): Promise<void>;
  /** Stops the worker role (its pg-boss stops listening); the process lives on. */
  stop(): Promise<void>;
  cpuSeconds(): Promise<number>;
  exit(): Promise<void>;
}

/** BENCH_PROFILE: the worker's process writes a profile of its life when it exits. */
const WORKER_PROFILE = [
  "--cpu-prof",
  "--cpu-prof-dir=bench/out/profile",
  "--cpu-prof-name=scheduler-worker.cpuprofile",
];

/** Forks bench/scheduler-worker.ts, with its worker role stopped. */
function forkWorkerProcess(settings: WorkerProcessConfig): WorkerProcess {
  const child: ChildProcess = fork(path.join(import.meta.dirname, "scheduler-worker.ts"), [], {
    execArgv: ["--import", "tsx", ...(process.env.BENCH_PROFILE ? WORKER_PROFILE : [])],
    env: { ...process.env, BENCH_WORKER_CONFIG: JSON.stringify(settings) },
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  // Replies come in the order of the requests: the child handles one message at a time.
  const waiting: Array<(message: FromWorker) => void> = [];
  child.on("message", (message: FromWorker) => waiting.shift()?.(message));
  const ask = (message: ToWorker) =>
    Promise.race([
      new Promise<FromWorker>((resolve) => {
        waiting.push(resolve);
        child.send(message);
      }),
      exited.then((code): never => {
        throw new Error(`the worker process exited with ${code}`);
      }),
    ]);
  return {
    start: async () => void (await ask({ type: "start" })),
    stop: async () => void (await ask({ type: "stop" })),
    cpuSeconds: async () => {
      const reply = await ask({ type: "cpu" });
      return reply.type === "cpu" ? reply.seconds : Number.NaN;
    },
    exit: async () => {
      child.send({ type: "exit" } satisfies ToWorker);
      await exited;
    },
  };
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
