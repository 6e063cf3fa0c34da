// Postgres restarted while jobs run: the whole platform (`autoscorer start` against its own
// cluster) rides it out — connections come back, outcomes are written once the database
// is back, leases and the reaper cover the rest — and no job is lost or left unfinished.
import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { freePort, type RunningPostgres, startEmbeddedPostgres } from "../../src/db/embedded.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
const ADMIN_KEY = "restart-admin-key-0123456789abcdef";
const JOBS = 6;

const dir = mkdtempSync(path.join(os.tmpdir(), "autoscorer-restart-"));
// Postgres runs as its own unprivileged user (when tests run as root) and must reach its data.
chmodSync(dir, 0o755);
let postgres: RunningPostgres | undefined;
let platform: ChildProcess | undefined;
let platformOutput = "";

afterAll(async () => {
  if (platform && platform.exitCode === null) {
    const exited = new Promise((resolve) => platform?.once("exit", resolve));
    platform.kill("SIGKILL");
    await exited;
  }
  await postgres?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function gql<T>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<T> {
  const response = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${ADMIN_KEY}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: unknown };
  if (!body.data) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

function startPlatform(env: Record<string, string>): Promise<string> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "start"], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/tmp", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  platform = child;
  let out = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    out += chunk.toString();
    platformOutput += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start within 30 s:\n${out}`)), 30_000);
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const url = /AutoScorer is running: (\S+)\/graphql/.exec(out)?.[1];
      if (url) {
        clearTimeout(timer);
        resolve(url);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code}:\n${out}`));
    });
  });
}

describe("a Postgres restart during a run", () => {
  it("loses no job: every job ends SUCCEEDED with exactly one Result", async () => {
    const clusterDir = path.join(dir, "pg");
    const port = await freePort();
    const flags = ["-c", "fsync=off"];
    postgres = await startEmbeddedPostgres({ dir: clusterDir, port, postgresFlags: flags });
    const admin = new pg.Client(postgres.adminUrl);
    await admin.connect();
    await admin.query("CREATE DATABASE app");
    await admin.end();
    const databaseUrl = postgres.urlFor("app");
    const inputDir = path.join(dir, "inputs");
    mkdirSync(path.join(inputDir, "team", "ok"), { recursive: true });
    writeFileSync(path.join(inputDir, "team", "ok", "gt.csv"), "id,label\n1,a\n2,b\n");
    writeFileSync(path.join(inputDir, "team", "ok", "pred.csv"), "id,label\n1,a\n2,b\n");
    mkdirSync(path.join(inputDir, "team", "ok", "data"));
    writeFileSync(path.join(inputDir, "team", "ok", "data", "pred.csv"), "id,label\n1,a\n2,b\n");

    const url = await startPlatform({
      DATABASE_URL: databaseUrl,
      PORT: String(await freePort()),
      AUTOSCORER_ADMIN_KEY: ADMIN_KEY,
      AUTOSCORER_ENV: "test",
      AUTOSCORER_DATA_DIR: path.join(dir, "data"),
      AUTOSCORER_INPUT_DIR: inputDir,
      AUTOSCORER_SCHEDULER__LEASE_SECONDS: "5",
      AUTOSCORER_SCHEDULER__HEARTBEAT_SECONDS: "1",
      AUTOSCORER_SCHEDULER__TICK_MS: "200",
      AUTOSCORER_SCHEDULER__BACKOFF_BASE_MS: "200",
      AUTOSCORER_WORKER__MAX_JOBS: String(JOBS),
      AUTOSCORER_WORKER__CPU_MILLIS: String(JOBS * 1000),
      AUTOSCORER_WORKER__MEMORY_MB: String(JOBS * 1024),
    });
    await gql(
      url,
      `mutation { createTenant(input: { slug: "team", name: "Team", quota: { maxConcurrentJobs: ${JOBS}, cpuMillis: ${JOBS * 1000} } }) { __typename } }`,
    );
    const ids: string[] = [];
    for (let i = 0; i < JOBS; i++) {
      const data = await gql<{ submitJob: { id: string } }>(
        url,
        `mutation($input: JobSpecInput!) { submitJob(input: $input) { ... on Job { id } ... on Error { code message } } }`,
        {
          input: {
            tenant: "team",
            taskType: "classification",
            scorer: "classification_f1",
            inputUri: "ok",
            container: {
              image: "local",
              cmd: ["sh", "-c", "sleep 3; cp input/data/pred.csv output/"],
            },
          },
        },
      );
      ids.push(data.submitJob.id);
    }
    // Wait until the jobs run, then take the database away under them for a while.
    const direct = new pg.Pool({ connectionString: databaseUrl, max: 1 });
    direct.on("error", () => {});
    const deadline = Date.now() + 20_000;
    while (
      (await direct.query(`SELECT count(*)::int AS n FROM "Job" WHERE state = 'RUNNING'`)).rows[0]
        .n < JOBS
    ) {
      if (Date.now() > deadline) {
        const { rows } = await direct.query(`SELECT state, "errorCode", "errorMessage" FROM "Job"`);
        throw new Error(`jobs never all ran: ${JSON.stringify(rows)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await direct.end();
    await postgres.stop();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    postgres = await startEmbeddedPostgres({ dir: clusterDir, port, postgresFlags: flags });

    const after = new pg.Pool({ connectionString: databaseUrl, max: 1 });
    try {
      const finish = Date.now() + 60_000;
      for (;;) {
        const { rows } = await after.query<{ open: number }>(
          `SELECT count(*)::int AS open FROM "Job" WHERE state NOT IN ('SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED')`,
        );
        if (rows[0]?.open === 0) break;
        if (Date.now() > finish) {
          const { rows: jobs } = await after.query(`SELECT state, attempt, "errorCode" FROM "Job"`);
          throw new Error(
            `jobs never finished: ${JSON.stringify(jobs)}\n${platformOutput.slice(-4000)}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const { rows } = await after.query(
        `SELECT j.state, count(*)::int AS jobs, count(r."jobId")::int AS results
         FROM "Job" j LEFT JOIN "Result" r ON r."jobId" = j.id WHERE j.id = ANY($1::uuid[]) GROUP BY j.state`,
        [ids],
      );
      expect(rows).toEqual([{ state: "SUCCEEDED", jobs: JOBS, results: JOBS }]);
      // And the platform still serves.
      const data = await gql<{ jobs: { edges: unknown[] } }>(
        url,
        `{ jobs(first: 50) { edges { node { id } } } }`,
      );
      expect(data.jobs.edges).toHaveLength(JOBS);
    } finally {
      await after.end();
    }
  }, 120_000);
});
