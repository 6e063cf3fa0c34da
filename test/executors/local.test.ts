// The local executor on real processes: output and run_info.json, every way a run ends,
// the whole process group killed on timeout and cancel, memory watched, environment sealed.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createLocalExecutor } from "../../src/executors/local.ts";
import type { ExecutionRequest } from "../../src/executors/types.ts";

const executor = createLocalExecutor({
  capacity: { cpuMillis: 2000, memoryMb: 2048, gpus: 0, maxJobs: 4 },
  memoryPollMs: 50,
  killGraceMs: 300,
  logCapBytes: 4096,
});
const workspaces: string[] = [];
afterEach(() => {
  for (const dir of workspaces.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function request(command: string[], over: Partial<ExecutionRequest> = {}): ExecutionRequest {
  const workspace = mkdtempSync(path.join(os.tmpdir(), "autoscorer-local-"));
  workspaces.push(workspace);
  return {
    jobId: path.basename(workspace),
    attempt: 1,
    workspace,
    image: null,
    command,
    env: {},
    cpuMillis: 500,
    memoryMb: 256,
    gpus: 0,
    timeLimitMs: 10_000,
    signal: new AbortController().signal,
    ...over,
  };
}

const read = (r: ExecutionRequest, file: string) =>
  readFileSync(path.join(r.workspace, "logs", file), "utf8");

/** Processes of group `pgid` still alive (zombies waiting for a reaper do not count). */
function liveMembers(pgid: number): number {
  let alive = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) === pgid && fields[0] !== "Z") alive += 1;
    } catch {
      // exited meanwhile
    }
  }
  return alive;
}

async function groupGone(pgid: number): Promise<boolean> {
  // SIGKILL is delivered asynchronously; give the kernel a moment.
  for (let i = 0; i < 20 && liveMembers(pgid) > 0; i++) await new Promise((r) => setTimeout(r, 25));
  return liveMembers(pgid) === 0;
}

describe("local executor", () => {
  it("runs a command in its workspace and records both streams and run_info.json", async () => {
    const r = request(["sh", "-c", "echo out; echo err >&2; pwd"]);
    const outcome = await executor.run(r);
    expect(outcome).toMatchObject({ ok: true, exitCode: 0 });
    const log = read(r, "container.log");
    expect(log).toContain("out");
    expect(log).toContain("err");
    expect(log).toContain(r.workspace);
    expect(JSON.parse(read(r, "run_info.json"))).toMatchObject({
      jobId: r.jobId,
      executor: "LOCAL",
      outcome: "SUCCEEDED",
      exitCode: 0,
      limits: { memoryMb: 256, timeLimitMs: 10_000 },
    });
  });

  it("reports a non-zero exit and a command that cannot start as EXECUTION_FAILED", async () => {
    expect(await executor.run(request(["sh", "-c", "exit 7"]))).toMatchObject({
      ok: false,
      code: "EXECUTION_FAILED",
      exitCode: 7,
    });
    const missing = request(["/no/such/binary"]);
    expect(await executor.run(missing)).toMatchObject({ ok: false, code: "EXECUTION_FAILED" });
    expect(JSON.parse(read(missing, "run_info.json")).outcome).toBe("EXECUTION_FAILED");
  });

  it("kills the whole group at the time limit, even a child that ignores SIGTERM", async () => {
    const r = request(["sh", "-c", "trap '' TERM; sleep 60 & echo $$ > pgid; wait"], {
      timeLimitMs: 500,
    });
    const started = Date.now();
    const outcome = await executor.run(r);
    expect(outcome).toMatchObject({ ok: false, code: "TIME_LIMIT_EXCEEDED" });
    expect(Date.now() - started).toBeLessThan(3000);
    const pgid = Number(readFileSync(path.join(r.workspace, "pgid"), "utf8"));
    expect(await groupGone(pgid)).toBe(true);
  });

  it("stops a run above its memory limit", async () => {
    const hog = "const a = []; for (;;) { a.push(Buffer.alloc(8 << 20, 1)); }";
    const r = request([process.execPath, "-e", hog], {
      memoryMb: 64,
      env: { PATH: path.dirname(process.execPath) },
    });
    expect(await executor.run(r)).toMatchObject({ ok: false, code: "MEMORY_LIMIT_EXCEEDED" });
    expect(JSON.parse(read(r, "run_info.json")).peakMemoryMb).toBeGreaterThan(64);
  });

  it("cancels through the signal and through cancel(jobId) within a second or two", async () => {
    const controller = new AbortController();
    const bySignal = request(["sh", "-c", "trap '' TERM; sleep 60"], { signal: controller.signal });
    const running = executor.run(bySignal);
    setTimeout(() => controller.abort(), 200);
    expect(await running).toMatchObject({ ok: false, code: "CANCELLED" });

    const byId = request(["sleep", "60"]);
    const second = executor.run(byId);
    setTimeout(() => void executor.cancel(byId.jobId), 200);
    const started = Date.now();
    expect(await second).toMatchObject({ ok: false, code: "CANCELLED" });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("gives the command only its own environment, never the worker's", async () => {
    process.env.AUTOSCORER_SECRET_SENTINEL = "do-not-leak";
    try {
      const r = request(["sh", "-c", "env"], { env: { JOB_VAR: "mine" } });
      await executor.run(r);
      const log = read(r, "container.log");
      expect(log).toContain("JOB_VAR=mine");
      expect(log).toContain(`HOME=${r.workspace}`);
      expect(log).not.toContain("do-not-leak");
      expect(log).not.toContain("DATABASE_URL");
    } finally {
      delete process.env.AUTOSCORER_SECRET_SENTINEL;
    }
  });

  it("caps container.log and still drains the output to the end", async () => {
    const r = request([
      "sh",
      "-c",
      "i=0; while [ $i -lt 2000 ]; do echo line-$i; i=$((i+1)); done",
    ]);
    expect(await executor.run(r)).toMatchObject({ ok: true });
    const log = read(r, "container.log");
    expect(log.length).toBeLessThan(4200);
    expect(log).toContain("[log truncated at 4096 bytes]");
  });

  it("stops every run on close and refuses new ones", async () => {
    const closing = createLocalExecutor({
      capacity: { cpuMillis: 1000, memoryMb: 1024, gpus: 0, maxJobs: 2 },
      killGraceMs: 200,
    });
    const run = closing.run(request(["sleep", "60"]));
    await new Promise((resolve) => setTimeout(resolve, 100));
    await closing.close();
    expect(await run).toMatchObject({ ok: false, code: "CANCELLED" });
    expect(await closing.health()).toMatchObject({ healthy: false });
    expect(await closing.run(request(["true"]))).toMatchObject({
      ok: false,
      code: "EXECUTOR_UNAVAILABLE",
    });
  });
});
