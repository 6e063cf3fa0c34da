// What the Docker executor tests share: throwaway workspaces laid out as the worker lays
// them out, a run collected to its end, and this test file's containers as the engine
// sees them (by the file's own node name, never anyone else's).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import Docker from "dockerode";
import { LABELS } from "../../src/executors/docker/labels.ts";
import type { RunEvent, RunHandle, RunOutcome, RunRequest } from "../../src/executors/types.ts";
import { BUSYBOX_IMAGE } from "../images/build.ts";

export const docker = new Docker({ socketPath: "/var/run/docker.sock" });

export interface TestWorkspace {
  dir: string;
  request(command: string[], over?: Partial<RunRequest>): RunRequest;
}

export function workspaces() {
  const made: string[] = [];
  return {
    make(tenantId = "00000000-0000-0000-0000-0000000000aa"): TestWorkspace {
      const dir = mkdtempSync(path.join(os.tmpdir(), "autoscorer-docker-"));
      made.push(dir);
      for (const sub of ["input/data", "output", "logs", "scratch"])
        mkdirSync(path.join(dir, sub), { recursive: true });
      writeFileSync(path.join(dir, "input", "data", "x.csv"), "id,label\n1,a\n");
      writeFileSync(path.join(dir, "input", "gt.csv"), "id,label\n1,ground-truth-secret\n");
      return {
        dir,
        request: (command, over = {}) => ({
          jobId: `j${Math.random().toString(16).slice(2, 12)}`,
          attempt: 1,
          tenantId,
          image: BUSYBOX_IMAGE,
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
      };
    },
    removeAll() {
      for (const dir of made) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Finished {
  outcome: RunOutcome;
  events: RunEvent[];
  stdout: string[];
  stderr: string[];
}

export async function finish(handle: RunHandle): Promise<Finished> {
  const events: RunEvent[] = [];
  for await (const event of handle.events) events.push(event);
  const lines = (stream: string) =>
    events.flatMap((e) => (e.type === "log" && e.stream === stream ? [e.line] : []));
  return {
    outcome: await handle.outcome,
    events,
    stdout: lines("stdout"),
    stderr: lines("stderr"),
  };
}

export async function untilRunning(handle: RunHandle): Promise<RunEvent[]> {
  const seen: RunEvent[] = [];
  for await (const event of handle.events) {
    seen.push(event);
    if (event.type === "phase" && event.phase === "RUNNING") return seen;
  }
  throw new Error(`the run ended before RUNNING: ${JSON.stringify(await handle.outcome)}`);
}

/** Reads a run once: `running` settles at RUNNING (rejects if it never got there). */
export function follow(handle: RunHandle): { running: Promise<void>; finished: Promise<Finished> } {
  let reached: () => void = () => {};
  let never: (error: Error) => void = () => {};
  const running = new Promise<void>((resolve, reject) => {
    reached = resolve;
    never = reject;
  });
  const finished = (async () => {
    const events: RunEvent[] = [];
    for await (const event of handle.events) {
      events.push(event);
      if (event.type === "phase" && event.phase === "RUNNING") reached();
    }
    never(new Error(`the run ended before RUNNING: ${JSON.stringify(await handle.outcome)}`));
    const lines = (stream: string) =>
      events.flatMap((e) => (e.type === "log" && e.stream === stream ? [e.line] : []));
    return {
      outcome: await handle.outcome,
      events,
      stdout: lines("stdout"),
      stderr: lines("stderr"),
    };
  })();
  // A run that never reaches RUNNING is reported by whoever awaits `running`, if anyone does.
  running.catch(() => {});
  return { running, finished };
}

/** Containers (any state) carrying `node`'s label. */
export async function containersOf(node: string): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: { label: [`${LABELS.node}=${node}`] } });
}

export const sh = (script: string) => ["sh", "-c", script];

export const randomNode = (purpose: string) =>
  `test-${purpose}-${Math.random().toString(16).slice(2, 10)}`;
