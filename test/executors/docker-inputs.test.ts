// The Docker executor given bad settings and bad requests, on the real engine: each is
// refused with the code a user can act on, before any container exists where it can be,
// and never leaves one behind. And the edges of good requests: an empty command, a zero
// time limit, a command that closes its output early, the same run started twice.
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import {
  createDockerExecutor,
  type DockerExecutorOptions,
  DockerOptionsError,
} from "../../src/executors/docker/docker-executor.ts";
import { LABELS } from "../../src/executors/docker/labels.ts";
import type { Executor, RunRequest } from "../../src/executors/types.ts";
import { describeWithDocker } from "../helpers/docker.ts";
import { BUSYBOX_IMAGE } from "../images/build.ts";
import {
  containersOf,
  docker,
  finish,
  follow,
  randomNode,
  sh,
  workspaces,
} from "./docker-helpers.ts";

const node = randomNode("inputs");
const executors: Executor[] = [];
const make = (over: Partial<DockerExecutorOptions> = {}) => {
  const executor = createDockerExecutor({
    nodeName: node,
    pullPolicy: "never",
    killGraceMs: 300,
    ...over,
  });
  executors.push(executor);
  return executor;
};
const spaces = workspaces();

describe("docker executor options", () => {
  it.each([
    ["an empty node name", { nodeName: "" }],
    ["a node name with a newline", { nodeName: "a\nb" }],
    ["root as the run user", { runAsUser: 0 }],
    ["root's group as the run group", { runAsGroup: 0 }],
    ["a fractional run user", { runAsUser: 1000.5 }],
    ["an unknown pull policy", { pullPolicy: "sometimes" as DockerExecutorOptions["pullPolicy"] }],
    ["a pids limit of zero", { pidsLimit: 0 }],
    ["a negative /tmp size", { tmpSizeMb: -1 }],
    ["a fractional GPU count", { gpus: 0.5 }],
    ["a capacity cap of zero", { capacity: { maxJobs: 0 } }],
    ["a negative usage delay", { usageDelayMs: -1 }],
  ])("refuses %s when it is made", (_, over) => {
    expect(() => createDockerExecutor({ nodeName: "n", ...over })).toThrow(DockerOptionsError);
  });
});

describeWithDocker("docker executor inputs", () => {
  afterEach(async () => {
    expect(await containersOf(node)).toEqual([]);
  });
  afterAll(async () => {
    for (const executor of executors) await executor.close();
    await make().sweep(() => false);
    spaces.removeAll();
  });

  const refusedBeforeAnyContainer = async (request: RunRequest, code: string) => {
    const run = await finish(make().start(request));
    expect(run.outcome).toMatchObject({ ok: false, code });
    const phases = run.events.flatMap((e) => (e.type === "phase" ? [e.phase] : []));
    expect(phases).toEqual(["PREPARING", "EXITED"]);
    return run;
  };

  it.each<[string, (ws: ReturnType<typeof spaces.make>) => Partial<RunRequest>]>([
    ["no image", () => ({ image: null })],
    ["an empty image", () => ({ image: "  " })],
    ["a mount target outside the workspace", (ws) => mountAt(ws, "../escape")],
    ["an absolute mount target", (ws) => mountAt(ws, "/etc")],
    ["a mount target that climbs out", (ws) => mountAt(ws, "a/../../b")],
    ["an empty mount target", (ws) => mountAt(ws, "")],
    ["the workspace itself as a mount target", (ws) => mountAt(ws, ".")],
    [
      "a relative mount source",
      () => ({ mounts: [{ source: "relative/dir", target: "data", readOnly: true }] }),
    ],
    [
      "the host's root as a mount source",
      () => ({ mounts: [{ source: "/", target: "host", readOnly: true }] }),
    ],
    [
      "the engine's socket as a mount source",
      () => ({ mounts: [{ source: "/var/run/docker.sock", target: "d", readOnly: true }] }),
    ],
    [
      "two mounts at one target",
      (ws) => ({
        mounts: [
          { source: path.join(ws.dir, "output"), target: "output", readOnly: false },
          { source: path.join(ws.dir, "logs"), target: "output", readOnly: true },
        ],
      }),
    ],
    ["an environment name with '='", () => ({ env: { "A=B": "x" } })],
    ["an empty environment name", () => ({ env: { "": "x" } })],
    ["no memory", () => ({ resources: { cpuMillis: 500, memoryMb: 0, gpus: 0 } })],
    [
      "less memory than the engine allows",
      () => ({ resources: { cpuMillis: 500, memoryMb: 3, gpus: 0 } }),
    ],
    ["fractional memory", () => ({ resources: { cpuMillis: 500, memoryMb: 64.5, gpus: 0 } })],
    ["no CPU", () => ({ resources: { cpuMillis: 0, memoryMb: 64, gpus: 0 } })],
    ["negative GPUs", () => ({ resources: { cpuMillis: 500, memoryMb: 64, gpus: -1 } })],
  ])("refuses %s as CONTAINER_CREATE_FAILED", async (_, over) => {
    const ws = spaces.make();
    const run = await refusedBeforeAnyContainer(
      ws.request(sh("true"), over(ws)),
      "CONTAINER_CREATE_FAILED",
    );
    expect(run.outcome).toMatchObject({ message: expect.stringContaining("cannot be created") });
  });

  it("refuses a mount source that does not exist, and does not create it on the host", async () => {
    const ws = spaces.make();
    const missing = path.join(ws.dir, "no-such-folder");
    const run = await finish(
      make().start(
        ws.request(sh("true"), { mounts: [{ source: missing, target: "data", readOnly: true }] }),
      ),
    );
    expect(run.outcome).toMatchObject({ ok: false, code: "CONTAINER_CREATE_FAILED" });
    expect(existsSync(missing)).toBe(false);
  });

  it("reports the engine refusing a config (more CPU than the machine has) as CONTAINER_CREATE_FAILED", async () => {
    const run = await finish(
      make().start(
        spaces
          .make()
          .request(sh("true"), { resources: { cpuMillis: 512_000, memoryMb: 64, gpus: 0 } }),
      ),
    );
    expect(run.outcome).toMatchObject({ ok: false, code: "CONTAINER_CREATE_FAILED" });
  });

  it("reports an image name that is not a valid reference as IMAGE_NOT_FOUND", async () => {
    await refusedBeforeAnyContainer(
      spaces.make().request(sh("true"), { image: "Not A Valid/Image!" }),
      "IMAGE_NOT_FOUND",
    );
  });

  it("refuses GPUs the node does not offer, or without a GPU runtime, as GPU_NOT_AVAILABLE", async () => {
    const gpuRequest = () =>
      spaces.make().request(sh("true"), { resources: { cpuMillis: 500, memoryMb: 64, gpus: 1 } });
    const none = await finish(make().start(gpuRequest()));
    expect(none.outcome).toMatchObject({
      code: "GPU_NOT_AVAILABLE",
      message: expect.stringContaining("offers 0"),
    });
    // This engine has no GPU runtime, whatever the operator says the node has.
    const noRuntime = await finish(make({ gpus: 1 }).start(gpuRequest()));
    expect(noRuntime.outcome).toMatchObject({
      code: "GPU_NOT_AVAILABLE",
      message: expect.stringContaining('no "nvidia" runtime'),
    });
    expect((await make({ gpus: 1 }).health()).capacity.gpus).toBe(0);
  });

  it.each([
    ["a file that is not executable", ["/etc/passwd"]],
    ["a directory", ["/workspace/input/data"]],
    ["a name not on PATH", ["no-such-command"]],
  ])("reports a command that cannot start (%s) as EXECUTION_FAILED", async (_, command) => {
    const run = await finish(make().start(spaces.make().request(command)));
    expect(run.outcome).toMatchObject({ ok: false, code: "EXECUTION_FAILED" });
  });

  it("runs the image's own command when the request has none", async () => {
    // The test image's CMD is `sh`, which reads its (empty) stdin and exits 0.
    const run = await finish(make().start(spaces.make().request([])));
    expect(run.outcome).toMatchObject({ ok: true });
  });

  it("keeps output without a final newline, and env values as given", async () => {
    const value = "line one\nline two ✓ ' \" $HOME";
    const run = await finish(
      make().start(
        spaces.make().request(sh('printf "%s" "$V"; printf tail'), { env: { V: value } }),
      ),
    );
    expect(run.outcome).toMatchObject({ ok: true });
    expect(run.stdout).toEqual(["line one", "line two ✓ ' \" $HOMEtail"]);
  });

  it("waits for the exit of a command that closes its output early", async () => {
    const began = Date.now();
    const run = await finish(
      make().start(spaces.make().request(sh("exec >&- 2>&-; sleep 1; exit 4"))),
    );
    expect(run.outcome).toMatchObject({ ok: false, code: "EXECUTION_FAILED", exitCode: 4 });
    expect(Date.now() - began).toBeGreaterThanOrEqual(1000);
  });

  it("ends a run with no time at all as TIME_LIMIT_EXCEEDED", async () => {
    const run = await finish(
      make().start(spaces.make().request(sh("sleep 30"), { timeLimitMs: 0 })),
    );
    expect(run.outcome).toMatchObject({ ok: false, code: "TIME_LIMIT_EXCEEDED" });
  });

  it("cancels a run still PREPARING without ever starting it", async () => {
    const ws = spaces.make();
    const handle = make().start(ws.request(sh("echo started > output/started")));
    await handle.stop("CANCELLED");
    await handle.stop("CANCELLED");
    const run = await finish(handle);
    expect(run.outcome).toMatchObject({ ok: false, code: "CANCELLED" });
    expect(existsSync(path.join(ws.dir, "output", "started"))).toBe(false);
    await handle.stop("SHUTDOWN");
    expect(await handle.outcome).toMatchObject({ code: "CANCELLED" });
  });

  it("refuses a second start of the same run on the node while the first goes on", async () => {
    const ws = spaces.make();
    const request = ws.request(sh("sleep 1; echo first"));
    const executor = make();
    const first = follow(executor.start(request));
    await first.running;
    const second = await finish(
      executor.start({ ...request, logDir: path.join(ws.dir, "scratch") }),
    );
    expect(second.outcome).toMatchObject({
      ok: false,
      code: "CONTAINER_CREATE_FAILED",
      message: expect.stringContaining("already exists"),
    });
    const done = await first.finished;
    expect(done.outcome).toMatchObject({ ok: true });
    expect(done.stdout).toEqual(["first"]);
  });

  it("holds a busy loop to its CPU quota in the usage samples", async () => {
    const run = await finish(
      make({ usageDelayMs: 0 }).start(
        spaces.make().request(sh("while :; do :; done"), {
          resources: { cpuMillis: 250, memoryMb: 64, gpus: 0 },
          timeLimitMs: 2500,
        }),
      ),
    );
    expect(run.outcome).toMatchObject({ code: "TIME_LIMIT_EXCEEDED" });
    const cpu = run.events.flatMap((e) => (e.type === "usage" ? [e.cpuMillis] : []));
    expect(cpu.length).toBeGreaterThan(1);
    expect(Math.max(...cpu)).toBeGreaterThan(0);
    // Unthrottled, a busy loop shows ~1000 millicores; at a 250 quota it cannot.
    expect(Math.max(...cpu)).toBeLessThanOrEqual(250 * 1.5);
  });

  it.skipIf(process.getuid?.() !== 0)(
    "gives the output folder to the run user when the worker is root",
    async () => {
      const ws = spaces.make();
      const run = await finish(make().start(ws.request(sh("echo x > output/mine"))));
      expect(run.outcome).toMatchObject({ ok: true });
      expect(statSync(path.join(ws.dir, "output"))).toMatchObject({ uid: 1000, gid: 1000 });
      expect(statSync(path.join(ws.dir, "output", "mine"))).toMatchObject({ uid: 1000 });
    },
  );

  it("samples usage only once a run has gone on for usageDelayMs", async () => {
    const brief = await finish(
      make({ usageDelayMs: 800 }).start(spaces.make().request(sh("true"))),
    );
    expect(brief.events.some((e) => e.type === "usage")).toBe(false);
    const longer = await finish(
      make({ usageDelayMs: 200 }).start(spaces.make().request(sh("sleep 2"))),
    );
    const running = longer.events.find((e) => e.type === "phase" && e.phase === "RUNNING");
    const first = longer.events.find((e) => e.type === "usage");
    expect(first).toBeDefined();
    expect((first?.at ?? 0) - (running?.at ?? 0)).toBeGreaterThanOrEqual(200);
  });

  it("reports health and capacity from the engine, bounded by the options", async () => {
    const info = await docker.info();
    const open = await make().health();
    expect(open).toMatchObject({
      healthy: true,
      capacity: {
        cpuMillis: info.NCPU * 1000,
        memoryMb: Math.floor(info.MemTotal / 2 ** 20),
        gpus: 0,
        maxJobs: info.NCPU,
      },
    });
    const capped = await make({
      capacity: { cpuMillis: 1500, memoryMb: 1024, maxJobs: 3 },
    }).health();
    expect(capped.capacity).toEqual({ cpuMillis: 1500, memoryMb: 1024, gpus: 0, maxJobs: 3 });
  });

  it("adopts nothing when there is nothing, and nothing after close", async () => {
    const executor = make();
    const request = spaces.make().request(sh("true"));
    expect(await executor.adopt(request)).toBeNull();
    await executor.close();
    await expect(executor.adopt(request)).rejects.toMatchObject({ code: "EXECUTOR_UNAVAILABLE" });
  });

  it("sweeps this node's containers without run labels, and never another node's", async () => {
    const other = randomNode("other");
    const orphan = await docker.createContainer({
      Image: BUSYBOX_IMAGE,
      Cmd: ["true"],
      Labels: { [LABELS.node]: node },
    });
    const foreign = await docker.createContainer({
      Image: BUSYBOX_IMAGE,
      Cmd: ["true"],
      Labels: { [LABELS.node]: other, [LABELS.job]: "j", [LABELS.attempt]: "1" },
    });
    try {
      expect(await make().sweep(() => false)).toBe(1);
      await expect(orphan.inspect()).rejects.toMatchObject({ statusCode: 404 });
      expect((await foreign.inspect()).Id).toBe(foreign.id);
    } finally {
      await foreign.remove({ force: true });
      await orphan.remove({ force: true }).catch(() => {
        // Removed by the sweep, as the test expects.
      });
    }
  });
});

function mountAt(ws: { dir: string }, target: string): Partial<RunRequest> {
  return { mounts: [{ source: path.join(ws.dir, "output"), target, readOnly: false }] };
}
