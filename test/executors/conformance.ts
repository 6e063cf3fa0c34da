// One behaviour for every executor backend: each backend's test file calls
// `describeExecutorConformance` with how to make its executor, and every run below must end
// the same way on a local process, a Docker container or a Kubernetes Job. Commands are
// POSIX sh, which the host and the busybox test image both have.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Executor, RunEvent, RunHandle, RunRequest } from "../../src/executors/types.ts";

export interface ConformanceTarget {
  /** A fresh executor for this node; called again to stand for a restarted worker. */
  create(): Executor | Promise<Executor>;
  /** An image with a POSIX sh; null for the local executor. */
  shellImage: string | null;
  /** Runs outlive their worker and a new executor can adopt them. */
  adopts: boolean;
  /**
   * A sandbox: the run sees nothing of the host but its mounts, and read-only mounts are
   * enforced (containers are; the local executor, for trusted code, is not).
   */
  sandboxed: boolean;
  /** Folder under which test workspaces are made (a backend may need a shared volume). */
  root?: string;
  /** Extra time a backend needs to start a run (image, pod), added to timing bounds. */
  startupMs?: number;
}

interface Workspace {
  dir: string;
  request(command: string[], over?: Partial<RunRequest>): RunRequest;
  read(relative: string): string;
}

const sh = (script: string) => ["sh", "-c", script];

async function collect(handle: RunHandle): Promise<RunEvent[]> {
  const events: RunEvent[] = [];
  for await (const event of handle.events) events.push(event);
  return events;
}

async function untilPhase(handle: RunHandle, phase: "RUNNING"): Promise<RunEvent[]> {
  const seen: RunEvent[] = [];
  for await (const event of handle.events) {
    seen.push(event);
    if (event.type === "phase" && event.phase === phase) return seen;
  }
  throw new Error(`the run ended before ${phase}`);
}

const logLines = (events: RunEvent[], stream?: "stdout" | "stderr") =>
  events.flatMap((e) => (e.type === "log" && (!stream || e.stream === stream) ? [e.line] : []));

export function describeExecutorConformance(name: string, target: ConformanceTarget): void {
  describe(`${name}: executor conformance`, () => {
    const made: string[] = [];
    const executors: Executor[] = [];
    afterAll(async () => {
      for (const executor of executors) await executor.close();
      for (const dir of made) rmSync(dir, { recursive: true, force: true });
    });

    const executor = async () => {
      const created = await target.create();
      executors.push(created);
      return created;
    };

    const workspace = (): Workspace => {
      const base = target.root ?? os.tmpdir();
      mkdirSync(base, { recursive: true });
      const dir = mkdtempSync(path.join(base, "conformance-"));
      made.push(dir);
      for (const sub of ["input/data", "output", "logs", "scratch"])
        mkdirSync(path.join(dir, sub), { recursive: true });
      writeFileSync(path.join(dir, "input", "data", "x.csv"), "id,label\n1,a\n");
      writeFileSync(path.join(dir, "input", "gt.csv"), "id,label\n1,secret\n");
      return {
        dir,
        request: (command, over = {}) => ({
          jobId: `c${Math.random().toString(16).slice(2, 10)}`,
          attempt: 1,
          tenantId: "00000000-0000-0000-0000-0000000000aa",
          image: target.shellImage,
          command,
          env: {},
          mounts: [
            { source: path.join(dir, "input", "data"), target: "input/data", readOnly: true },
            { source: path.join(dir, "output"), target: "output", readOnly: false },
          ],
          logDir: path.join(dir, "logs"),
          scratchDir: path.join(dir, "scratch"),
          resources: { cpuMillis: 500, memoryMb: 128, gpus: 0 },
          timeLimitMs: 20_000,
          ...over,
        }),
        read: (relative) => readFileSync(path.join(dir, relative), "utf8"),
      };
    };
    const slack = target.startupMs ?? 0;

    it("runs the command over its mounts, with phases, tagged log lines and records", async () => {
      const ws = workspace();
      const handle = (await executor()).start(
        ws.request(sh("cp input/data/x.csv output/pred.csv; echo héllo ✓; echo oops >&2")),
      );
      const events = await collect(handle);
      expect(await handle.outcome).toMatchObject({ ok: true, exitCode: 0 });
      expect(ws.read("output/pred.csv")).toBe("id,label\n1,a\n");
      const phases = events.flatMap((e) => (e.type === "phase" ? [e.phase] : []));
      expect(phases).toEqual(["PREPARING", "RUNNING", "EXITED"]);
      expect(logLines(events, "stdout")).toContain("héllo ✓");
      expect(logLines(events, "stderr")).toContain("oops");
      expect(ws.read("logs/container.log")).toContain("héllo ✓");
      expect(JSON.parse(ws.read("logs/run_info.json"))).toMatchObject({
        outcome: "SUCCEEDED",
        exitCode: 0,
        limits: { memoryMb: 128, timeLimitMs: 20_000 },
      });
    });

    it("lays the mounts out under the working directory, and nothing else of the input", async () => {
      const ws = workspace();
      const handle = (await executor()).start(ws.request(sh("ls input; cat input/gt.csv; true")));
      const events = await collect(handle);
      await handle.outcome;
      expect(logLines(events, "stdout")).toEqual(["data"]);
      expect(ws.read("logs/container.log")).not.toContain("secret");
    });

    it("reports a non-zero exit and a command that cannot start as EXECUTION_FAILED", async () => {
      const ws = workspace();
      const failing = (await executor()).start(ws.request(sh("exit 7")));
      expect(await failing.outcome).toMatchObject({
        ok: false,
        code: "EXECUTION_FAILED",
        exitCode: 7,
      });
      const missing = (await executor()).start(workspace().request(["/no/such/binary"]));
      expect(await missing.outcome).toMatchObject({ ok: false, code: "EXECUTION_FAILED" });
    });

    it("stops a run at its time limit, counted from RUNNING", async () => {
      const ws = workspace();
      const started = Date.now();
      const handle = (await executor()).start(
        ws.request(sh("trap '' TERM; sleep 60 & wait"), { timeLimitMs: 1000 }),
      );
      expect(await handle.outcome).toMatchObject({ ok: false, code: "TIME_LIMIT_EXCEEDED" });
      expect(Date.now() - started).toBeLessThan(1000 + 5000 + slack);
    });

    it("stops a cancelled run within seconds, even one that ignores SIGTERM", async () => {
      const ws = workspace();
      const handle = (await executor()).start(ws.request(sh("trap '' TERM; sleep 60 & wait")));
      await untilPhase(handle, "RUNNING");
      const asked = Date.now();
      await handle.stop("CANCELLED");
      expect(await handle.outcome).toMatchObject({ ok: false, code: "CANCELLED" });
      expect(Date.now() - asked).toBeLessThan(5000);
    });

    it("ends a run above its memory limit as MEMORY_LIMIT_EXCEEDED", async () => {
      const ws = workspace();
      // A string that doubles until the shell holds far more than the limit.
      const handle = (await executor()).start(
        ws.request(sh("x=aaaaaaaaaaaaaaaa; while true; do x=$x$x; done"), {
          resources: { cpuMillis: 500, memoryMb: 64, gpus: 0 },
        }),
      );
      expect(await handle.outcome).toMatchObject({ ok: false, code: "MEMORY_LIMIT_EXCEEDED" });
    });

    it("gives the command its own environment only, never the worker's", async () => {
      process.env.AUTOSCORER_SECRET_SENTINEL = "do-not-leak";
      try {
        const ws = workspace();
        const handle = (await executor()).start(
          ws.request(sh("env"), { env: { JOB_VAR: "mine" } }),
        );
        const lines = logLines(await collect(handle));
        await handle.outcome;
        expect(lines).toContain("JOB_VAR=mine");
        expect(lines.join("\n")).not.toContain("do-not-leak");
        expect(lines.join("\n")).not.toContain("DATABASE_URL");
      } finally {
        delete process.env.AUTOSCORER_SECRET_SENTINEL;
      }
    });

    it("samples CPU and memory while the command runs", async () => {
      const ws = workspace();
      const handle = (await executor()).start(
        ws.request(sh("i=0; while [ $i -lt 400000 ]; do i=$((i+1)); done")),
      );
      const events = await collect(handle);
      expect(await handle.outcome).toMatchObject({ ok: true });
      const samples = events.filter((e) => e.type === "usage");
      expect(samples.length).toBeGreaterThan(0);
      expect(samples.some((e) => e.type === "usage" && e.memoryBytes > 0)).toBe(true);
    });

    it("keeps its memory bounded for a consumer that falls behind: it counts what it drops", async () => {
      const ws = workspace();
      const lines = 30_000;
      const handle = (await executor()).start(
        ws.request(sh(`i=0; while [ $i -lt ${lines} ]; do echo line-$i; i=$((i+1)); done`)),
      );
      // Read nothing until the run is over, then everything at once.
      expect(await handle.outcome).toMatchObject({ ok: true });
      const events = await collect(handle);
      const kept = logLines(events).length;
      const dropped = events.reduce((n, e) => n + (e.type === "dropped" ? e.lines : 0), 0);
      expect(dropped).toBeGreaterThan(0);
      expect(kept + dropped).toBe(lines);
      expect(ws.read("logs/container.log")).toContain(`line-${lines - 1}`);
    });

    if (target.sandboxed) {
      it("enforces read-only mounts and hides the host beyond the mounts", async () => {
        const ws = workspace();
        const handle = (await executor()).start(ws.request(sh("touch input/data/new")));
        expect(await handle.outcome).toMatchObject({ ok: false, code: "EXECUTION_FAILED" });
        expect(existsSync(path.join(ws.dir, "input", "data", "new"))).toBe(false);
        const probe = (await executor()).start(
          ws.request(sh(`cat ${path.join(ws.dir, "input", "gt.csv")} || echo unreachable`)),
        );
        expect(logLines(await collect(probe), "stdout")).toEqual(["unreachable"]);
      });
    }

    it(
      target.adopts
        ? "lets a restarted worker adopt a run that outlived its predecessor"
        : "lets a restarted worker sweep a run that outlived its predecessor",
      async () => {
        const ws = workspace();
        const request = ws.request(sh("sleep 2; echo finished > output/done"));
        const first = await target.create();
        const original = first.start(request);
        await untilPhase(original, "RUNNING");
        // A new executor for the same node, as a worker that restarted would have.
        const second = await executor();
        const adopted = await second.adopt(request);
        if (target.adopts) {
          expect(adopted).not.toBeNull();
          expect(await second.sweep((jobId) => jobId === request.jobId)).toBe(0);
          expect(await adopted?.outcome).toMatchObject({ ok: true });
          expect(ws.read("output/done")).toBe("finished\n");
        } else {
          expect(adopted).toBeNull();
          expect(await second.sweep(() => false)).toBe(1);
          expect(existsSync(path.join(ws.dir, "output", "done"))).toBe(false);
        }
        expect(await second.sweep(() => false)).toBe(0);
        await original.outcome;
        await first.close();
      },
    );

    it("stops every run on close and refuses new ones", async () => {
      const closing = await target.create();
      const handle = closing.start(workspace().request(sh("sleep 60")));
      await untilPhase(handle, "RUNNING");
      await closing.close();
      expect(await handle.outcome).toMatchObject({ ok: false, code: "EXECUTOR_UNAVAILABLE" });
      expect(await closing.health()).toMatchObject({ healthy: false });
      const refused = closing.start(workspace().request(sh("true")));
      expect(await refused.outcome).toMatchObject({ ok: false, code: "EXECUTOR_UNAVAILABLE" });
    });
  });
}
