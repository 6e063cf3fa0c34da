// What a stranger's code can and cannot do inside a Docker run, proven from inside probe
// containers on the real engine: no network, a read-only root, no root and no privileges,
// a capped process table, hard memory and time limits, nothing of the host or of other
// tenants beyond its own mounts. And the executor's own promise: no container outlives
// its run, whether it succeeds, fails, is cancelled, or its worker is SIGKILLed.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { afterAll, afterEach, expect, it } from "vitest";
import { createDockerExecutor } from "../../src/executors/docker/docker-executor.ts";
import { LABELS } from "../../src/executors/docker/labels.ts";
import { type Executor, type ForeignRun, runKey } from "../../src/executors/types.ts";
import { describeWithDocker } from "../helpers/docker.ts";
import { NODE_IMAGE } from "../images/build.ts";
import {
  containersOf,
  docker,
  finish,
  follow,
  randomNode,
  sh,
  untilRunning,
  workspaces,
} from "./docker-helpers.ts";

const node = randomNode("isolation");
const PIDS_LIMIT = 64;
const executors: Executor[] = [];
const make = () => {
  const executor = createDockerExecutor({
    nodeName: node,
    pullPolicy: "never",
    killGraceMs: 300,
    pidsLimit: PIDS_LIMIT,
  });
  executors.push(executor);
  return executor;
};
const spaces = workspaces();

/** The host's own IPv4 addresses (docker0 included): where a server on the host listens. */
const hostAddresses = () =>
  Object.values(os.networkInterfaces())
    .flat()
    .flatMap((a) => (a && a.family === "IPv4" && !a.internal ? [a.address] : []));

describeWithDocker("docker executor isolation", () => {
  afterEach(async () => {
    // Every run below ends with its container removed: success, failure, cancel, timeout.
    expect(await containersOf(node)).toEqual([]);
  });
  afterAll(async () => {
    for (const executor of executors) await executor.close();
    await make().sweep(() => false);
    spaces.removeAll();
  });

  it("creates every container hardened, with exactly the request's mounts", async () => {
    const ws = spaces.make();
    const handle = make().start(
      ws.request(sh("sleep 30"), { resources: { cpuMillis: 250, memoryMb: 96, gpus: 0 } }),
    );
    await untilRunning(handle);
    const [found] = await containersOf(node);
    expect(found).toBeDefined();
    const info = await docker.getContainer(found?.Id ?? "").inspect();
    await handle.stop("CANCELLED");
    expect((await handle.outcome).ok).toBe(false);
    const host = info.HostConfig;
    expect(host).toMatchObject({
      NetworkMode: "none",
      ReadonlyRootfs: true,
      CapDrop: ["ALL"],
      SecurityOpt: ["no-new-privileges"],
      Privileged: false,
      PidsLimit: PIDS_LIMIT,
      Memory: 96 * 2 ** 20,
      MemorySwap: 96 * 2 ** 20,
      NanoCpus: 250_000_000,
      Init: true,
      OomScoreAdj: 500,
      IpcMode: "private",
      RestartPolicy: { Name: "no" },
    });
    expect(host.Binds ?? []).toEqual([]);
    expect(host.CapAdd ?? []).toEqual([]);
    expect(host.Tmpfs?.["/tmp"]).toMatch(/noexec/);
    expect(info.Config.User).toBe("1000:1000");
    expect(info.Config.WorkingDir).toBe("/workspace");
    const mounts = info.Mounts.map((m) => [m.Source, m.Destination, m.RW]);
    expect(mounts.sort()).toEqual(
      [
        [path.join(ws.dir, "input", "data"), "/workspace/input/data", false],
        [path.join(ws.dir, "output"), "/workspace/output", true],
      ].sort(),
    );
    expect(JSON.stringify(info)).not.toContain("docker.sock");
  });

  it("has no network: DNS fails and a server listening on the host is unreachable", async () => {
    const accepted: net.Socket[] = [];
    const server = net.createServer((socket) => {
      accepted.push(socket);
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, "0.0.0.0", resolve));
    const port = (server.address() as net.AddressInfo).port;
    const addresses = hostAddresses();
    try {
      // Control: the server is there, on every address the probe will try.
      for (const address of addresses) {
        await new Promise<void>((resolve, reject) => {
          const socket = net.connect(port, address, () => {
            socket.destroy();
            resolve();
          });
          socket.once("error", reject);
        });
      }
      const seenByControl = accepted.length;
      const probe = [
        ...addresses.map(
          (a) =>
            `if nc -w 2 ${a} ${port} </dev/null; then echo "tcp ${a} reached"; else echo "tcp ${a} blocked"; fi`,
        ),
        "if nslookup example.com >/dev/null 2>&1; then echo dns-resolved; else echo dns-failed; fi",
        "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '",
      ].join("; ");
      const run = await finish(make().start(spaces.make().request(sh(probe))));
      expect(run.outcome).toMatchObject({ ok: true });
      expect(run.stdout).toEqual([...addresses.map((a) => `tcp ${a} blocked`), "dns-failed", "lo"]);
      expect(accepted.length).toBe(seenByControl);
    } finally {
      server.close();
    }
  });

  it("runs as a user without root, capabilities or new privileges, on a read-only root", async () => {
    const probe = [
      "id -u; id -g",
      "grep -E '^(CapEff|CapPrm|CapBnd|NoNewPrivs)' /proc/self/status | tr -d '\\t'",
      "touch /probe 2>/dev/null && echo root-writable || echo root-read-only",
      "touch /workspace/probe 2>/dev/null && echo workdir-writable || echo workdir-read-only",
      "echo x > /tmp/probe && echo tmp-writable",
      "cp /bin/busybox /tmp/bb && { /tmp/bb true 2>/dev/null && echo tmp-exec || echo tmp-noexec; }",
      "echo out > output/probe && echo output-writable",
    ].join("; ");
    const ws = spaces.make();
    const run = await finish(make().start(ws.request(sh(probe))));
    expect(run.outcome).toMatchObject({ ok: true });
    expect(run.stdout).toEqual([
      "1000",
      "1000",
      "CapPrm:0000000000000000",
      "CapEff:0000000000000000",
      "CapBnd:0000000000000000",
      "NoNewPrivs:1",
      "root-read-only",
      "workdir-read-only",
      "tmp-writable",
      "tmp-noexec",
      "output-writable",
    ]);
    expect(readFileSync(path.join(ws.dir, "output", "probe"), "utf8")).toBe("out\n");
  });

  it("caps a fork bomb at the pids limit; the host goes on unharmed", async () => {
    const ws = spaces.make();
    // The classic bomb, each copy leaving a sleeper that holds its slot, so the container
    // stays pressed against the ceiling. It starts in a subshell: the main shell forks that
    // once, before there is any bomb, and never again (a fork it tried at the ceiling would
    // fail and end it). It watches its cgroup's process count with builtins only and
    // reports the most it saw and how many forks the kernel refused.
    const bomb = [
      "d=/sys/fs/cgroup/pids; [ -r $d/pids.current ] || d=/sys/fs/cgroup",
      "b() { sleep 1000 & b | b & }; ( b ) &",
      "most=0; i=0",
      "while [ $i -lt 100000 ]; do read c < $d/pids.current; [ $c -gt $most ] && most=$c; i=$((i+1)); done",
      "read refused < $d/pids.events; read limit < $d/pids.max",
      'echo "most $most"; echo "refused $refused"; echo "limit $limit"',
    ].join("\n");
    const run = follow(make().start(ws.request(sh(bomb), { timeLimitMs: 15_000 })));
    await run.running;
    const [found] = await containersOf(node);
    const container = docker.getContainer(found?.Id ?? "");
    let mostSeenFromHost = 0;
    const hostForks: boolean[] = [];
    const sampling = (async () => {
      for (;;) {
        const stats = await container.stats({ stream: false, "one-shot": true }).catch(() => null);
        const current = stats?.pids_stats?.current;
        if (!current) return;
        mostSeenFromHost = Math.max(mostSeenFromHost, current);
        hostForks.push(execFileSync("true", { timeout: 2000 }).length === 0);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    const { outcome, stdout, stderr } = await run.finished;
    await sampling;
    expect(outcome).toMatchObject({ ok: true });
    expect(stderr.some((line) => line.includes("can't fork"))).toBe(true);
    const report = Object.fromEntries(
      stdout.map((line) => [line.slice(0, line.indexOf(" ")), line.slice(line.indexOf(" ") + 1)]),
    );
    expect(report.limit).toBe(String(PIDS_LIMIT));
    // It reached the ceiling (the kernel counts each fork it refused there: "max N") and
    // never went through it, as seen from inside and from the host.
    expect(report.refused).toMatch(/^max [1-9]\d*$/);
    expect(Number(report.most)).toBeGreaterThan(1);
    expect(Number(report.most)).toBeLessThanOrEqual(PIDS_LIMIT);
    expect(mostSeenFromHost).toBeLessThanOrEqual(PIDS_LIMIT);
    // Meanwhile the host forked as usual.
    expect(hostForks.length).toBeGreaterThan(0);
    expect(hostForks.every(Boolean)).toBe(true);
    // And not one of the container's processes survives it on the host.
    const id = found?.Id ?? "";
    const survivors = readdirSync("/proc").filter((pid) => {
      if (!/^\d+$/.test(pid)) return false;
      try {
        return readFileSync(`/proc/${pid}/cgroup`, "utf8").includes(id);
      } catch {
        return false; // exited while being read
      }
    });
    expect(survivors).toEqual([]);
  });

  it("ends a memory bomb as MEMORY_LIMIT_EXCEEDED", async () => {
    // One buffer far above the limit, filled at once: the kernel has nothing to reclaim but
    // the program's own code pages, and kills it. (Small allocations in a loop can instead
    // make it evict and re-read node's code over and over when those pages were first read
    // by this container: it then crawls to its deadline, which the time-limit message
    // reports: see test/unit/stop-messages.test.ts.)
    const hog = "const a = []; for (;;) a.push(Buffer.alloc(512 << 20, 1));";
    const run = await finish(
      make().start(
        spaces.make().request(["node", "-e", hog], {
          image: NODE_IMAGE,
          resources: { cpuMillis: 1000, memoryMb: 96, gpus: 0 },
        }),
      ),
    );
    expect(run.outcome).toMatchObject({ ok: false, code: "MEMORY_LIMIT_EXCEEDED", exitCode: 137 });
  });

  it("ends `sleep infinity` as TIME_LIMIT_EXCEEDED within the limit and 5 seconds", async () => {
    const began = Date.now();
    const run = await finish(
      make().start(spaces.make().request(["sleep", "infinity"], { timeLimitMs: 1500 })),
    );
    expect(run.outcome).toMatchObject({ ok: false, code: "TIME_LIMIT_EXCEEDED" });
    expect(Date.now() - began).toBeLessThan(1500 + 5000);
  });

  it("shows the mounted data but not the ground truth beside it", async () => {
    const probe = [
      "ls -a input",
      "find / \\( -path /proc -o -path /sys \\) -prune -o -name 'gt.*' -print",
      "cat input/data/x.csv",
    ].join("; ");
    const run = await finish(make().start(spaces.make().request(sh(probe))));
    expect(run.outcome).toMatchObject({ ok: true });
    expect(run.stdout).toEqual([".", "..", "data", "id,label", "1,a"]);
    expect(JSON.stringify(run.events)).not.toContain("ground-truth-secret");
  });

  it("cannot reach another tenant's workspace on the host", async () => {
    const other = spaces.make("00000000-0000-0000-0000-0000000000bb");
    const secret = path.join(other.dir, "output", "pred.csv");
    writeFileSync(secret, "id,label\n1,tenant-b-secret\n");
    const probe = [
      `cat ${secret} 2>/dev/null || echo cat-failed`,
      `ls ${other.dir} 2>/dev/null || echo ls-failed`,
      "find / \\( -path /proc -o -path /sys \\) -prune -o -name pred.csv -print",
      "grep -rs tenant-b-secret /workspace /tmp || echo grep-found-nothing",
    ].join("; ");
    const run = await finish(make().start(spaces.make().request(sh(probe))));
    expect(run.outcome).toMatchObject({ ok: true });
    expect(run.stdout).toEqual(["cat-failed", "ls-failed", "grep-found-nothing"]);
    expect(readFileSync(secret, "utf8")).toContain("tenant-b-secret");
  });

  it("removes the container after success, failure and cancel", async () => {
    const executor = make();
    const ok = await finish(executor.start(spaces.make().request(sh("echo fine"))));
    expect(ok.outcome).toMatchObject({ ok: true });
    expect(await containersOf(node)).toEqual([]);
    const bad = await finish(executor.start(spaces.make().request(sh("exit 3"))));
    expect(bad.outcome).toMatchObject({ code: "EXECUTION_FAILED", exitCode: 3 });
    expect(await containersOf(node)).toEqual([]);
    const cancelled = executor.start(spaces.make().request(sh("sleep 30")));
    await untilRunning(cancelled);
    expect(await containersOf(node)).toHaveLength(1);
    await cancelled.stop("CANCELLED");
    expect(await cancelled.outcome).toMatchObject({ code: "CANCELLED" });
    expect(await containersOf(node)).toEqual([]);
  });

  it("after a SIGKILLed worker: adopts the run that is kept and sweeps the other", async () => {
    const kept = spaces.make();
    const dropped = spaces.make();
    const keptRequest = kept.request(sh("sleep 3; echo finished > output/done"));
    const droppedRequest = dropped.request(sh("sleep 30; echo finished > output/done"));
    const child: ChildProcess = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        path.join(import.meta.dirname, "docker-worker-child.ts"),
        JSON.stringify({ node, requests: [keptRequest, droppedRequest] }),
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    try {
      const running = new Set<string>();
      const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
      for await (const line of lines) {
        if (line.startsWith("running ")) running.add(line.slice("running ".length));
        if (running.size === 2) break;
      }
      expect(running).toEqual(new Set([keptRequest.jobId, droppedRequest.jobId]));
    } finally {
      child.kill("SIGKILL");
    }
    await new Promise((resolve) => child.once("exit", resolve));
    // The worker is gone; its containers are not.
    expect(await containersOf(node)).toHaveLength(2);

    const restarted = make();
    const adopted = await restarted.adopt(keptRequest);
    expect(adopted).not.toBeNull();
    expect(await restarted.sweep((jobId) => jobId === keptRequest.jobId)).toBe(1);
    expect(await restarted.adopt(droppedRequest)).toBeNull();
    const run = adopted ? await finish(adopted) : null;
    expect(run?.outcome).toMatchObject({ ok: true });
    expect(run?.events[0]).toMatchObject({ type: "phase", phase: "RUNNING" });
    expect(readFileSync(path.join(kept.dir, "output", "done"), "utf8")).toBe("finished\n");
    expect(existsSync(path.join(dropped.dir, "output", "done"))).toBe(false);
  });

  it("removes another node's runs once they are over, and only those", async () => {
    const deadNode = randomNode("dead");
    const over = spaces.make().request(sh("sleep 30"));
    const current = spaces.make().request(sh("sleep 30"));
    const child: ChildProcess = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        path.join(import.meta.dirname, "docker-worker-child.ts"),
        JSON.stringify({ node: deadNode, requests: [over, current] }),
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    try {
      let running = 0;
      const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
      for await (const line of lines) if (line.startsWith("running ") && ++running === 2) break;
    } finally {
      child.kill("SIGKILL");
    }
    await new Promise((resolve) => child.once("exit", resolve));
    expect(await containersOf(deadNode)).toHaveLength(2);

    // This file's node sweeps: it is asked about the dead node's runs (never its own), and
    // removes the one said to be over; the current one stays for its node to adopt.
    const live = make();
    const asked: ForeignRun[] = [];
    const removed = await live.sweepForeign?.(async (runs) => {
      asked.push(...runs);
      return new Set([runKey(over)]);
    });
    expect(removed).toBe(1);
    expect(asked).toEqual(
      expect.arrayContaining([
        { jobId: over.jobId, attempt: 1, node: deadNode },
        { jobId: current.jobId, attempt: 1, node: deadNode },
      ]),
    );
    expect(asked.filter((run) => run.node === node)).toEqual([]);
    const left = await containersOf(deadNode);
    expect(left.map((c) => c.Labels[LABELS.job])).toEqual([current.jobId]);
    expect(left[0]?.State).toBe("running");

    expect(await live.sweepForeign?.(async () => new Set([runKey(current)]))).toBe(1);
    expect(await containersOf(deadNode)).toEqual([]);
  });

  it("reports an absent image as IMAGE_NOT_FOUND under every pull policy, pulling nothing", async () => {
    const absent = `autoscorer-test/absent-${Math.random().toString(16).slice(2, 10)}:1`;
    for (const pullPolicy of ["never", "if-not-present", "always"] as const) {
      const executor = createDockerExecutor({ nodeName: node, pullPolicy });
      executors.push(executor);
      const run = await finish(
        executor.start(spaces.make().request(sh("true"), { image: absent })),
      );
      expect(run.outcome, pullPolicy).toMatchObject({ ok: false, code: "IMAGE_NOT_FOUND" });
      const phases = run.events.flatMap((e) => (e.type === "phase" ? [e.phase] : []));
      expect(phases).toEqual(["PREPARING", "EXITED"]);
    }
    await expect(docker.getImage(absent).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });

  it("reports an unreachable engine as EXECUTOR_UNAVAILABLE, and is unhealthy", async () => {
    const dir = spaces.make().dir;
    const nothing = path.join(dir, "nothing.sock");
    const hangUp = path.join(dir, "hang-up.sock");
    // A socket that accepts and closes at once: an engine dying as it is asked.
    const server = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(hangUp, resolve));
    try {
      for (const socketPath of [nothing, hangUp]) {
        const executor = createDockerExecutor({ nodeName: node, docker: { socketPath } });
        const ws = spaces.make();
        const run = await finish(executor.start(ws.request(sh("true"))));
        expect(run.outcome, socketPath).toMatchObject({ ok: false, code: "EXECUTOR_UNAVAILABLE" });
        expect(await executor.health()).toMatchObject({ healthy: false });
        await expect(executor.adopt(ws.request(sh("true")))).rejects.toMatchObject({
          code: "EXECUTOR_UNAVAILABLE",
        });
        await expect(executor.sweep(() => false)).rejects.toMatchObject({
          code: "EXECUTOR_UNAVAILABLE",
        });
        expect(
          JSON.parse(readFileSync(path.join(ws.dir, "logs", "run_info.json"), "utf8")),
        ).toMatchObject({ outcome: "EXECUTOR_UNAVAILABLE" });
      }
    } finally {
      server.close();
    }
  });

  it("ends a run EXECUTOR_UNAVAILABLE when the engine goes away mid-run", async () => {
    // A proxy in front of the real engine stands for dockerd: closing it is the engine
    // stopping, without touching the engine everyone shares.
    const dir = spaces.make().dir;
    const socketPath = path.join(dir, "engine.sock");
    mkdirSync(dir, { recursive: true });
    const sockets = new Set<net.Socket>();
    const proxy = net.createServer((client) => {
      const upstream = net.connect("/var/run/docker.sock");
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.once("close", () => sockets.delete(socket));
        socket.on("error", () => {
          // Torn down on purpose below; the other side sees the close.
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => proxy.listen(socketPath, resolve));
    const executor = createDockerExecutor({
      nodeName: node,
      docker: { socketPath },
      reconnectGraceMs: 1000,
      pullPolicy: "never",
    });
    const handle = executor.start(spaces.make().request(sh("sleep 30")));
    await untilRunning(handle);
    proxy.close();
    for (const socket of sockets) socket.destroy();
    const gone = Date.now();
    expect(await handle.outcome).toMatchObject({ ok: false, code: "EXECUTOR_UNAVAILABLE" });
    expect(Date.now() - gone).toBeLessThan(10_000);
    expect(await executor.health()).toMatchObject({ healthy: false });
    // The engine itself lived on, and so did the container; the next sweep removes it.
    expect(await make().sweep(() => false)).toBe(1);
  });
});
