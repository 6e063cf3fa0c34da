// The Kubernetes executor against the fake cluster (test/kube), through the real
// @kubernetes/client-node: the conformance suite every backend passes, then what is
// particular to Kubernetes (image pulls, scheduling, the Job's deadline, the manifest's
// Pod Security fields, one Job per attempt, deletion on cancel, an API that does not
// answer, mounts the volume cannot express). The manifest and naming checks at the end
// need no cluster.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { Job } from "kubernetes-models/batch/v1";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createRefusalCode,
  jobFailureOutcome,
  KubeApiError,
  podFailure,
  terminatedOutcome,
  unschedulableOutcome,
  waitingFailure,
} from "../../src/executors/kubernetes/failures.ts";
import {
  buildJobManifest,
  validateJobManifest,
} from "../../src/executors/kubernetes/job-manifest.ts";
import {
  createKubernetesExecutor,
  type KubernetesExecutorOptions,
} from "../../src/executors/kubernetes/kubernetes-executor.ts";
import { jobName, labelValue } from "../../src/executors/kubernetes/naming.ts";
import { resolveOptions } from "../../src/executors/kubernetes/options.ts";
import { MountRefusedError, podMounts } from "../../src/executors/kubernetes/volumes.ts";
import type { Executor, RunEvent, RunHandle, RunRequest } from "../../src/executors/types.ts";
import { describeWithDocker } from "../helpers/docker.ts";
import { BUSYBOX_IMAGE } from "../images/build.ts";
import { type FakeKubernetes, startFakeKubernetes } from "../kube/server.ts";
import type { StoreEvent } from "../kube/store.ts";
import { describeExecutorConformance } from "./conformance.ts";

const CLAIM = "autoscorer-workspaces";
const capacity = { cpuMillis: 2000, memoryMb: 1024, gpus: 0, maxJobs: 4 };

/** The folder the fake cluster's workspace PVC maps; every test workspace lives under it. */
const root = mkdtempSync(path.join(os.tmpdir(), "autoscorer-k8s-volume-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const fastOptions = (
  fake: FakeKubernetes,
  nodeName: string,
  over: Partial<KubernetesExecutorOptions> = {},
): KubernetesExecutorOptions => ({
  nodeName,
  namespace: "default",
  cluster: { kubeConfig: fake.kubeConfig() },
  volumes: [{ hostPath: root, claimName: CLAIM }],
  capacity,
  terminationGracePeriodSeconds: 1,
  splitLogStreams: true,
  usageSampleMs: 200,
  unschedulableTimeoutSeconds: 2,
  apiRetryMs: 2000,
  ...over,
});

const startFake = (over: Parameters<typeof startFakeKubernetes>[0] = {}) =>
  startFakeKubernetes({
    claims: { [CLAIM]: root },
    node: { cpuMillis: 2000, memoryMb: 1024 },
    imagePullBackoffMs: 200,
    bookmarkIntervalMs: 500,
    ...over,
  });

function workspace(command: string[], over: Partial<RunRequest> = {}): RunRequest {
  const dir = mkdtempSync(path.join(root, "run-"));
  for (const sub of ["input/data", "output", "logs", "scratch"])
    mkdirSync(path.join(dir, sub), { recursive: true });
  writeFileSync(path.join(dir, "input", "data", "x.csv"), "id,label\n1,a\n");
  return {
    jobId: `k${Math.random().toString(16).slice(2, 10)}`,
    attempt: 1,
    tenantId: "00000000-0000-0000-0000-0000000000aa",
    image: BUSYBOX_IMAGE,
    command,
    env: {},
    mounts: [
      { source: path.join(dir, "input", "data"), target: "input/data", readOnly: true },
      { source: path.join(dir, "output"), target: "output", readOnly: false },
    ],
    logDir: path.join(dir, "logs"),
    scratchDir: path.join(dir, "scratch"),
    resources: { cpuMillis: 250, memoryMb: 64, gpus: 0 },
    timeLimitMs: 20_000,
    ...over,
  };
}

const sh = (script: string) => ["sh", "-c", script];

async function collect(handle: RunHandle): Promise<RunEvent[]> {
  const events: RunEvent[] = [];
  for await (const event of handle.events) events.push(event);
  return events;
}

async function untilRunning(handle: RunHandle): Promise<void> {
  for await (const event of handle.events)
    if (event.type === "phase" && event.phase === "RUNNING") return;
  throw new Error("the run ended before RUNNING");
}

const lines = (events: RunEvent[], stream?: "stdout" | "stderr") =>
  events.flatMap((e) => (e.type === "log" && (!stream || e.stream === stream) ? [e.line] : []));

describeWithDocker("kubernetes executor", () => {
  describe("conformance", () => {
    let fake: FakeKubernetes;
    beforeAll(async () => {
      fake = await startFake();
    });
    afterAll(async () => {
      await fake?.close();
    });
    describeExecutorConformance("kubernetes", {
      create: () => createKubernetesExecutor(fastOptions(fake, "conformance-node")),
      shellImage: BUSYBOX_IMAGE,
      adopts: true,
      sandboxed: true,
      root,
      startupMs: 3000,
    });
  });

  describe("on Kubernetes", () => {
    let fake: FakeKubernetes;
    const executors: Executor[] = [];
    const make = (node: string, over: Partial<KubernetesExecutorOptions> = {}, on = fake) => {
      const executor = createKubernetesExecutor(fastOptions(on, node, over));
      executors.push(executor);
      return executor;
    };
    beforeAll(async () => {
      fake = await startFake();
    });
    afterAll(async () => {
      for (const executor of executors) await executor.close();
      await fake?.close();
    });

    const manifestOf = (request: RunRequest) =>
      fake.acceptedJobs.filter(
        (a) =>
          (a.manifest as { metadata: { name: string } }).metadata.name ===
          jobName(request.jobId, request.attempt),
      );

    it("runs the command as a Job that meets Pod Security 'restricted', named after job and attempt", async () => {
      const request = workspace(sh("cp input/data/x.csv output/pred.csv; id -u; echo to-err >&2"), {
        env: { JOB_VAR: "mine" },
        resources: { cpuMillis: 250, memoryMb: 64, gpus: 0 },
      });
      const handle = make("node-a").start(request);
      const events = await collect(handle);
      expect(await handle.outcome).toMatchObject({ ok: true });
      expect(lines(events, "stdout")).toEqual(["1000"]);
      expect(lines(events, "stderr")).toEqual(["to-err"]);
      expect(readFileSync(path.join(request.mounts[1]?.source ?? "", "pred.csv"), "utf8")).toBe(
        "id,label\n1,a\n",
      );

      const [accepted] = manifestOf(request);
      const job = accepted?.manifest as Job;
      expect(() => new Job(job).validate()).not.toThrow();
      expect(job.metadata?.name).toMatch(/^autoscorer-k[0-9a-f]{8}-a1-[0-9a-f]{10}$/);
      expect(job.metadata?.labels).toMatchObject({
        "autoscorer.io/job": request.jobId,
        "autoscorer.io/attempt": "1",
        "autoscorer.io/node": "node-a",
        "autoscorer.io/tenant": request.tenantId,
      });
      expect(job.spec).toMatchObject({
        backoffLimit: 0,
        activeDeadlineSeconds: 20 + 600,
        ttlSecondsAfterFinished: 3600,
      });
      const pod = job.spec?.template.spec;
      expect(pod).toMatchObject({
        restartPolicy: "Never",
        automountServiceAccountToken: false,
        enableServiceLinks: false,
        securityContext: {
          runAsNonRoot: true,
          runAsUser: 1000,
          runAsGroup: 1000,
          seccompProfile: { type: "RuntimeDefault" },
        },
      });
      const container = pod?.containers[0];
      expect(container).toMatchObject({
        image: BUSYBOX_IMAGE,
        command: request.command,
        workingDir: "/workspace",
        env: [{ name: "JOB_VAR", value: "mine" }],
        resources: {
          requests: { cpu: "250m", memory: "64Mi" },
          limits: { cpu: "250m", memory: "64Mi" },
        },
        securityContext: {
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ["ALL"] },
        },
      });
      expect(container?.volumeMounts).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            mountPath: "/workspace/input/data",
            readOnly: true,
            subPath: `${path.basename(path.dirname(path.dirname(request.mounts[0]?.source ?? "")))}/input/data`,
          }),
          expect.objectContaining({ mountPath: "/workspace/output", readOnly: false }),
          expect.objectContaining({ mountPath: "/tmp" }),
        ]),
      );
      expect(pod?.volumes).toEqual(
        expect.arrayContaining([
          { name: "workspace-0", persistentVolumeClaim: { claimName: CLAIM } },
          expect.objectContaining({ name: "tmp", emptyDir: expect.anything() }),
        ]),
      );
      // Deleted at the end, not left to the TTL.
      expect(fake.jobs().some((j) => j.metadata.name === job.metadata?.name)).toBe(false);
      expect(
        JSON.parse(readFileSync(path.join(request.logDir, "run_info.json"), "utf8")).details,
      ).toMatchObject({
        jobName: job.metadata?.name,
        cleanup: "deleted",
      });
    });

    it("re-attaches to the Job of the same attempt instead of creating a second one", async () => {
      const request = workspace(sh("sleep 1; echo once >> output/runs"));
      const executor = make("node-b");
      const first = executor.start(request);
      await untilRunning(first);
      const second = executor.start(request);
      expect(await second.outcome).toMatchObject({ ok: true });
      expect(await first.outcome).toMatchObject({ ok: true });
      expect(manifestOf(request)).toHaveLength(1);
      expect(readFileSync(path.join(request.mounts[1]?.source ?? "", "runs"), "utf8")).toBe(
        "once\n",
      );
      expect(await executor.adopt(request)).toBeNull();
      // Another attempt is another Job.
      const retry = { ...request, attempt: 2 };
      expect(jobName(retry.jobId, 2)).not.toBe(jobName(request.jobId, 1));
      expect(await executor.start(retry).outcome).toMatchObject({ ok: true });
      expect(manifestOf(retry)).toHaveLength(1);
    });

    it("reports an absent image as IMAGE_NOT_FOUND, never pulling, and removes the Job", async () => {
      const request = workspace(sh("true"), { image: "autoscorer-test/not-built-here:1" });
      const outcome = await make("node-c").start(request).outcome;
      expect(outcome).toMatchObject({ ok: false, code: "IMAGE_NOT_FOUND" });
      if (!outcome.ok) expect(outcome.message).toMatch(/ErrImagePull|ImagePullBackOff/);
      expect(fake.jobs().some((j) => j.metadata.name === jobName(request.jobId, 1))).toBe(false);
    });

    it("ends a run no node can take after the unschedulable bound: NO_EXECUTOR_AVAILABLE, GPU_NOT_AVAILABLE", async () => {
      const executor = make("node-d", { unschedulableTimeoutSeconds: 1 });
      const started = Date.now();
      const big = executor.start(
        workspace(sh("true"), { resources: { cpuMillis: 250, memoryMb: 8192, gpus: 0 } }),
      );
      const outcome = await big.outcome;
      expect(outcome).toMatchObject({ ok: false, code: "NO_EXECUTOR_AVAILABLE" });
      if (!outcome.ok) expect(outcome.message).toContain("Insufficient memory");
      expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
      const gpu = await executor.start(
        workspace(sh("true"), { resources: { cpuMillis: 250, memoryMb: 64, gpus: 1 } }),
      ).outcome;
      expect(gpu).toMatchObject({ ok: false, code: "GPU_NOT_AVAILABLE" });
      const gpuManifest = fake.acceptedJobs.at(-1)?.manifest as Job;
      expect(gpuManifest.spec?.template.spec?.containers[0]?.resources?.limits).toMatchObject({
        "nvidia.com/gpu": "1",
      });
    });

    it("cancels by deleting the Job with Background propagation", async () => {
      const request = workspace(sh("trap '' TERM; sleep 60 & wait"));
      const handle = make("node-e").start(request);
      await untilRunning(handle);
      await handle.stop("CANCELLED");
      expect(await handle.outcome).toMatchObject({ ok: false, code: "CANCELLED" });
      const name = jobName(request.jobId, 1);
      const deletion = fake.deletions.find((d) => d.name === name);
      expect(deletion).toMatchObject({ resource: "jobs", propagationPolicy: "Background" });
      expect(deletion?.uid).toBeTruthy();
      expect(fake.jobs().some((j) => j.metadata.name === name)).toBe(false);
      expect(fake.pods().some((p) => p.metadata.labels?.["job-name"] === name)).toBe(false);
    });

    it("refuses a mount outside the mapped volume, and one that leaves it through a link", async () => {
      const outside = mkdtempSync(path.join(os.tmpdir(), "autoscorer-k8s-outside-"));
      try {
        const executor = make("node-f");
        const before = fake.acceptedJobs.length;
        const request = workspace(sh("true"));
        request.mounts.push({ source: outside, target: "extra", readOnly: true });
        const refused = await executor.start(request).outcome;
        expect(refused).toMatchObject({ ok: false, code: "CONTAINER_CREATE_FAILED" });
        if (!refused.ok) expect(refused.message).toContain("not under a folder this executor maps");

        const linked = workspace(sh("true"));
        const link = path.join(path.dirname(linked.logDir), "sneaky");
        symlinkSync(outside, link);
        linked.mounts.push({ source: link, target: "sneaky", readOnly: true });
        expect(await executor.start(linked).outcome).toMatchObject({
          ok: false,
          code: "CONTAINER_CREATE_FAILED",
        });

        const escaping = workspace(sh("true"));
        escaping.mounts.push({ source: escaping.scratchDir, target: "../etc", readOnly: true });
        expect(await executor.start(escaping).outcome).toMatchObject({
          ok: false,
          code: "CONTAINER_CREATE_FAILED",
        });
        expect(fake.acceptedJobs.length).toBe(before);
      } finally {
        rmSync(outside, { recursive: true, force: true });
      }
    });

    it("reports a manifest the API server refuses as CONTAINER_CREATE_FAILED", async () => {
      const request = workspace(sh("true"), { env: { "NOT=VALID": "x" } });
      const outcome = await make("node-g").start(request).outcome;
      expect(outcome).toMatchObject({ ok: false, code: "CONTAINER_CREATE_FAILED" });
      if (!outcome.ok) expect(outcome.message).toContain("422");
    });

    it("sweeps this node's leftover Jobs only", async () => {
      const leftover = workspace(sh("sleep 30"));
      const mine = make("node-h");
      const theirs = make("node-i");
      const handle = mine.start(leftover);
      await untilRunning(handle);
      const other = theirs.start(workspace(sh("sleep 30")));
      await untilRunning(other);
      // A restarted worker of node-h: the run is not live in it and nobody keeps it.
      const restarted = make("node-h");
      expect(await restarted.sweep((jobId) => jobId !== leftover.jobId)).toBe(1);
      expect(await handle.outcome).toMatchObject({ ok: false });
      expect(
        fake.jobs().filter((j) => j.metadata.labels?.["autoscorer.io/node"] === "node-i"),
      ).toHaveLength(1);
      await other.stop("CANCELLED");
      await other.outcome;
    });

    it("reports an API server that does not answer as EXECUTOR_UNAVAILABLE", async () => {
      const config = new KubeConfig();
      config.loadFromOptions({
        clusters: [{ name: "gone", server: "http://127.0.0.1:9", skipTLSVerify: true }],
        users: [{ name: "u", token: "t" }],
        contexts: [{ name: "gone", cluster: "gone", user: "u" }],
        currentContext: "gone",
      });
      const executor = make("node-j", { cluster: { kubeConfig: config }, apiRetryMs: 300 });
      expect(await executor.start(workspace(sh("true"))).outcome).toMatchObject({
        ok: false,
        code: "EXECUTOR_UNAVAILABLE",
      });
      expect(await executor.health()).toMatchObject({ healthy: false, capacity });
      expect(await make("node-k").health()).toMatchObject({ healthy: true, capacity });
    });
  });

  describe("on a cluster that misbehaves", () => {
    const fakes: FakeKubernetes[] = [];
    const executors: Executor[] = [];
    afterAll(async () => {
      for (const executor of executors) await executor.close();
      for (const fake of fakes) await fake.close();
    });
    const cluster = async (over: Parameters<typeof startFakeKubernetes>[0]) => {
      const fake = await startFake(over);
      fakes.push(fake);
      return fake;
    };
    const make = (
      fake: FakeKubernetes,
      node: string,
      over: Partial<KubernetesExecutorOptions> = {},
    ) => {
      const executor = createKubernetesExecutor(fastOptions(fake, node, over));
      executors.push(executor);
      return executor;
    };

    it("ends a run whose Job passes activeDeadlineSeconds as TIME_LIMIT_EXCEEDED", async () => {
      // A node slow to start containers: the Job's deadline (time limit + 0 s allowance)
      // passes before the command ever runs, so the cluster, not the executor, ends it.
      const fake = await cluster({ containerStartDelayMs: 3000 });
      const seen: StoreEvent[] = [];
      fake.store.subscribe((event) => seen.push(event));
      const request = workspace(sh("echo never"), { timeLimitMs: 1000 });
      const handle = make(fake, "slow-node", { startupAllowanceSeconds: 0 }).start(request);
      const outcome = await handle.outcome;
      expect(outcome).toMatchObject({ ok: false, code: "TIME_LIMIT_EXCEEDED" });
      if (!outcome.ok) expect(outcome.message).toContain("activeDeadlineSeconds");
      const failedJob = seen.find(
        (e) =>
          e.resource === "jobs" &&
          e.object.status?.conditions?.some(
            (c: { type: string; reason?: string }) => c.reason === "DeadlineExceeded",
          ),
      );
      expect(failedJob).toBeDefined();
      expect(readFileSync(path.join(request.logDir, "container.log"), "utf8")).not.toContain(
        "never",
      );
    });

    it("ends a run whose Job gets no pod (a full ResourceQuota) after the bound: NO_EXECUTOR_AVAILABLE", async () => {
      const fake = await cluster({ podQuota: 0 });
      const request = workspace(sh("true"));
      const outcome = await make(fake, "quota-node", { unschedulableTimeoutSeconds: 1 }).start(
        request,
      ).outcome;
      expect(outcome).toMatchObject({ ok: false, code: "NO_EXECUTOR_AVAILABLE" });
      if (!outcome.ok) expect(outcome.message).toContain("no pod was created");
      expect(fake.jobs()).toEqual([]);
    });

    it("keeps following across watches the server ends and history it compacts", async () => {
      const fake = await cluster({ maxWatchMs: 300, bookmarkIntervalMs: 100 });
      const request = workspace(sh("for i in 1 2 3 4 5 6; do echo tick-$i; sleep 0.3; done"));
      const handle = make(fake, "flaky-node").start(request);
      const compacting = setInterval(() => fake.compact(), 250);
      try {
        const events = await collect(handle);
        expect(await handle.outcome).toMatchObject({ ok: true });
        expect(lines(events)).toEqual(["tick-1", "tick-2", "tick-3", "tick-4", "tick-5", "tick-6"]);
      } finally {
        clearInterval(compacting);
      }
    });

    it("reads one interleaved log when the cluster cannot split streams", async () => {
      const fake = await cluster({ splitLogStreams: false });
      const request = workspace(sh("echo out; sleep 0.2; echo err >&2"));
      const handle = make(fake, "merged-node", { splitLogStreams: false }).start(request);
      const events = await collect(handle);
      expect(await handle.outcome).toMatchObject({ ok: true });
      expect(lines(events, "stdout")).toEqual(["out", "err"]);
    });

    it("survives an API outage within the retry window, and lets a later worker adopt after a longer one", async () => {
      const fake = await cluster({});
      const request = workspace(sh("sleep 3; echo done > output/done"));
      const first = make(fake, "outage-node", { apiRetryMs: 10_000 }).start(request);
      await untilRunning(first);
      fake.setAvailable(false);
      await new Promise((resolve) => setTimeout(resolve, 700));
      fake.setAvailable(true);
      expect(await first.outcome).toMatchObject({ ok: true });

      const second = workspace(sh("sleep 4; echo done > output/done"));
      const lost = make(fake, "outage-node", { apiRetryMs: 500 }).start(second);
      await untilRunning(lost);
      fake.setAvailable(false);
      const outcome = await lost.outcome;
      expect(outcome).toMatchObject({ ok: false, code: "EXECUTOR_UNAVAILABLE" });
      fake.setAvailable(true);
      // The Job was left to the cluster; a worker that comes back takes it over.
      const adopted = await make(fake, "outage-node").adopt(second);
      expect(adopted).not.toBeNull();
      expect(await adopted?.outcome).toMatchObject({ ok: true });
      expect(existsSync(path.join(second.mounts[1]?.source ?? "", "done"))).toBe(true);
    });
  });
});

describe("kubernetes executor: manifests and names", () => {
  const options = resolveOptions({
    nodeName: "worker-1",
    namespace: "scoring",
    cluster: { kubeConfig: new KubeConfig() },
    volumes: [{ hostPath: root, claimName: CLAIM, pathInClaim: "workspaces" }],
    capacity,
  });

  it("names a Job after job and attempt: deterministic, DNS-1123, at most 63 characters", () => {
    const uuid = "3f2b8c1e-9a7d-4e21-b5c3-0d9e8f7a6b5c";
    expect(jobName(uuid, 1)).toBe(jobName(uuid, 1));
    expect(jobName(uuid, 1)).not.toBe(jobName(uuid, 2));
    for (const id of [uuid, "x".repeat(300), "Weird ID/with spaces", "---", "ÄÖÜ", ""]) {
      for (const attempt of [1, 12, 123456]) {
        const name = jobName(id, attempt);
        expect(name.length).toBeLessThanOrEqual(63);
        expect(name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
      }
    }
    // Ids that shorten alike still get different names.
    expect(jobName(`${"a".repeat(80)}1`, 1)).not.toBe(jobName(`${"a".repeat(80)}2`, 1));
    expect(labelValue("node-1")).toBe("node-1");
    expect(labelValue("a b/c".repeat(30))).toMatch(
      /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/,
    );
  });

  it("builds manifests that kubernetes-models validates, for every shape of request", async () => {
    const dir = mkdtempSync(path.join(root, "manifest-"));
    mkdirSync(path.join(dir, "in"));
    mkdirSync(path.join(dir, "out"));
    const base: RunRequest = {
      jobId: "3f2b8c1e-9a7d-4e21-b5c3-0d9e8f7a6b5c",
      attempt: 3,
      tenantId: "tenant with spaces",
      image: "registry.example/team/model:2",
      command: ["python", "predict.py"],
      env: { B: "2", A: "1" },
      mounts: [
        { source: path.join(dir, "in"), target: "input/data", readOnly: true },
        { source: path.join(dir, "out"), target: "output", readOnly: false },
      ],
      logDir: path.join(dir, "logs"),
      scratchDir: path.join(dir, "scratch"),
      resources: { cpuMillis: 1500, memoryMb: 4096, gpus: 2 },
      timeLimitMs: 90_500,
    };
    const mounts = await podMounts(base.mounts, options.volumes);
    const manifest = buildJobManifest(base, options, mounts);
    expect(() => validateJobManifest(manifest)).not.toThrow();
    expect(() => new Job(manifest).validate()).not.toThrow();
    expect(manifest.metadata).toMatchObject({ namespace: "scoring", name: jobName(base.jobId, 3) });
    expect(manifest.metadata.annotations).toMatchObject({
      "autoscorer.io/tenant-id": "tenant with spaces",
    });
    expect(manifest.spec?.activeDeadlineSeconds).toBe(91 + 600);
    const container = manifest.spec?.template.spec?.containers[0];
    expect(container?.env).toEqual([
      { name: "A", value: "1" },
      { name: "B", value: "2" },
    ]);
    expect(container?.resources?.limits).toEqual({
      cpu: "1500m",
      memory: "4096Mi",
      "nvidia.com/gpu": "2",
    });
    expect(container?.volumeMounts?.[0]).toEqual({
      name: "workspace-0",
      mountPath: "/workspace/input/data",
      subPath: `workspaces/${path.basename(dir)}/in`,
      readOnly: true,
    });
    // The container sees no API token and none of the cluster's service variables.
    expect(manifest.spec?.template.spec).toMatchObject({
      automountServiceAccountToken: false,
      enableServiceLinks: false,
    });
    expect(() => buildJobManifest({ ...base, image: null }, options, mounts)).toThrow();
  });

  it("refuses mounts the volume mapping cannot express", async () => {
    await expect(
      podMounts([{ source: os.tmpdir(), target: "x", readOnly: true }], options.volumes),
    ).rejects.toThrow(MountRefusedError);
    await expect(
      podMounts([{ source: root, target: "/abs", readOnly: true }], options.volumes),
    ).rejects.toThrow(MountRefusedError);
    await expect(
      podMounts(
        [{ source: path.join(root, "missing"), target: "x", readOnly: true }],
        options.volumes,
      ),
    ).rejects.toThrow(MountRefusedError);
    await expect(
      podMounts(
        [
          { source: root, target: "x", readOnly: true },
          { source: root, target: "./x", readOnly: true },
        ],
        options.volumes,
      ),
    ).rejects.toThrow(MountRefusedError);
  });

  it("refuses settings that would run pods as root or nowhere", () => {
    const good = {
      nodeName: "n",
      namespace: "ns",
      cluster: { kubeConfig: new KubeConfig() },
      volumes: [],
      capacity,
    };
    expect(() => resolveOptions({ ...good, runAsUser: 0 })).toThrow(/never run as root/);
    expect(() => resolveOptions({ ...good, namespace: "Not_Valid" })).toThrow();
    expect(() =>
      resolveOptions({ ...good, volumes: [{ hostPath: "relative", claimName: "c" }] }),
    ).toThrow();
    expect(
      resolveOptions({ ...good, ttlSecondsAfterFinished: undefined }).ttlSecondsAfterFinished,
    ).toBe(3600);
  });
});

describe("kubernetes executor: what Kubernetes reports, as outcomes", () => {
  it("maps the pod's and the Job's status to the contract's codes", () => {
    expect(waitingFailure("ErrImagePull", "not found")).toMatchObject({ code: "IMAGE_NOT_FOUND" });
    expect(waitingFailure("ImagePullBackOff", undefined)).toMatchObject({
      code: "IMAGE_NOT_FOUND",
    });
    expect(waitingFailure("CreateContainerConfigError", "x")).toMatchObject({
      code: "CONTAINER_CREATE_FAILED",
    });
    expect(waitingFailure("ContainerCreating", undefined)).toBeNull();
    expect(terminatedOutcome({ exitCode: 0, reason: "Completed" }, 5)).toMatchObject({
      ok: true,
      durationMs: 5,
    });
    expect(terminatedOutcome({ exitCode: 3, reason: "Error" }, 5)).toMatchObject({
      code: "EXECUTION_FAILED",
      exitCode: 3,
    });
    expect(terminatedOutcome({ exitCode: 137, reason: "OOMKilled" }, 5)).toMatchObject({
      code: "MEMORY_LIMIT_EXCEEDED",
    });
    expect(terminatedOutcome({ exitCode: 137, reason: "Error" }, 5)).toMatchObject({
      code: "EXECUTION_FAILED",
      signal: "SIGKILL",
    });
    expect(
      terminatedOutcome({ exitCode: 128, reason: "StartError", message: "exec: no such file" }, 0),
    ).toMatchObject({
      code: "EXECUTION_FAILED",
      message: expect.stringContaining("could not start"),
    });
    expect(
      jobFailureOutcome("DeadlineExceeded", "Job was active longer than specified deadline"),
    ).toMatchObject({
      code: "TIME_LIMIT_EXCEEDED",
    });
    expect(jobFailureOutcome("BackoffLimitExceeded", undefined)).toMatchObject({
      code: "EXECUTION_FAILED",
    });
    expect(
      unschedulableOutcome("0/3 nodes are available: 3 Insufficient nvidia.com/gpu.", 300),
    ).toMatchObject({
      code: "GPU_NOT_AVAILABLE",
    });
    expect(unschedulableOutcome("0/3 nodes are available: 3 Insufficient cpu.", 300)).toMatchObject(
      {
        code: "NO_EXECUTOR_AVAILABLE",
      },
    );
    expect(podFailure("Failed", "Evicted", "The node was low on resource: memory.")).toMatchObject({
      code: "EXECUTOR_UNAVAILABLE",
    });
    expect(
      podFailure("Failed", "Evicted", 'Usage of EmptyDir volume "tmp" exceeds the limit "256Mi".'),
    ).toMatchObject({
      code: "EXECUTION_FAILED",
    });
    expect(podFailure("Failed", undefined, undefined)).toBeNull();
    expect(podFailure("Running", "Evicted", undefined)).toBeNull();
  });

  it("maps a refused Job creation to the contract's codes", () => {
    const refusal = (code: number | null, message = "") => new KubeApiError(message, code, null);
    expect(createRefusalCode(refusal(422))).toBe("CONTAINER_CREATE_FAILED");
    expect(createRefusalCode(refusal(400))).toBe("CONTAINER_CREATE_FAILED");
    expect(
      createRefusalCode(
        refusal(403, 'pods "x" is forbidden: violates PodSecurity "restricted:latest"'),
      ),
    ).toBe("CONTAINER_CREATE_FAILED");
    expect(
      createRefusalCode(refusal(403, "exceeded quota: compute, requested: limits.cpu=4")),
    ).toBe("NO_EXECUTOR_AVAILABLE");
    expect(createRefusalCode(refusal(403, "jobs.batch is forbidden: User cannot create"))).toBe(
      "EXECUTOR_UNAVAILABLE",
    );
    expect(createRefusalCode(refusal(null, "ECONNREFUSED"))).toBe("EXECUTOR_UNAVAILABLE");
    expect(refusal(null).transient && refusal(503).transient && refusal(429).transient).toBe(true);
    expect(refusal(422).transient).toBe(false);
  });
});
