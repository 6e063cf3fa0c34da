// bench:executors — the per-job overhead of running a trivial job in a hardened container:
// through the Docker executor (src/executors/docker) and through `docker run --rm` with the
// same flags, one after the other, N times, in alternating order so drift on a shared host
// hits both alike. The command is `sh -c 'echo ok'` in the busybox test image, so nearly all
// of the time measured is the container's lifecycle: create, attach, start, wait, remove.
// The executor's time runs from `start()` to its outcome (the container is gone and
// container.log and run_info.json are written by then); `docker run`'s from spawning the
// CLI to its exit (it waits for the removal too).
//
//   npm run bench:executors          (BENCH_RUNS=50 or more; default 60)
//
// The Kubernetes executor runs the same job against the fake API server (test/kube), whose
// kubelet starts the pod on the same Docker engine: its row shows what the Job, the watch
// and the log stream add on top of a container. Set BENCH_KUBERNETES=0 to leave it out.
// Other backends join through `benchExecutors({ extraBackends })`: a backend is a name and
// a `runOnce()` that runs the same job and resolves with its wall time in ms (see
// `BenchBackend` and `benchJob`).
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type Docker from "dockerode";
import { containerConfig } from "../src/executors/docker/container-config.ts";
import { createDockerExecutor } from "../src/executors/docker/docker-executor.ts";
import { resolveOptions } from "../src/executors/docker/options.ts";
import type { Executor, RunPhase, RunRequest } from "../src/executors/types.ts";
import { BUSYBOX_IMAGE, ensureTestImages } from "../test/images/build.ts";
import { kubernetesBackend } from "./kubernetes-path.ts";
import { fmt, percentile } from "./lib.ts";

const RUNS = Number(process.env.BENCH_RUNS ?? 60);
const WARMUP = 3;
const NODE = `bench-${process.pid}`;

/** One way of running the benchmark's job; resolves with the job's wall time in ms. */
export interface BenchBackend {
  name: string;
  runOnce(): Promise<number>;
  /** Per-phase times of the last run, when the backend can tell them apart. */
  lastPhases?(): Record<string, number> | null;
  close?(): Promise<void>;
}

export interface BackendResult {
  name: string;
  runs: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  /** Median time per phase, for backends that report phases. */
  phasesP50?: Record<string, number>;
}

/** The job every backend runs: its request, in a throwaway workspace. */
export function benchJob(): { request: RunRequest; dir: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), "autoscorer-bench-executors-"));
  for (const sub of ["input/data", "output", "logs", "scratch"])
    mkdirSync(path.join(dir, sub), { recursive: true });
  writeFileSync(path.join(dir, "input", "data", "x.csv"), "id,label\n1,a\n");
  return {
    dir,
    request: {
      jobId: "bench",
      attempt: 1,
      tenantId: "00000000-0000-0000-0000-0000000000aa",
      image: BUSYBOX_IMAGE,
      command: ["sh", "-c", "echo ok"],
      env: {},
      mounts: [
        { source: path.join(dir, "input", "data"), target: "input/data", readOnly: true },
        { source: path.join(dir, "output"), target: "output", readOnly: false },
      ],
      logDir: path.join(dir, "logs"),
      scratchDir: path.join(dir, "scratch"),
      resources: { cpuMillis: 500, memoryMb: 128, gpus: 0 },
      timeLimitMs: 60_000,
    },
  };
}

export function dockerExecutorBackend(request: RunRequest): BenchBackend {
  const executor: Executor = createDockerExecutor({ nodeName: NODE, pullPolicy: "never" });
  let sequence = 0;
  let phases: Record<string, number> | null = null;
  return {
    name: "Docker executor",
    async runOnce() {
      sequence += 1;
      const began = performance.now();
      const handle = executor.start({ ...request, jobId: `bench-${process.pid}-${sequence}` });
      const at: Partial<Record<RunPhase, number>> = {};
      for await (const event of handle.events)
        if (event.type === "phase") at[event.phase] = performance.now();
      const outcome = await handle.outcome;
      const ended = performance.now();
      if (!outcome.ok) throw new Error(`the executor's run failed: ${JSON.stringify(outcome)}`);
      const running = at.RUNNING ?? began;
      const exited = at.EXITED ?? ended;
      phases = {
        "create+attach+start": running - began,
        "run+wait+remove": exited - running,
        "log close+run_info": ended - exited,
      };
      return ended - began;
    },
    lastPhases: () => phases,
    close: () => executor.close(),
  };
}

/**
 * `docker run` arguments for the executor's own create options, so the CLI runs exactly
 * the container the executor makes. A create option this does not know is an error: a
 * hardening flag added to the executor must be added here too, or the comparison is off.
 */
export function dockerRunArgs(config: Docker.ContainerCreateOptions): string[] {
  const host = config.HostConfig ?? {};
  const args = ["run", "--rm"];
  const known = new Set([
    "NetworkMode",
    "ReadonlyRootfs",
    "Tmpfs",
    "CapDrop",
    "SecurityOpt",
    "Privileged",
    "PidsLimit",
    "Memory",
    "MemorySwap",
    "NanoCpus",
    "OomScoreAdj",
    "Mounts",
    "Init",
    "IpcMode",
    "RestartPolicy",
    "AutoRemove",
    "LogConfig",
    "DeviceRequests",
  ]);
  for (const [key, value] of Object.entries(host))
    if (value !== undefined && !known.has(key)) throw new Error(`dockerRunArgs: unknown ${key}`);
  args.push("--network", String(host.NetworkMode));
  if (host.ReadonlyRootfs) args.push("--read-only");
  for (const [dir, mountOptions] of Object.entries(host.Tmpfs ?? {}))
    args.push("--tmpfs", `${dir}:${mountOptions}`);
  for (const cap of host.CapDrop as string[]) args.push("--cap-drop", cap);
  for (const option of host.SecurityOpt as string[]) args.push("--security-opt", option);
  if (host.Privileged) args.push("--privileged");
  args.push("--pids-limit", String(host.PidsLimit));
  args.push("--memory", `${host.Memory}b`, "--memory-swap", `${host.MemorySwap}b`);
  args.push("--cpus", String((host.NanoCpus ?? 0) / 1e9));
  args.push("--oom-score-adj", String(host.OomScoreAdj));
  for (const mount of host.Mounts ?? [])
    args.push(
      "--mount",
      `type=bind,src=${mount.Source},dst=${mount.Target}${mount.ReadOnly ? ",readonly" : ""}`,
    );
  if (host.Init) args.push("--init");
  args.push("--ipc", String(host.IpcMode));
  args.push("--log-driver", String(host.LogConfig?.Type));
  args.push("-u", String(config.User), "-w", String(config.WorkingDir));
  for (const variable of config.Env ?? []) args.push("-e", variable);
  for (const [key, value] of Object.entries(config.Labels ?? {}))
    args.push("--label", `${key}=${value}`);
  args.push(String(config.Image), ...(config.Cmd ?? []));
  return args;
}

export function dockerRunBackend(request: RunRequest): BenchBackend {
  const options = resolveOptions({ nodeName: NODE, pullPolicy: "never" });
  const config = containerConfig(request, String(request.image), options);
  const args = dockerRunArgs(config);
  return {
    name: "docker run --rm",
    runOnce: () =>
      new Promise((resolve, reject) => {
        const began = performance.now();
        const child = spawn("docker", args, { stdio: ["ignore", "ignore", "inherit"] });
        child.once("error", reject);
        child.once("exit", (code) => {
          if (code === 0) resolve(performance.now() - began);
          else reject(new Error(`docker run exited with ${code}: docker ${args.join(" ")}`));
        });
      }),
  };
}

/** Runs every backend `runs` times, interleaved, rotating which goes first each round. */
export async function compareBackends(
  backends: BenchBackend[],
  runs: number,
): Promise<BackendResult[]> {
  const times = backends.map(() => [] as number[]);
  const phases = backends.map(() => [] as Record<string, number>[]);
  for (let round = -WARMUP; round < runs; round++) {
    for (let k = 0; k < backends.length; k++) {
      const index = (k + Math.max(0, round)) % backends.length;
      const backend = backends[index] as BenchBackend;
      const ms = await backend.runOnce();
      if (round < 0) continue;
      times[index]?.push(ms);
      const last = backend.lastPhases?.();
      if (last) phases[index]?.push(last);
    }
  }
  return backends.map((backend, index) => {
    const sorted = [...(times[index] ?? [])].sort((a, b) => a - b);
    const samples = phases[index] ?? [];
    const phasesP50 =
      samples.length > 0
        ? Object.fromEntries(
            Object.keys(samples[0] ?? {}).map((name) => [
              name,
              percentile(
                samples.map((s) => s[name] ?? 0).sort((a, b) => a - b),
                50,
              ),
            ]),
          )
        : undefined;
    return {
      name: backend.name,
      runs: sorted.length,
      p50Ms: percentile(sorted, 50),
      p99Ms: percentile(sorted, 99),
      meanMs: sorted.reduce((sum, ms) => sum + ms, 0) / Math.max(1, sorted.length),
      ...(phasesP50 ? { phasesP50 } : {}),
    };
  });
}

/** The benchmark: the Docker executor against `docker run`, plus any backend given. */
export async function benchExecutors(
  options: {
    runs?: number;
    extraBackends?: (request: RunRequest) => Promise<BenchBackend[]> | BenchBackend[];
  } = {},
): Promise<BackendResult[]> {
  const runs = options.runs ?? RUNS;
  if (runs < 1) throw new Error("BENCH_RUNS must be at least 1");
  ensureTestImages();
  const job = benchJob();
  const backends = [
    dockerExecutorBackend(job.request),
    dockerRunBackend(job.request),
    ...((await options.extraBackends?.(job.request)) ?? []),
  ];
  try {
    return await compareBackends(backends, runs);
  } finally {
    for (const backend of backends) await backend.close?.();
    rmSync(job.dir, { recursive: true, force: true });
  }
}

function report(results: BackendResult[]): string {
  const baseline = results.find((r) => r.name === "docker run --rm");
  const lines = [
    `bench:executors — ${results[0]?.runs ?? 0} runs per backend, interleaved; ${os.cpus().length} cores, ${fmt(os.totalmem() / 2 ** 30, 1)} GiB, Node ${process.versions.node}`,
    "",
    "| backend | p50 ms | p99 ms | mean ms | p50 / docker run | p99 / docker run |",
    "|---|---:|---:|---:|---:|---:|",
  ];
  for (const r of results) {
    const p50Ratio = baseline ? fmt(r.p50Ms / baseline.p50Ms, 2) : "—";
    const p99Ratio = baseline ? fmt(r.p99Ms / baseline.p99Ms, 2) : "—";
    lines.push(
      `| ${r.name} | ${fmt(r.p50Ms, 1)} | ${fmt(r.p99Ms, 1)} | ${fmt(r.meanMs, 1)} | ${p50Ratio} | ${p99Ratio} |`,
    );
  }
  for (const r of results) {
    if (!r.phasesP50) continue;
    const parts = Object.entries(r.phasesP50).map(([name, ms]) => `${name} ${fmt(ms, 1)} ms`);
    lines.push("", `${r.name}, median per phase: ${parts.join(", ")}`);
  }
  return lines.join("\n");
}

if (import.meta.filename === process.argv[1]) {
  const withKubernetes = process.env.BENCH_KUBERNETES !== "0";
  const results = await benchExecutors({
    extraBackends: async (request) => (withKubernetes ? [await kubernetesBackend(request)] : []),
  });
  process.stdout.write(`${report(results)}\n`);
}
