// The Kubernetes executor's path for one run, measured end to end against the fake cluster
// (test/kube: the API server and Job controller in this process, pods on the local Docker
// engine): Job created, pod scheduled and started, log followed, Job deleted and gone.
// What it shows is the executor's and the API's share of a run on top of `docker run`;
// a real cluster adds its own scheduling and kubelet latency.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createKubernetesExecutor } from "../src/executors/kubernetes/kubernetes-executor.ts";
import type { RunRequest } from "../src/executors/types.ts";
import { BUSYBOX_IMAGE, ensureTestImages } from "../test/images/build.ts";
import { startFakeKubernetes } from "../test/kube/server.ts";

const CLAIM = "bench-workspaces";

/** Runs the same trivial container `runs` times, one after another; ms per run. */
export async function measureKubernetesRuns(runs: number): Promise<number[]> {
  ensureTestImages();
  const root = mkdtempSync(path.join(os.tmpdir(), "autoscorer-bench-k8s-"));
  const fake = await startFakeKubernetes({
    claims: { [CLAIM]: root },
    node: { cpuMillis: 4000, memoryMb: 4096 },
  });
  const executor = createKubernetesExecutor({
    nodeName: "bench-node",
    namespace: "default",
    cluster: { kubeConfig: fake.kubeConfig() },
    volumes: [{ hostPath: root, claimName: CLAIM }],
    capacity: { cpuMillis: 4000, memoryMb: 4096, gpus: 0, maxJobs: 1 },
    splitLogStreams: true,
  });
  const durations: number[] = [];
  try {
    for (let i = 0; i < runs; i += 1) {
      const dir = path.join(root, `run-${i}`);
      for (const sub of ["output", "logs", "scratch"])
        mkdirSync(path.join(dir, sub), { recursive: true });
      const request: RunRequest = {
        jobId: `bench-${process.pid}-${i}`,
        attempt: 1,
        tenantId: "00000000-0000-0000-0000-0000000000aa",
        image: BUSYBOX_IMAGE,
        command: ["sh", "-c", "echo ok > output/done"],
        env: {},
        mounts: [{ source: path.join(dir, "output"), target: "output", readOnly: false }],
        logDir: path.join(dir, "logs"),
        scratchDir: path.join(dir, "scratch"),
        resources: { cpuMillis: 500, memoryMb: 64, gpus: 0 },
        timeLimitMs: 60_000,
      };
      const started = performance.now();
      const outcome = await executor.start(request).outcome;
      if (!outcome.ok) throw new Error(`run ${i} failed: ${outcome.code} ${outcome.message}`);
      durations.push(performance.now() - started);
    }
    return durations;
  } finally {
    await executor.close();
    await fake.close();
    rmSync(root, { recursive: true, force: true });
  }
}
