// Worker and scheduler processes for chaos tests: the real `autoscorer` command, configured
// by environment, so a test can SIGKILL or SIGSTOP one like an operator's bad day would.
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import type pg from "pg";

const ROOT = path.resolve(import.meta.dirname, "../..");

export interface RoleProcess {
  child: ChildProcess;
  output(): string;
  /** SIGTERM, then SIGKILL after a grace; resolves when it has exited. */
  stop(): Promise<void>;
}

export interface RoleEnv {
  databaseUrl: string;
  inputDir: string;
  workspaceDir: string;
  dataDir: string;
  workerName?: string;
  extra?: Record<string, string>;
}

export function spawnRole(role: "worker" | "scheduler" | "serve", env: RoleEnv): RoleProcess {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", role], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: process.env.HOME ?? "/tmp",
      DATABASE_URL: env.databaseUrl,
      AUTOSCORER_ENV: "test",
      AUTOSCORER_DATA_DIR: env.dataDir,
      AUTOSCORER_INPUT_DIR: env.inputDir,
      AUTOSCORER_WORKSPACE_DIR: env.workspaceDir,
      AUTOSCORER_SCHEDULER__LEASE_SECONDS: "2",
      AUTOSCORER_SCHEDULER__HEARTBEAT_SECONDS: "1",
      AUTOSCORER_SCHEDULER__TICK_MS: "100",
      AUTOSCORER_SCHEDULER__BACKOFF_BASE_MS: "100",
      AUTOSCORER_SCHEDULER__BACKOFF_MAX_MS: "1000",
      AUTOSCORER_WORKER__SHUTDOWN_GRACE_SECONDS: "0",
      ...(env.workerName ? { AUTOSCORER_WORKER__NAME: env.workerName } : {}),
      ...env.extra,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  return {
    child,
    output: () => out,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGCONT");
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Resolves once the named node heartbeats after `since` (the worker is up and listening). */
export async function nodeReady(
  pool: pg.Pool,
  name: string,
  since: Date,
  timeoutMs = 20_000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await pool.query<{ id: string }>(
      `SELECT id FROM "ExecutorNode" WHERE name = $1 AND "lastHeartbeatAt" >= $2`,
      [name, since],
    );
    if (rows[0]) return rows[0].id;
    if (Date.now() > deadline) throw new Error(`worker ${name} did not come up`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Resolves with the URL a spawned `serve` process prints once it listens. */
export async function serverUrl(role: RoleProcess, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const url = /AutoScorer is running: (\S+)\/graphql/.exec(role.output())?.[1];
    if (url) return url;
    if (Date.now() > deadline || role.child.exitCode !== null)
      throw new Error(`the API process did not start:\n${role.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
