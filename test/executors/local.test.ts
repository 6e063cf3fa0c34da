// The local executor on real processes: the conformance suite every backend passes, and
// what is particular to process groups: the whole group dies with the run, and a group a
// crashed worker left behind is found and ended by the next one.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createLocalExecutor } from "../../src/executors/local/local-executor.ts";
import type { RunRequest } from "../../src/executors/types.ts";
import { describeExecutorConformance } from "./conformance.ts";

const stateDir = mkdtempSync(path.join(os.tmpdir(), "autoscorer-local-state-"));
const capacity = { cpuMillis: 2000, memoryMb: 2048, gpus: 0, maxJobs: 4 };
const make = () => createLocalExecutor({ capacity, stateDir, sampleMs: 50, killGraceMs: 300 });

describeExecutorConformance("local", {
  create: make,
  shellImage: null,
  adopts: false,
  sandboxed: false,
});

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

describe("local executor", () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of [...dirs, stateDir]) rmSync(dir, { recursive: true, force: true });
  });
  const request = (command: string[], over: Partial<RunRequest> = {}): RunRequest => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "autoscorer-local-"));
    dirs.push(dir);
    return {
      jobId: path.basename(dir),
      attempt: 1,
      tenantId: "00000000-0000-0000-0000-0000000000aa",
      image: null,
      command,
      env: {},
      mounts: [],
      logDir: path.join(dir, "logs"),
      scratchDir: path.join(dir, "scratch"),
      resources: { cpuMillis: 500, memoryMb: 256, gpus: 0 },
      timeLimitMs: 10_000,
      ...over,
    };
  };

  it("kills the whole group at the end of a run, background children included", async () => {
    const r = request(["sh", "-c", "sleep 60 & echo $$ > pgid; echo started"]);
    const outcome = await make().start(r).outcome;
    expect(outcome).toMatchObject({ ok: true });
    const pgid = Number(readFileSync(path.join(r.scratchDir, "pgid"), "utf8"));
    expect(liveMembers(pgid)).toBe(0);
  });

  it("records the memory peak of a run stopped above its limit", async () => {
    const hog = "const a = []; for (;;) { a.push(Buffer.alloc(8 << 20, 1)); }";
    const r = request([process.execPath, "-e", hog], {
      resources: { cpuMillis: 500, memoryMb: 64, gpus: 0 },
    });
    expect(await make().start(r).outcome).toMatchObject({ code: "MEMORY_LIMIT_EXCEEDED" });
    const info = JSON.parse(readFileSync(path.join(r.logDir, "run_info.json"), "utf8"));
    expect(info.peakMemoryMb).toBeGreaterThan(64);
  });

  it("caps container.log and still drains the output to the end", async () => {
    const small = createLocalExecutor({ capacity, stateDir, logCapBytes: 4096 });
    const r = request([
      "sh",
      "-c",
      "i=0; while [ $i -lt 2000 ]; do echo line-$i; i=$((i+1)); done",
    ]);
    expect(await small.start(r).outcome).toMatchObject({ ok: true });
    const log = readFileSync(path.join(r.logDir, "container.log"), "utf8");
    expect(log.length).toBeLessThan(4200);
    expect(log).toContain("[log truncated at 4096 bytes");
  });
});
