// bench:realtime — one `autoscorer serve` process with SUBSCRIBERS graphql-ws subscribers
// (`tenantJobs`, PER_SOCKET per socket, from CLIENTS client processes), fed by job state
// changes published through Postgres (the lifecycle's own moves: a job going PENDING ↔
// QUEUED), beside the same fan-out from a bare `ws` server that broadcasts each NOTIFY
// payload, in the same run, on the same database and clients. It records:
// - delivery latency: publish (just before the moving transaction) → the last subscriber
//   received it, over EVENTS events published one at a time;
// - delivery rate: subscriber-messages per second over a burst of BURST events;
// - server memory per idle subscriber: with everyone subscribed and idle, less before any
//   client connected, per subscriber — the live heap and the resident memory, each read
//   after a full garbage collection (through the inspector).
import { type ChildProcess, fork, spawn } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { connectDatabase, type Database } from "../src/db/database.ts";
import { freePort } from "../src/db/embedded.ts";
import { inTransaction } from "../src/db/sql.ts";
import { authenticate, createApiKey } from "../src/domain/api-keys.ts";
import { ensureBootstrapAdmin } from "../src/domain/bootstrap.ts";
import { createJobs, moveJobs } from "../src/domain/jobs/lifecycle.ts";
import { uuidv7 } from "../src/domain/jobs/uuid7.ts";
import { createTenant } from "../src/domain/tenants.ts";
import { benchDatabase, fmt, percentile } from "./lib.ts";
import { memoryAfterGc } from "./realtime/inspect.ts";

const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 10_000);
const PER_SOCKET = Number(process.env.BENCH_PER_SOCKET ?? 10);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 4);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 40);
const BURST = Number(process.env.BENCH_BURST ?? 20);
const ADMIN_KEY = "bench-admin-key-0123456789abcdef";
const ROOT = path.resolve(import.meta.dirname, "..");
const now = () => performance.timeOrigin + performance.now();

interface Fanout {
  name: string;
  latencies: number[];
  ratePerSecond: number;
  /** After a full GC, per subscriber: live heap, and resident memory. */
  heapPerSubscriber: number;
  rssPerSubscriber: number;
}

const progress = (message: string) => {
  if (process.env.BENCH_DEBUG) process.stderr.write(`${new Date().toISOString()} ${message}\n`);
};

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Client processes that report when all their subscribers got an event. */
async function startClients(
  mode: "graphql" | "bare",
  url: string,
  key: string,
): Promise<{
  delivered(eventId: string): Promise<number>;
  close(): Promise<void>;
}> {
  const sockets = Math.ceil(SUBSCRIBERS / PER_SOCKET / CLIENTS);
  const waiting = new Map<string, { left: number; last: number; resolve: (at: number) => void }>();
  const early = new Map<string, number[]>();
  const children: ChildProcess[] = [];
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      const child = fork(
        path.join(import.meta.dirname, "realtime", "client.ts"),
        [JSON.stringify({ mode, url, key, sockets, perSocket: PER_SOCKET })],
        { execArgv: ["--import", "tsx"] },
      );
      children.push(child);
      await new Promise<void>((resolve, reject) => {
        child.on(
          "message",
          (message: { type: string; eventId: string; at: number; error: string }) => {
            if (message.type === "open") resolve();
            else if (message.type === "error") reject(new Error(message.error));
            else if (message.type === "delivered") {
              const entry = waiting.get(message.eventId);
              if (!entry) {
                early.set(message.eventId, [...(early.get(message.eventId) ?? []), message.at]);
                return;
              }
              entry.left -= 1;
              entry.last = Math.max(entry.last, message.at);
              if (entry.left === 0) {
                waiting.delete(message.eventId);
                entry.resolve(entry.last);
              }
            }
          },
        );
        child.once("exit", (code) => reject(new Error(`a client process exited with ${code}`)));
      });
    }),
  );
  return {
    delivered: (eventId) =>
      new Promise((resolve) => {
        const before = early.get(eventId) ?? [];
        early.delete(eventId);
        const entry = { left: CLIENTS - before.length, last: Math.max(0, ...before), resolve };
        if (entry.left === 0) resolve(entry.last);
        else waiting.set(eventId, entry);
      }),
    close: async () => {
      await Promise.all(
        children.map(
          (child) =>
            new Promise((resolve) => {
              child.once("exit", resolve);
              child.send({ type: "close" });
            }),
        ),
      );
    },
  };
}

/** Measures one fan-out: `publish` sends one event through Postgres and names it. */
async function measure(
  name: string,
  inspectPort: number,
  clients: () => Promise<Awaited<ReturnType<typeof startClients>>>,
  publish: () => Promise<string>,
): Promise<Fanout> {
  const before = await memoryAfterGc(inspectPort);
  const fanout = await clients();
  progress(`${name}: clients connected`);
  // Subscriptions start a moment after their sockets open: publish until an event reaches
  // every subscriber, so that all are live before anything is measured.
  for (let live = false; !live; ) {
    const delivered = fanout.delivered(await publish());
    live = await Promise.race([delivered.then(() => true), pause(1000).then(() => false)]);
  }
  progress(`${name}: every subscriber live`);
  await pause(1000);
  const idle = await memoryAfterGc(inspectPort);

  const latencies: number[] = [];
  for (let i = 0; i < EVENTS; i++) {
    const started = now();
    const delivered = fanout.delivered(await publish());
    latencies.push((await delivered) - started);
    await pause(50);
  }
  const started = now();
  const deliveries: Array<Promise<number>> = [];
  for (let i = 0; i < BURST; i++) deliveries.push(fanout.delivered(await publish()));
  const finished = Math.max(...(await Promise.all(deliveries)));
  await fanout.close();
  return {
    name,
    latencies: latencies.sort((a, b) => a - b),
    ratePerSecond: (SUBSCRIBERS * BURST) / ((finished - started) / 1000),
    heapPerSubscriber: (idle.heapUsed - before.heapUsed) / SUBSCRIBERS,
    rssPerSubscriber: (idle.rss - before.rss) / SUBSCRIBERS,
  };
}

async function seed(db: Database) {
  await ensureBootstrapAdmin(db, ADMIN_KEY);
  const admin = { db, actor: await authenticate(db, ADMIN_KEY, new Date()), requestId: "bench" };
  const tenant = await createTenant(admin, { slug: "watchers", name: "Watchers" });
  const { token } = await createApiKey(admin, {
    tenant: "watchers",
    name: "bench",
    role: "VIEWER",
  });
  const member = await authenticate(db, token, new Date());
  const id = uuidv7(Date.now());
  await inTransaction(db.pool, (tx) =>
    createJobs(tx, [
      {
        id,
        tenantId: tenant.id,
        submittedById: member.userId,
        clientJobId: null,
        taskType: "bench",
        scorer: "classification_accuracy",
        scorerParams: {},
        inputUri: "file:///bench",
        timeLimitSec: 60,
        cpuMillis: 10,
        memoryMb: 16,
        gpus: 0,
        container: null,
        executorPreference: null,
        priority: 0,
        competitionId: null,
        phaseId: null,
        maxAttempts: 3,
        submittedAt: new Date(),
        chargedOn: new Date().toISOString().slice(0, 10),
      },
    ]),
  );
  return { token, jobId: id };
}

/** Node flags of a measured server: an inspector port to read its memory, maybe a profile. */
function serverFlags(inspectPort: number): string[] {
  return [
    `--inspect=127.0.0.1:${inspectPort}`,
    ...(process.env.BENCH_PROFILE ? ["--cpu-prof", "--cpu-prof-dir", "bench/out/profile"] : []),
  ];
}

async function startServer(
  databaseUrl: string,
  inspectPort: number,
): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [...serverFlags(inspectPort), "--import", "tsx", path.join(ROOT, "src/cli/main.ts"), "serve"],
    {
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl,
        PORT: String(port),
        HOST: "127.0.0.1",
        AUTOSCORER_ADMIN_KEY: ADMIN_KEY,
        AUTOSCORER_ENV: "production",
        // Thousands of sockets open within seconds on a few keys: rate limits would refuse
        // the set-up, which is not what this measures.
        AUTOSCORER_SERVER__RATE_LIMIT__ENABLED: "false",
      },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes("AutoScorer is running")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`server exited with ${code}`)));
  });
  return { child, url: `http://127.0.0.1:${port}` };
}

async function main() {
  const database = await benchDatabase();
  const db = connectDatabase(database.url, { poolSize: 4 });
  const { token, jobId } = await seed(db);
  const results: Fanout[] = [];
  try {
    // AutoScorer: job moves through the lifecycle, out to graphql-ws subscribers.
    const serverInspect = await freePort();
    const server = await startServer(database.url, serverInspect);
    let queued = false;
    const moveJob = async () => {
      const [moved] = await inTransaction(db.pool, (tx) =>
        moveJobs(tx, [queued ? { jobId, to: "PENDING" } : { jobId, to: "QUEUED" }]),
      );
      queued = !queued;
      return (moved as { eventId: string }).eventId;
    };
    try {
      results.push(
        await measure(
          `AutoScorer graphql-ws (tenantJobs), ${PER_SOCKET} per socket`,
          serverInspect,
          () => startClients("graphql", server.url, token),
          moveJob,
        ),
      );
    } finally {
      server.child.kill("SIGTERM");
      await new Promise((resolve) => server.child.once("exit", resolve));
    }

    // Bare ws: NOTIFY payloads of the same size, broadcast as they come.
    const bareInspect = await freePort();
    const bare = fork(
      path.join(import.meta.dirname, "realtime", "bare-server.ts"),
      [JSON.stringify({ databaseUrl: database.url, perSocket: PER_SOCKET })],
      { execArgv: [...serverFlags(bareInspect), "--import", "tsx"] },
    );
    const bareUrl = await new Promise<string>((resolve) =>
      bare.on("message", (message: { type: string; url: string }) => {
        if (message.type === "listening") resolve(message.url);
      }),
    );
    let sequence = 0;
    const notify = async () => {
      const eventId = String(++sequence);
      const payload = {
        topic: "tenant-jobs",
        key: jobId,
        data: {
          id: jobId,
          tenantId: jobId,
          state: "QUEUED",
          previousState: "PENDING",
          attempt: 1,
          errorCode: null,
          eventId,
          at: new Date().toISOString(),
        },
        eventId,
      };
      await db.pool.query("SELECT pg_notify('bench_bare', $1)", [JSON.stringify(payload)]);
      return eventId;
    };
    try {
      results.push(
        await measure(
          `bare ws broadcast, ${PER_SOCKET} messages per socket`,
          bareInspect,
          () => startClients("bare", bareUrl, token),
          notify,
        ),
      );
    } finally {
      bare.send({ type: "close" });
      await new Promise((resolve) => bare.once("exit", resolve));
    }
  } finally {
    await db.close();
    await database.stop();
  }

  const [ours, bare] = results as [Fanout, Fanout];
  const lines = [
    `bench:realtime — ${fmt(SUBSCRIBERS)} subscribers (${PER_SOCKET} per socket, ${CLIENTS} client processes), ${EVENTS} events one at a time, a burst of ${BURST}, ${os.cpus().length} cores`,
    "",
    "| fan-out | latency p50 / p99 ms (publish → last subscriber) | delivery rate (messages/s) | server memory per idle subscriber: heap / resident (after GC) |",
    "|---|---:|---:|---:|",
    ...results.map(
      (r) =>
        `| ${r.name} | ${fmt(percentile(r.latencies, 50), 1)} / ${fmt(percentile(r.latencies, 99), 1)} | ${fmt(r.ratePerSecond)} | ${fmt(r.heapPerSubscriber / 1024, 1)} / ${fmt(r.rssPerSubscriber / 1024, 1)} KiB |`,
    ),
    "",
    `AutoScorer / bare: delivery rate ${fmt(ours.ratePerSecond / bare.ratePerSecond, 2)}, p99 latency ${fmt(percentile(ours.latencies, 99) / percentile(bare.latencies, 99), 2)}x`,
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
}

await main();
